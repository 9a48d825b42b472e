/* /proc accounting of a process tree and of CPUs (see sample.h). */
#include "measure/sample.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/util.h"

static long ticks_per_s(void)
{
    static long hz;
    if (!hz)
        hz = sysconf(_SC_CLK_TCK);
    return hz > 0 ? hz : 100;
}

int sample_parse_stat(const char *text, struct sample_stat *st)
{
    /* Fields after comm, numbered as in proc(5): 3 state, 4 ppid,
     * 14 utime, 15 stime, 16 cutime, 17 cstime, 20 num_threads, 24 rss. */
    const char *close = strrchr(text, ')');
    long long f[25] = {0};
    char state;
    if (!close || sscanf(text, "%d", &st->pid) != 1)
        return -1;
    if (sscanf(close + 1, " %c", &state) != 1)
        return -1;
    const char *p = close + 3;
    for (int i = 4; i <= 24; i++) {
        char *end;
        f[i] = strtoll(p, &end, 10);
        if (end == p)
            return -1;
        p = end;
    }
    st->state = state;
    st->ppid = (pid_t)f[4];
    st->utime = (uint64_t)f[14];
    st->stime = (uint64_t)f[15];
    st->cutime = (uint64_t)f[16];
    st->cstime = (uint64_t)f[17];
    st->threads = (long)f[20];
    st->rss_pages = (long)f[24];
    return 0;
}

/* /proc/PID/FILE into buf (one read: these files are written whole), its
 * text terminated; -1 when the process is gone or the file empty. */
static int read_proc(pid_t pid, const char *file, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

int sample_read_stat(pid_t pid, struct sample_stat *st)
{
    char buf[1024];
    if (read_proc(pid, "stat", buf, sizeof buf))
        return -1;
    return sample_parse_stat(buf, st);
}

struct proc_list {
    struct sample_stat *v;
    size_t n, cap;
};

static int list_push(struct proc_list *l, const struct sample_stat *st)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 512;
        struct sample_stat *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = *st;
    return 0;
}

/* Every process on the machine: the tree is found by parent links, which
 * needs no CONFIG_PROC_CHILDREN and costs one read per process. */
static int read_all(struct proc_list *l)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        struct sample_stat st;
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        if (sample_read_stat((pid_t)atoi(e->d_name), &st) == 0 && list_push(l, &st)) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    return 0;
}

static void add_to_tree(struct sample_tree *t, const struct sample_stat *st)
{
    double hz = (double)ticks_per_s();
    t->user_s += (double)(st->utime + st->cutime) / hz;
    t->sys_s += (double)(st->stime + st->cstime) / hz;
    t->rss_kb += st->rss_pages * (sysconf(_SC_PAGESIZE) / 1024);
    t->tasks += st->threads;
    t->procs++;
}

static int by_pid(const void *a, const void *b)
{
    const struct sample_stat *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static long index_of(const struct proc_list *l, pid_t pid)
{
    struct sample_stat key = {.pid = pid};
    const struct sample_stat *f = bsearch(&key, l->v, l->n, sizeof key, by_pid);
    return f ? f - l->v : -1;
}

/* Marks root and its descendants. Passes repeat until nothing joins, since
 * after pid wrap-around a parent may sort after its child. */
static int mark_tree(const struct proc_list *l, pid_t root, char *in)
{
    int found = 0;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < l->n; i++) {
            long parent = index_of(l, l->v[i].ppid);
            if (!in[i] && (l->v[i].pid == root || (parent >= 0 && in[parent]))) {
                in[i] = 1;
                changed = found = 1;
            }
        }
    }
    return found;
}

/* The kB figure after KEY ("\nVmRSS:") in /proc/PID/FILE, or -1. */
static long proc_kb(pid_t pid, const char *file, const char *key)
{
    char buf[4096];
    if (read_proc(pid, file, buf, sizeof buf))
        return -1;
    const char *v = strstr(buf, key);
    return v ? strtol(v + strlen(key), NULL, 10) : -1;
}

/* VmRSS of /proc/PID/status in kB, or -1. The rss field of /proc/PID/stat
 * is the kernel's per-CPU cached counter: it can lag by hundreds of kB,
 * more than a thousand idle connections of an event-driven server cost. */
static long status_rss_kb(pid_t pid)
{
    return proc_kb(pid, "status", "\nVmRSS:");
}

/* Precise RSS for small trees; a tree of thousands of processes keeps the
 * cheap counters (their error is small against its size). */
static void precise_rss(struct sample_tree *t, const struct proc_list *l,
                        const char *in)
{
    long sum = 0;
    if (t->procs > SAMPLE_PRECISE_RSS_PROCS)
        return;
    for (size_t i = 0; i < l->n; i++) {
        long kb = in[i] ? status_rss_kb(l->v[i].pid) : 0;
        if (kb < 0)
            return;
        sum += kb;
    }
    t->rss_kb = sum;
}

/* Every process, sorted by pid, and which of them are root's tree (*in,
 * caller frees both). -1 if root is not there. */
static int read_tree(pid_t root, struct proc_list *l, char **in)
{
    *in = NULL;
    if (read_all(l))
        return -1;
    qsort(l->v, l->n, sizeof *l->v, by_pid);
    *in = calloc(l->n ? l->n : 1, 1);
    return *in && mark_tree(l, root, *in) ? 0 : -1;
}

int sample_tree(pid_t root, struct sample_tree *t)
{
    struct proc_list l = {0};
    char *in;
    memset(t, 0, sizeof *t);
    int found = read_tree(root, &l, &in) == 0;
    for (size_t i = 0; found && i < l.n; i++)
        if (in[i])
            add_to_tree(t, &l.v[i]);
    if (found)
        precise_rss(t, &l, in);
    free(in);
    free(l.v);
    return found ? 0 : -1;
}

static long pss_kb(pid_t pid)
{
    return proc_kb(pid, "smaps_rollup", "\nPss:");
}

int sample_tree_pss(pid_t root, long *out)
{
    struct proc_list l = {0};
    char *in;
    long sum = 0;
    int found = read_tree(root, &l, &in) == 0;
    for (size_t i = 0; found && i < l.n; i++) {
        long kb = in[i] ? pss_kb(l.v[i].pid) : 0;
        sum += kb > 0 ? kb : 0; /* one that just exited adds nothing */
    }
    free(in);
    free(l.v);
    *out = sum;
    return found ? 0 : -1;
}

/* Counts the TCP sockets of one family on port through the kernel's
 * sock_diag netlink interface (linux/inet_diag.h), asking only for the
 * states that matter: /proc/net/tcp would list every TIME_WAIT socket of
 * the run (tens of thousands after a few levels, 0.1 s and more per read).
 * Written here because no packaged C library wraps this one request. */
static int count_diag(int family, int port, long *n)
{
    struct {
        struct nlmsghdr nh;
        struct inet_diag_req_v2 req;
    } msg = {
        .nh = {.nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
               .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
        .req = {.sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP,
                .idiag_states = SAMPLE_TCP_STATES},
    };
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0 || send(fd, &msg, sizeof msg, 0) != (ssize_t)sizeof msg) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    long buf[8192 / sizeof(long)];
    for (;;) {
        ssize_t len = recv(fd, buf, sizeof buf, 0);
        if (len <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
             h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
                close(fd);
                return h->nlmsg_type == NLMSG_DONE ? 0 : -1;
            }
            const struct inet_diag_msg *d = NLMSG_DATA(h);
            *n += ntohs(d->id.idiag_sport) == port;
        }
    }
    close(fd);
    return -1;
}

int sample_tcp_conns(int port, long *n)
{
    *n = 0;
    return count_diag(AF_INET, port, n) || count_diag(AF_INET6, port, n) ? -1 : 0;
}

double sample_cpu_s(const struct sample_tree *t)
{
    return t->user_s + t->sys_s;
}

int sample_parse_cpus(const char *text, const cpu_set_t *set,
                      struct sample_cpus *c)
{
    double hz = (double)ticks_per_s();
    memset(c, 0, sizeof *c);
    int seen = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        int cpu;
        unsigned long long v[10] = {0};
        if (sscanf(p, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu,
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 9)
            continue;
        if (cpu < 0 || cpu >= UTIL_MAX_CPUS || !CPU_ISSET(cpu, set))
            continue;
        seen++;
        c->busy_s += (double)(v[0] + v[1] + v[2]) / hz;
        c->steal_s += (double)v[7] / hz;
        for (int i = 0; i < 8; i++)
            c->total_s += (double)v[i] / hz;
    }
    return seen ? 0 : -1;
}

int sample_cpus(const cpu_set_t *set, struct sample_cpus *c)
{
    char *text, err[256];
    if (util_read_file("/proc/stat", &text, NULL, err, sizeof err))
        return -1;
    int r = sample_parse_cpus(text, set, c);
    free(text);
    return r;
}
