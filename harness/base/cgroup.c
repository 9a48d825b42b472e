/* Control groups of the servers under test (see cgroup.h). */
#include "base/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define CGROUP_V1_CPUACCT "/sys/fs/cgroup/cpuacct"
#define CGROUP_V1_MEMORY "/sys/fs/cgroup/memory"
#define CGROUP_V2_ROOT "/sys/fs/cgroup"
#define CGROUP_REMOVE_TRIES 50   /* x 20 ms: exiting tasks leave the group */

static bool is_v2(void)
{
    return access(CGROUP_V2_ROOT "/cgroup.controllers", F_OK) == 0;
}

int cgroup_create(struct cgroup *g, const char *name, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->v2 = is_v2();
    const char *root = g->v2 ? CGROUP_V2_ROOT : CGROUP_V1_CPUACCT;
    snprintf(g->dir, sizeof g->dir, "%s/%s", root, name);
    if (mkdir(g->dir, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "mkdir %s: %s", g->dir, strerror(errno));
        return -1;
    }
    struct cgroup_cpu cpu;
    g->ok = true;
    if (cgroup_cpu(g, &cpu)) {
        snprintf(err, errlen, "%s: no CPU accounting there", g->dir);
        rmdir(g->dir);
        g->ok = false;
        return -1;
    }
    return 0;
}

/* The number in a one-number file, or after "key " on a line of a
 * "key value" file (cpu.stat). */
static int read_u64(const char *path, const char *key, uint64_t *out)
{
    char *text, err[128];
    unsigned long long v;
    if (util_read_file(path, &text, NULL, err, sizeof err))
        return -1;
    const char *p = text;
    size_t klen = key ? strlen(key) : 0;
    while (key && p && !(strncmp(p, key, klen) == 0 && p[klen] == ' '))
        p = (p = strchr(p, '\n')) ? p + 1 : NULL;
    int rc = p && sscanf(p + klen, "%llu", &v) == 1 ? 0 : -1;
    free(text);
    if (rc == 0)
        *out = v;
    return rc;
}

/* Writes text to dir/file; -1 with errno set. */
static int write_to(const char *dir, const char *file, const char *text)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int cgroup_enter(const struct cgroup *g)
{
    if (g->ok && write_to(g->dir, "cgroup.procs", "0"))
        return -1;
    if (g->mem_ok && !g->v2 && write_to(g->mem_dir, "cgroup.procs", "0"))
        return -1;
    return 0;
}

int cgroup_limit_memory(struct cgroup *g, const char *name, uint64_t bytes, char *err,
                        size_t errlen)
{
    char limit[32];
    snprintf(limit, sizeof limit, "%llu", (unsigned long long)bytes);
    if (g->v2) {
        /* The root must hand the memory controller down to its children. */
        write_to(CGROUP_V2_ROOT, "cgroup.subtree_control", "+memory");
        snprintf(g->mem_dir, sizeof g->mem_dir, "%s", g->dir);
    } else {
        snprintf(g->mem_dir, sizeof g->mem_dir, "%s/%s", CGROUP_V1_MEMORY, name);
        if (mkdir(g->mem_dir, 0755) && errno != EEXIST) {
            snprintf(err, errlen, "mkdir %s: %s", g->mem_dir, strerror(errno));
            g->mem_dir[0] = '\0';
            return -1;
        }
    }
    const char *file = g->v2 ? "memory.max" : "memory.limit_in_bytes";
    if ((g->v2 && !g->ok) || write_to(g->mem_dir, file, limit)) {
        snprintf(err, errlen, "%s/%s: %s", g->mem_dir, file,
                 g->v2 && !g->ok ? "no cgroup for the server" : strerror(errno));
        if (!g->v2)
            rmdir(g->mem_dir);
        g->mem_dir[0] = '\0';
        return -1;
    }
    g->mem_ok = true;
    return 0;
}

long cgroup_oom_kills(const struct cgroup *g)
{
    char path[PATH_MAX + 32];
    uint64_t n;
    if (!g->mem_ok)
        return -1;
    /* v1: memory.oom_control has "oom_kill N" (Linux 4.13+); v2:
     * memory.events. */
    snprintf(path, sizeof path, "%s/%s", g->mem_dir, g->v2 ? "memory.events" :
             "memory.oom_control");
    return read_u64(path, "oom_kill", &n) ? -1 : (long)n;
}

/* The exact total, and the parts as sampled: v1's usage_user and usage_sys
 * are counted in scheduler ticks (4 ms at HZ=250), unscaled, and miss a
 * share of the time of a server that sleeps between ticks (4% for the
 * calibration server on one CPU here, more than half for prefork sharing two
 * CPUs with wrk); cpuacct.usage and v2's usage_usec are the scheduler's
 * exact runtime. */
int cgroup_cpu(const struct cgroup *g, struct cgroup_cpu *out)
{
    char path[PATH_MAX + 32];
    if (!g->ok)
        return -1;
    if (g->v2) { /* "usage_usec N\nuser_usec N\nsystem_usec N" */
        snprintf(path, sizeof path, "%s/cpu.stat", g->dir);
        if (read_u64(path, "usage_usec", &out->total_ns) ||
            read_u64(path, "user_usec", &out->user_part_ns) ||
            read_u64(path, "system_usec", &out->sys_part_ns))
            return -1;
        out->total_ns *= 1000;
        out->user_part_ns *= 1000;
        out->sys_part_ns *= 1000;
        return 0;
    }
    static const char *const files[] = {"cpuacct.usage", "cpuacct.usage_user",
                                        "cpuacct.usage_sys"};
    uint64_t *to[] = {&out->total_ns, &out->user_part_ns, &out->sys_part_ns};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", g->dir, files[i]);
        if (read_u64(path, NULL, to[i]))
            return -1;
    }
    return 0;
}

void cgroup_cpu_between(const struct cgroup_cpu *a, const struct cgroup_cpu *b, double *user_s,
                        double *sys_s)
{
    double total = (double)(b->total_ns - a->total_ns) / 1e9;
    double u = (double)(b->user_part_ns - a->user_part_ns);
    double sum = u + (double)(b->sys_part_ns - a->sys_part_ns);
    *user_s = sum > 0 ? total * u / sum : 0;
    *sys_s = total - *user_s;
}

void cgroup_describe(char *out, size_t outlen)
{
    struct cgroup g;
    char name[64], err[PATH_MAX + 64];
    snprintf(name, sizeof name, "c10k-%d-probe", (int)getpid());
    if (cgroup_create(&g, name, err, sizeof err) == 0)
        snprintf(out, outlen, "cgroup %s (%s)", g.v2 ? "v2 cpu.stat" : "v1 cpuacct",
                 g.dir);
    else
        snprintf(out, outlen, "/proc process tree (no cgroup: %s)", err);
    cgroup_remove(&g);
}

static void remove_dir(char *dir)
{
    if (!dir[0])
        return;
    for (int i = 0; i < CGROUP_REMOVE_TRIES && rmdir(dir) && errno == EBUSY; i++)
        util_sleep_ms(20);
    dir[0] = '\0';
}

void cgroup_remove(struct cgroup *g)
{
    if (g->mem_ok && !g->v2)
        remove_dir(g->mem_dir);
    remove_dir(g->dir);
    g->ok = g->mem_ok = false;
    g->mem_dir[0] = '\0';
}
