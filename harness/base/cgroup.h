/* A control group per server under test, so that its CPU time is counted
 * by the kernel for every process it ever had, exited ones included.
 *
 *   struct cgroup g;
 *   cgroup_create(&g, "c10k-1234-epoll");   // best effort: g.ok says
 *   spec.cgroup = &g;                       // spawn_child joins it before exec
 *   struct cgroup_cpu a, b;
 *   cgroup_cpu(&g, &a); ... cgroup_cpu(&g, &b);
 *   double user_s, sys_s;
 *   cgroup_cpu_between(&a, &b, &user_s, &sys_s); // exact sum, sampled split
 *   cgroup_remove(&g);                      // once its processes are gone
 *
 * Why not only /proc: a process tree sampled from /proc loses the time of
 * children that exit and are reaped while the tree is being read (the
 * parent's cutime was read before, the child is gone after), which a
 * process-per-connection server does by the hundred at the end of every
 * level. cgroup v1 (cpuacct.usage: the exact total, split as
 * cpuacct.usage_user and usage_sys, which count ticks) and v2 (cpu.stat
 * usage_usec, split as user_usec and system_usec) are both read; where
 * neither can be created (not root, no cgroupfs) the harness falls back to
 * /proc and says
 * so in meta.txt.
 *
 * A memory limit (the disk-bound workload) bounds what the processes that
 * enter g may keep in memory, their page cache included, so that a file
 * set larger than the limit is read from the disk:
 *
 *   cgroup_limit_memory(&g, "c10k-1234-epoll", 64 << 20, err, sizeof err);
 *
 * v1: a group of the same name in the memory hierarchy (its
 * memory.limit_in_bytes), entered with the CPU group; v2: memory.max of
 * the group itself. */
#ifndef HARNESS_CGROUP_H
#define HARNESS_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct cgroup {
    bool ok;                     /* created: CPU is read from it */
    bool v2;
    char dir[PATH_MAX];          /* v1: the cpuacct group; v2: the group */
    bool mem_ok;                 /* a memory limit is set */
    char mem_dir[PATH_MAX];      /* v1: the memory group ("" none); v2: = dir */
};

/* 0 with g->ok, or -1 with g->ok false and why in err. */
int cgroup_create(struct cgroup *g, const char *name, char *err, size_t errlen);
/* Sets a memory limit of bytes (page cache included) on g, before its
 * processes start: 0, or -1 with why in err (no memory controller, not
 * writable). Usable when cgroup_create failed on v1 (separate hierarchy). */
int cgroup_limit_memory(struct cgroup *g, const char *name, uint64_t bytes, char *err,
                        size_t errlen);
/* Processes of g the kernel killed at its memory limit, or -1 if unknown. */
long cgroup_oom_kills(const struct cgroup *g);
/* In a child before exec: moves the calling process into g (its CPU
 * group and its memory group). */
int cgroup_enter(const struct cgroup *g);
/* CPU time of every process that ran in g, cumulative, nanoseconds: the
 * scheduler's exact total, and the user and system parts as the kernel
 * sampled them (v1: in ticks, so their sum falls short of the total). */
struct cgroup_cpu {
    uint64_t total_ns, user_part_ns, sys_part_ns;
};
int cgroup_cpu(const struct cgroup *g, struct cgroup_cpu *out);
/* The CPU time between two readings, seconds: the exact total split in the
 * proportion the sampled parts grew by (all of it sys if they did not). */
void cgroup_cpu_between(const struct cgroup_cpu *a, const struct cgroup_cpu *b, double *user_s,
                        double *sys_s);
/* Removes the group (its processes must have ended). */
void cgroup_remove(struct cgroup *g);
/* How server CPU is counted here, in words, for meta.txt: creates and
 * removes a probe group. */
void cgroup_describe(char *out, size_t outlen);

#endif
