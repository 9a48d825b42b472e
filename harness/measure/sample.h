/* /proc accounting of a process tree, of one process and of CPUs.
 *
 *   struct sample_tree a, b;
 *   sample_tree(server_pid, &a);  ... load ...  sample_tree(server_pid, &b);
 *   double cpu_s = sample_cpu_s(&b) - sample_cpu_s(&a);
 *
 * A tree's CPU time is the sum over its live processes of utime + stime +
 * cutime + cstime (/proc/PID/stat): a child that exited and was reaped moved
 * its time into its parent's cutime/cstime. A child reaped while the tree
 * is being read is lost, though (its parent was read before), so the
 * harness takes server CPU from a cgroup where it can (cgroup.h) and uses
 * this sum only where it cannot. rss_kb and tasks are sums over the tree
 * (rss double-counts pages that forked processes share). RSS comes from
 * /proc/PID/status (exact) for trees of up to SAMPLE_PRECISE_RSS_PROCS
 * processes, from /proc/PID/stat (the kernel's cached counter) beyond. */
#ifndef HARNESS_SAMPLE_H
#define HARNESS_SAMPLE_H

#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

#define SAMPLE_PRECISE_RSS_PROCS 64

struct sample_stat {          /* one /proc/PID/stat */
    pid_t pid, ppid;
    char state;
    uint64_t utime, stime, cutime, cstime; /* clock ticks */
    long threads;
    long rss_pages;
};

struct sample_tree {
    double user_s, sys_s;     /* including reaped children */
    long rss_kb;              /* sum over live processes */
    long tasks;               /* threads of all live processes */
    int procs;
};

struct sample_cpus {          /* /proc/stat summed over a CPU set, seconds */
    double busy_s;            /* user + nice + system (irq, softirq apart) */
    double steal_s;
    double total_s;           /* every field, idle included */
};

/* Parses the text of /proc/PID/stat (comm may hold spaces and ')'). */
int sample_parse_stat(const char *text, struct sample_stat *st);
int sample_read_stat(pid_t pid, struct sample_stat *st);
int sample_tree(pid_t root, struct sample_tree *t);
/* Proportional set size of the tree, kB (/proc/PID/smaps_rollup): shared
 * pages counted once over the processes that share them, so a process per
 * connection is charged what it adds, not the whole C library again. */
int sample_tree_pss(pid_t root, long *pss_kb);
/* TCP sockets on this machine whose local port is port, in any state but
 * LISTEN, TIME_WAIT and CLOSE (sock_diag): a server's connections, accepted
 * or still queued. */
#define SAMPLE_TCP_STATES (0xfff & ~(1u << 10 | 1u << 6 | 1u << 7)) /* TCP_LISTEN,
                                                  TCP_TIME_WAIT, TCP_CLOSE */
int sample_tcp_conns(int port, long *n);
double sample_cpu_s(const struct sample_tree *t);
int sample_cpus(const cpu_set_t *set, struct sample_cpus *c);
/* Parses /proc/stat text for the CPUs of set. */
int sample_parse_cpus(const char *text, const cpu_set_t *set,
                      struct sample_cpus *c);

#endif
