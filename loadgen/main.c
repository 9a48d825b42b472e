/* loadgen's main: build the request bytes (reqs.c), resolve and try the URL, start
 * the threads, set the shared clock once every connection is open, measure
 * the process's CPU over the window, merge the threads' counts and print the
 * result line (its keys: lg_result.def; harness/README.md, section "loadgen"). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "lg_result.h"

#define LG_TRY_CONNECT_MS 5000    /* the first connect must succeed within 5 s */
#define LG_FDS_SPARE 64           /* descriptors beyond one per connection */
#define LG_CLIENT_BOUND_PCT 85.0  /* of each thread's CPU, as the harness flags it */
#define LG_CLIENT_BOUND_LAG_NS 1000000ull
#define LG_TIMER_SLACK_NS 50000ul  /* the kernel's default, made explicit */

/* Resolves the URL's host into o->addr and connects once, so that a wrong
 * URL is one line and exit 1 rather than a run of connect errors. */
static int main_resolve(struct lg_opts *o)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(o->host, o->port, &hints, &ai);
    if (rc) {
        fprintf(stderr, "loadgen: resolve %s: %s\n", o->host, gai_strerror(rc));
        return -1;
    }
    memcpy(&o->addr, ai->ai_addr, ai->ai_addrlen);
    o->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
    socklen_t len = sizeof err;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    if (fd < 0 || (connect(fd, (struct sockaddr *)&o->addr, o->addrlen) && errno != EINPROGRESS) ||
        poll(&p, 1, LG_TRY_CONNECT_MS) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err || !(p.revents & POLLOUT)) {
        if (err)
            errno = err;
        else if (!(p.revents & POLLOUT))
            errno = ETIMEDOUT;
        fprintf(stderr, "loadgen: connect %s:%s: %s\n", o->host, o->port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* Raises RLIMIT_NOFILE as far as the connections need and the hard limit
 * allows. */
static int main_nofile(const struct lg_opts *o)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)o->conns + LG_FDS_SPARE;
    if (getrlimit(RLIMIT_NOFILE, &rl)) {
        fprintf(stderr, "loadgen: getrlimit: %s\n", strerror(errno));
        return -1;
    }
    if (rl.rlim_cur >= need)
        return 0;
    rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
    if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < need) {
        fprintf(stderr, "loadgen: --conns %u needs %llu descriptors; the limit is %llu\n",
                o->conns, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

static double main_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void main_sleep_until(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* t0: --start-at converted from CLOCK_REALTIME, or now. */
static void main_set_clock(struct lg_shared *sh)
{
    const struct lg_opts *o = sh->o;
    uint64_t now = lg_now();
    sh->clk.t0 = now;
    if (o->start_at_ns) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ahead = o->start_at_ns - ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
        sh->clk.t0 = ahead >= 0 || (uint64_t)-ahead < now ? now + (uint64_t)ahead : 0;
    }
    sh->clk.window_start = sh->clk.t0 + (uint64_t)(o->warmup_s * 1e9);
    sh->clk.window_end = sh->clk.window_start + (uint64_t)(o->duration_s * 1e9);
}

static uint64_t us(uint64_t ns)
{
    return (ns + 500) / 1000;
}

static void main_print(const struct lg_opts *o, const struct lg_stats *s, double cpu_s)
{
    const struct hist *c = &s->corrected, *u = &s->uncorrected, *l = &s->lag;
    uint64_t errors = 0;
    for (int i = 0; i < LG_ERR_COUNT; i++)
        errors += s->err[i];
    /* Said before the result line, which stays the last one printed. */
    double pct = cpu_s / o->duration_s * 100.0 / o->threads;
    if (pct > LG_CLIENT_BOUND_PCT || hist_percentile(l, 99) > LG_CLIENT_BOUND_LAG_NS)
        fprintf(stderr, "loadgen: client-bound: %.0f%% of each thread's CPU, send lag p99"
                        " %.3f ms: the figures say more about loadgen than the server\n",
                pct, (double)hist_percentile(l, 99) / 1e6);
    if (o->histograms)
        if (hist_write(c, "corrected", stdout) || hist_write(u, "uncorrected", stdout) ||
            hist_write(l, "lag", stdout))
            fprintf(stderr, "loadgen: writing the histograms: %s\n", strerror(errno));
    struct lg_result r = {
        .offered_rps = o->rate, .achieved_rps = (double)s->completed / o->duration_s,
        .duration_s = o->duration_s, .conns = o->conns, .threads = o->threads,
        .pipeline = o->pipeline, .sent = s->sent, .completed = s->completed,
        .backlog = s->backlog, .errors = errors, .err_connect = s->err[LG_ERR_CONNECT],
        .err_read = s->err[LG_ERR_READ], .err_write = s->err[LG_ERR_WRITE],
        .err_status = s->err[LG_ERR_STATUS], .err_timeout = s->err[LG_ERR_TIMEOUT],
        .err_parse = s->err[LG_ERR_PARSE], .reconnects = s->reconnects, .bytes = s->bytes,
        .mean_us = hist_mean(c) / 1000.0, .p50_us = us(hist_percentile(c, 50)),
        .p90_us = us(hist_percentile(c, 90)), .p99_us = us(hist_percentile(c, 99)),
        .p999_us = us(hist_percentile(c, 99.9)), .p9999_us = us(hist_percentile(c, 99.99)),
        .max_us = us(c->max_ns), .p50_uncorrected_us = us(hist_percentile(u, 50)),
        .p99_uncorrected_us = us(hist_percentile(u, 99)), .max_uncorrected_us = us(u->max_ns),
        .lag_p50_us = us(hist_percentile(l, 50)), .lag_p99_us = us(hist_percentile(l, 99)),
        .lag_max_us = us(l->max_ns), .client_cpu_s = cpu_s,
        .client_cpu_pct = cpu_s / o->duration_s * 100.0,
        .warmup_completed = s->warmup_completed,
        .class0_completed = s->cls_completed[0], .class0_p99_us = us(hist_percentile(&s->cls[0], 99)),
        .class1_completed = s->cls_completed[1], .class1_p99_us = us(hist_percentile(&s->cls[1], 99)),
    };
    snprintf(r.mode, sizeof r.mode, "%s", o->closed ? "closed" : "open");
    lg_result_print(stdout, &r);
    fflush(stdout);
}

static void main_merge(struct lg_stats *total, const struct lg_stats *s)
{
    total->sent += s->sent;
    total->completed += s->completed;
    total->warmup_completed += s->warmup_completed;
    total->backlog += s->backlog;
    total->reconnects += s->reconnects;
    total->bytes += s->bytes;
    for (int e = 0; e < LG_ERR_COUNT; e++)
        total->err[e] += s->err[e];
    hist_merge(&total->corrected, &s->corrected);
    hist_merge(&total->uncorrected, &s->uncorrected);
    hist_merge(&total->lag, &s->lag);
    for (int k = 0; k < LG_CLASSES; k++) {
        hist_merge(&total->cls[k], &s->cls[k]);
        total->cls_completed[k] += s->cls_completed[k];
    }
}

/* After the threads tried to connect: a setup failure stops the run, fewer
 * connections than asked for is said. */
static void main_check_ready(struct lg_shared *sh, const struct lg_thread *th)
{
    unsigned open = 0;
    for (unsigned i = 0; i < sh->o->threads; i++) {
        open += th[i].open;
        if (th[i].failed) {
            fprintf(stderr, "loadgen: thread setup: %s: %s\n", th[i].failed,
                    strerror(th[i].failed_errno));
            sh->abort = true;
        }
    }
    if (!sh->abort && open < sh->o->conns)
        fprintf(stderr, "loadgen: only %u of %u connections open at the start; the rest keep"
                        " trying\n", open, sh->o->conns);
}

/* Starts the threads, runs the window, joins. 0 ok, -1 after a message. */
static int main_run(struct lg_shared *sh, struct lg_thread *th, struct lg_stats *total,
                    double *cpu_s)
{
    const struct lg_opts *o = sh->o;
    int rc = 0;
    for (unsigned i = 0; i < o->threads; i++) {
        th[i].sh = sh;
        th[i].first = i;
        th[i].n = (o->conns - i + o->threads - 1) / o->threads;
        if ((rc = pthread_create(&th[i].tid, NULL, lg_thread_main, &th[i]))) {
            /* The barriers count every thread: nothing can wait on them now. */
            fprintf(stderr, "loadgen: pthread_create: %s\n", strerror(rc));
            exit(1);
        }
    }
    pthread_barrier_wait(&sh->ready);
    main_check_ready(sh, th);
    main_set_clock(sh);
    pthread_barrier_wait(&sh->go);
    if (!sh->abort) {
        main_sleep_until(sh->clk.window_start);
        double before = main_cpu_s();
        main_sleep_until(sh->clk.window_end);
        *cpu_s = main_cpu_s() - before;
    }
    for (unsigned i = 0; i < o->threads; i++) {
        pthread_join(th[i].tid, NULL);
        main_merge(total, &th[i].st);
        if (th[i].failed && !sh->abort) {
            fprintf(stderr, "loadgen: %s: %s\n", th[i].failed, strerror(th[i].failed_errno));
            rc = -1;
        }
    }
    return sh->abort ? -1 : rc;
}

int main(int argc, char **argv)
{
    static struct lg_opts o;
    static struct lg_shared sh;
    static struct lg_stats total;
    bool done;
    int rc = lg_opts_parse(&o, argc, argv, &done);
    if (rc || done)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    /* Timers may fire up to 50 us late so that due times close together
     * share one wake-up (and one wake-up of the server). Measured at 28k
     * req/s to the calibration server: 1 ns of slack cost ~8% more CPU per
     * request for ~8 us less lag at the median; 200 us saved ~20% but added
     * ~30 us. Set, not inherited, so that runs compare. */
    if (prctl(PR_SET_TIMERSLACK, LG_TIMER_SLACK_NS, 0, 0, 0))
        fprintf(stderr, "loadgen: PR_SET_TIMERSLACK: %s\n", strerror(errno));
    if (o.pin && sched_setaffinity(0, sizeof o.cpus, &o.cpus)) {
        fprintf(stderr, "loadgen: --cpus: %s\n", strerror(errno));
        return 2;
    }
    sh.o = &o;
    sh.clk.interval_ns = o.closed ? 0 : (double)o.conns / o.rate * 1e9;
    if ((rc = lg_reqs_build(&o, &sh.reqs)))
        return rc; /* before the network: a bad --urls file is a bad option */
    if (main_resolve(&o) || main_nofile(&o))
        return 1;
    struct lg_thread *th = calloc(o.threads, sizeof *th);
    if (!th || pthread_barrier_init(&sh.ready, NULL, o.threads + 1) ||
        pthread_barrier_init(&sh.go, NULL, o.threads + 1)) {
        fprintf(stderr, "loadgen: setup: %s\n", strerror(errno));
        return 1;
    }
    hist_init(&total.corrected);
    hist_init(&total.uncorrected);
    hist_init(&total.lag);
    for (int k = 0; k < LG_CLASSES; k++)
        hist_init(&total.cls[k]);
    double cpu_s = 0;
    rc = main_run(&sh, th, &total, &cpu_s);
    if (rc == 0)
        main_print(&o, &total, cpu_s);
    free(th);
    lg_reqs_free(&sh.reqs);
    pthread_barrier_destroy(&sh.ready);
    pthread_barrier_destroy(&sh.go);
    return rc ? 1 : 0;
}
