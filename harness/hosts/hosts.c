/* Load hosts: prepare all, start all at one t0, collect, clean up (see
 * hosts.h); merging what they measured is hosts_merge.c. */
#include "hosts/hosts_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/spawn.h"
#include "base/util.h"

#define HOSTS_EXIT_MS 5000        /* ssh's exit after its stdout closed */
#define HOSTS_OUT_MAX (4 << 20)   /* a host's output: three histograms, a line */

struct hosts *hosts_new(const struct opts *o)
{
    struct hosts *hs = calloc(1, sizeof *hs + (size_t)o->n_load_hosts * sizeof hs->h[0]);
    if (!hs)
        return NULL;
    hs->n = o->n_load_hosts;
    hs->spawn_s = HOSTS_SPAWN_S;
    snprintf(hs->target, sizeof hs->target, "%s", o->target);
    for (int i = 0; i < hs->n; i++) {
        remote_init(&hs->h[i].r, o->load_hosts[i], o->ssh_config);
        hs->h[i].fd = -1;
    }
    return hs;
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --target must be this machine's: the server binds it. */
static int check_target(const char *addr, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
             bind(fd, (struct sockaddr *)&sa, sizeof sa) ? -1 : 0;
    if (rc)
        snprintf(err, errlen, "--target %s: not an address of this machine (bind: %s)",
                 addr, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The shortest measured window of the run, in seconds. */
static double shortest_step_s(const struct opts *o)
{
    double s = 0;
    if (o->n_conns > 0)
        s = o->duration_s;
    if (o->rates_mode != RATES_NONE && (s == 0 || o->rate_duration_s < s))
        s = o->rate_duration_s;
    return s;
}

/* Warn above 1 ms, refuse above 1/100 of a step: --start-at is corrected by
 * the offset, but clocks that far apart are not being kept in step, and
 * they drift apart during the run. */
static int check_clock(const struct load_host *h, double step_s, char *err,
                       size_t errlen)
{
    int64_t off = h->r.offset_ns, bound = (off < 0 ? -off : off) + h->r.uncertainty_ns;
    double limit_ns = step_s * 1e9 / HOSTS_OFFSET_SHARE;
    if (bound > limit_ns) {
        snprintf(err, errlen, "%s: clock offset too large: %+.3f ms (within %.3f ms) "
                 "against 1/%d of a %g s step (%.1f ms): synchronise the clocks "
                 "(chrony, systemd-timesyncd) or measure longer steps", h->r.dest,
                 off / 1e6, h->r.uncertainty_ns / 1e6, HOSTS_OFFSET_SHARE, step_s,
                 limit_ns / 1e6);
        return -1;
    }
    if (bound > HOSTS_WARN_OFFSET_NS)
        fprintf(stderr, "harness: warning: %s: clock offset %+.3f ms (within %.3f ms): "
                "corrected for, but are the clocks synchronised?\n", h->r.dest,
                off / 1e6, h->r.uncertainty_ns / 1e6);
    return 0;
}

int hosts_prepare(struct hosts *hs, const struct opts *o, char *err, size_t errlen)
{
    if (check_target(hs->target, err, errlen))
        return -1;
    for (int i = 0; i < hs->n; i++) {
        struct load_host *h = &hs->h[i];
        if (remote_prepare(&h->r, loadgen_path(), o->remote_loadgen, err, errlen) ||
            remote_clock_offset(&h->r, REMOTE_CLOCK_PROBES, err, errlen) ||
            check_clock(h, shortest_step_s(o), err, errlen))
            return -1;
        printf("load host %s: %s, %d CPU%s, clock offset %+.3f ms (within %.3f ms), "
               "loadgen %s\n", h->r.dest, h->r.arch, h->r.cpus, h->r.cpus > 1 ? "s" : "",
               h->r.offset_ns / 1e6, h->r.uncertainty_ns / 1e6, h->r.loadgen);
    }
    fflush(stdout);
    return 0;
}

/* Host i's share of a run: connections dealt evenly (the first C mod N
 * hosts one more), the rate split over the hosts that have any. */
static void share(struct hosts *hs, const struct loadgen_args *a)
{
    int active = a->conns < hs->n ? a->conns : hs->n;
    hs->closed = a->closed;
    hs->conns = a->conns;
    hs->rate = a->closed ? 0 : a->rate;
    for (int i = 0; i < hs->n; i++) {
        struct load_host *h = &hs->h[i];
        h->conns = a->conns / hs->n + (i < a->conns % hs->n);
        h->rate = h->conns > 0 && !a->closed ? a->rate / active : 0;
        h->threads = h->conns < h->r.cpus ? h->conns : h->r.cpus;
        if (h->threads > HOSTS_MAX_THREADS)
            h->threads = HOSTS_MAX_THREADS;
        h->ended = h->ok = false;
        h->err[0] = '\0';
        h->len = 0;
    }
}

/* loadgen's command line there for host h; argv points into buf. */
static void host_argv(const struct load_host *h, const struct loadgen_args *a,
                      int64_t start_at, char buf[][64], char *url, char **argv)
{
    int n = 0, k = 0;
    argv[n++] = (char *)h->r.loadgen;
    if (a->closed)
        argv[n++] = "--closed";
    else {
        argv[n++] = "--rate";
        snprintf(argv[n++] = buf[k++], 64, "%.3f", h->rate);
    }
    argv[n++] = "--conns";
    snprintf(argv[n++] = buf[k++], 64, "%d", h->conns);
    argv[n++] = "--threads";
    snprintf(argv[n++] = buf[k++], 64, "%d", h->threads);
    argv[n++] = "--pipeline";
    snprintf(argv[n++] = buf[k++], 64, "%d", a->pipeline > 0 ? a->pipeline : 1);
    argv[n++] = "--duration";
    snprintf(argv[n++] = buf[k++], 64, "%.3f", a->duration_s);
    argv[n++] = "--warmup";
    snprintf(argv[n++] = buf[k++], 64, "%.3f", a->warmup_s);
    argv[n++] = "--timeout";
    snprintf(argv[n++] = buf[k++], 64, "%d", LOADGEN_TIMEOUT_MS);
    argv[n++] = "--start-at";
    snprintf(argv[n++] = buf[k++], 64, "%lld", (long long)start_at);
    argv[n++] = "--histograms";
    argv[n++] = url;
    argv[n] = NULL;
}

/* Ends the hosts already started when a later one could not be. */
static void abort_started(struct hosts *hs, const char *why)
{
    char err[512];
    for (int i = 0; i < hs->n; i++) {
        struct load_host *h = &hs->h[i];
        if (h->fd >= 0) {
            close(h->fd);
            h->fd = -1;
        }
        if (h->conns > 0 && !h->ended) {
            if (remote_kill(&h->r, err, sizeof err))
                fprintf(stderr, "harness: %s\n", err);
            h->ended = true;
            if (!h->err[0])
                snprintf(h->err, sizeof h->err, "%s: stopped: %s", h->r.dest, why);
        }
    }
}

static int spawn_one(struct hosts *hs, struct load_host *h, const struct loadgen_args *a,
                     int64_t t0, char *err, size_t errlen)
{
    char buf[10][64], url[512], *argv[24];
    snprintf(url, sizeof url, "http://%s:%d%s", a->host, a->port, a->path);
    /* The remote clock reads t0 + offset at the local instant t0. */
    host_argv(h, a, t0 + h->r.offset_ns, buf, url, argv);
    double took = util_now();
    if (remote_spawn(&h->r, argv, &h->fd, h->err, sizeof h->err) ||
        fcntl(h->fd, F_SETFL, O_NONBLOCK)) {
        if (!h->err[0])
            snprintf(h->err, sizeof h->err, "%s: fcntl: %s", h->r.dest, strerror(errno));
        snprintf(err, errlen, "%s", h->err);
        return -1;
    }
    took = util_now() - took;
    if (took > hs->spawn_s)
        hs->spawn_s = took;
    return 0;
}

int hosts_start(struct hosts *hs, const struct loadgen_args *a, char *err, size_t errlen)
{
    int active = 0;
    share(hs, a);
    for (int i = 0; i < hs->n; i++)
        active += hs->h[i].conns > 0;
    double lead_s = HOSTS_LEAD_S + HOSTS_SPAWN_MARGIN * active * hs->spawn_s;
    int64_t t0 = realtime_ns() + (int64_t)(lead_s * 1e9);
    for (int i = 0; i < hs->n; i++)
        if (hs->h[i].conns > 0 && spawn_one(hs, &hs->h[i], a, t0, err, errlen)) {
            abort_started(hs, "another host could not start");
            return -1;
        }
    hs->late_s = (double)(realtime_ns() - t0) / 1e9;
    hs->deadline = util_now() + (hs->late_s < 0 ? -hs->late_s : 0) + a->warmup_s +
                   a->duration_s + LOADGEN_GRACE_S;
    return 0;
}

/* Reads what host h printed so far; at EOF waits for its ssh. */
static void read_host(struct load_host *h)
{
    for (;;) {
        if (h->cap - h->len < 4096 && h->cap < HOSTS_OUT_MAX) {
            size_t cap = h->cap ? 2 * h->cap : 65536;
            char *p = realloc(h->out, cap);
            if (p) { /* else what does not fit is dropped: no result line */
                h->out = p;
                h->cap = cap;
            }
        }
        char sink[4096], *dst = h->cap - h->len > 1 ? h->out + h->len : sink;
        size_t room = dst == sink ? sizeof sink : h->cap - h->len - 1;
        ssize_t n = read(h->fd, dst, room);
        if (n > 0 && dst != sink)
            h->len += (size_t)n;
        if (h->out)
            h->out[h->len] = '\0';
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        break; /* EOF or an error: the session is over */
    }
    close(h->fd);
    h->fd = -1;
    h->ended = true;
    h->ok = remote_wait(&h->r, HOSTS_EXIT_MS, NULL, h->err, sizeof h->err) == 0;
}

/* Deadline or Ctrl-C: every host still running ends now. */
static void stop_all(struct hosts *hs, const char *why)
{
    char err[512];
    for (int i = 0; i < hs->n; i++) {
        struct load_host *h = &hs->h[i];
        if (h->conns <= 0 || h->ended)
            continue;
        close(h->fd);
        h->fd = -1;
        h->ended = true;
        snprintf(h->err, sizeof h->err, "%s: %s", h->r.dest, why);
        /* After Ctrl-C, hosts_cleanup kills what runs there, once. */
        if (!spawn_interrupted && remote_kill(&h->r, err, sizeof err))
            fprintf(stderr, "harness: %s\n", err);
    }
}

int hosts_poll(struct hosts *hs, int timeout_ms)
{
    struct pollfd p[OPTS_MAX_HOSTS];
    struct load_host *of[OPTS_MAX_HOSTS];
    int k = 0;
    for (int i = 0; i < hs->n; i++)
        if (hs->h[i].conns > 0 && !hs->h[i].ended) {
            p[k] = (struct pollfd){.fd = hs->h[i].fd, .events = POLLIN};
            of[k++] = &hs->h[i];
        }
    if (k == 0)
        return 1;
    if (poll(p, (nfds_t)k, timeout_ms) > 0)
        for (int i = 0; i < k; i++)
            if (p[i].revents)
                read_host(of[i]);
    if (spawn_interrupted)
        stop_all(hs, "interrupted");
    else if (util_now() > hs->deadline)
        stop_all(hs, "loadgen still running past its deadline: killed there");
    for (int i = 0; i < hs->n; i++)
        if (hs->h[i].conns > 0 && !hs->h[i].ended)
            return 0;
    return 1;
}

void hosts_write_meta(const struct hosts *hs, FILE *f)
{
    fprintf(f, "target: %s\nload_hosts: ", hs->target);
    for (int i = 0; i < hs->n; i++)
        fprintf(f, "%s%s", i ? "," : "", hs->h[i].r.dest);
    for (int i = 0; i < hs->n; i++) {
        const struct remote_host *r = &hs->h[i].r;
        fprintf(f, "\nload_host_%s: %s, %d CPUs, clock offset %+.3f ms (within %.3f ms), "
                "loadgen %s", r->dest, r->arch, r->cpus, r->offset_ns / 1e6,
                r->uncertainty_ns / 1e6, r->loadgen);
    }
    fputc('\n', f);
}

int hosts_cleanup(struct hosts *hs)
{
    char err[1024];
    int rc = 0;
    for (int i = 0; hs && i < hs->n; i++) {
        struct load_host *h = &hs->h[i];
        if (h->fd >= 0) {
            close(h->fd);
            h->fd = -1;
        }
        if (remote_cleanup(&h->r, err, sizeof err)) {
            fprintf(stderr, "harness: %s\n", err);
            rc = -1;
        }
    }
    return rc;
}

void hosts_free(struct hosts *hs)
{
    for (int i = 0; hs && i < hs->n; i++)
        free(hs->h[i].out);
    if (hs)
        free(hs->rows);
    free(hs);
}
