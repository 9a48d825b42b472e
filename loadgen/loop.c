/* One loadgen thread: its connections, a min-heap of their next wake-up
 * (the next due request, or a reconnect), one epoll set waited on with
 * epoll_pwait2 so that a timeout can be shorter than a millisecond, and the
 * accounting of the measured window's end (the backlog). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

/* Events taken per wait: enough to amortise the wait, few enough that due
 * timers do not queue long behind reads (64 x ~10 us per 16 KiB response). */
#define LG_EVENTS 64
#define LG_CONNECT_WAIT_NS 10000000000ull /* connections get 10 s to open before t0 */
#define LG_SWEEP_MIN_NS 1000000ull        /* timeouts are checked every timeout/4, */
#define LG_SWEEP_MAX_NS 100000000ull      /* but within 1 .. 100 ms */

uint64_t lg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void heap_place(struct lg_thread *t, struct lg_conn *c, unsigned i)
{
    t->heap[i] = c;
    c->heap_at = (int32_t)i;
}

static void heap_up(struct lg_thread *t, unsigned i)
{
    struct lg_conn *c = t->heap[i];
    while (i > 0 && t->heap[(i - 1) / 2]->wake_ns > c->wake_ns) {
        heap_place(t, t->heap[(i - 1) / 2], i);
        i = (i - 1) / 2;
    }
    heap_place(t, c, i);
}

static void heap_down(struct lg_thread *t, unsigned i)
{
    struct lg_conn *c = t->heap[i];
    for (;;) {
        unsigned m = 2 * i + 1;
        if (m >= t->heap_n)
            break;
        if (m + 1 < t->heap_n && t->heap[m + 1]->wake_ns < t->heap[m]->wake_ns)
            m++;
        if (t->heap[m]->wake_ns >= c->wake_ns)
            break;
        heap_place(t, t->heap[m], i);
        i = m;
    }
    heap_place(t, c, i);
}

void lg_timer_set(struct lg_thread *t, struct lg_conn *c, uint64_t when)
{
    if (c->heap_at < 0) {
        c->wake_ns = when;
        t->heap[t->heap_n++] = c;
        heap_up(t, t->heap_n - 1);
        return;
    }
    uint64_t old = c->wake_ns;
    c->wake_ns = when;
    if (when < old)
        heap_up(t, (unsigned)c->heap_at);
    else if (when > old)
        heap_down(t, (unsigned)c->heap_at);
}

void lg_timer_clear(struct lg_thread *t, struct lg_conn *c)
{
    if (c->heap_at < 0)
        return;
    unsigned i = (unsigned)c->heap_at;
    c->heap_at = -1;
    struct lg_conn *last = t->heap[--t->heap_n];
    if (i == t->heap_n)
        return;
    heap_place(t, last, i);
    heap_up(t, i);
    heap_down(t, (unsigned)last->heap_at);
}

/* Waits up to ns; epoll_wait's milliseconds (rounded up) where the kernel
 * has no epoll_pwait2 (before Linux 5.11). */
static int loop_wait(struct lg_thread *t, struct epoll_event *evs, uint64_t ns)
{
    static _Thread_local bool no_pwait2;
    if (!no_pwait2) {
        struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                              .tv_nsec = (long)(ns % 1000000000u)};
        int n = epoll_pwait2(t->epfd, evs, LG_EVENTS, &ts, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        no_pwait2 = true;
    }
    return epoll_wait(t->epfd, evs, LG_EVENTS, (int)((ns + 999999) / 1000000));
}

/* Serves timers and events until `until`, or, while connecting, until every
 * connection is open. -1 if waiting fails (errno set). */
static int loop_run(struct lg_thread *t, uint64_t until, bool connecting)
{
    struct epoll_event evs[LG_EVENTS];
    uint64_t sweep = t->sh->o->timeout_ns / 4;
    sweep = sweep < LG_SWEEP_MIN_NS ? LG_SWEEP_MIN_NS
          : sweep > LG_SWEEP_MAX_NS ? LG_SWEEP_MAX_NS : sweep;
    uint64_t now = lg_now(), next_sweep = now + sweep;
    while (now < until && !(connecting && t->open == t->n)) {
        /* Only what is due now: at a high rate, timers that fall due while
         * these are served wait for the next turn, after the reads. */
        uint64_t tick = now;
        while (t->heap_n && t->heap[0]->wake_ns <= tick) {
            struct lg_conn *c = t->heap[0];
            lg_timer_clear(t, c);
            lg_conn_on_timer(t, c, now);
            now = lg_now();
        }
        if (now >= next_sweep) {
            for (unsigned i = 0; i < t->n; i++)
                lg_conn_check_timeout(t, &t->conns[i], now);
            next_sweep = now + sweep;
        }
        uint64_t wake = until < next_sweep ? until : next_sweep;
        if (t->heap_n && t->heap[0]->wake_ns < wake)
            wake = t->heap[0]->wake_ns;
        int n = loop_wait(t, evs, wake > now ? wake - now : 0);
        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < n; i++)
            lg_conn_on_event(t, evs[i].data.ptr, evs[i].events);
        now = lg_now();
    }
    return 0;
}

/* A request due (closed loop: sent) at `from` inside the window and not
 * answered by its end: counted as backlog, and charged to the corrected
 * histogram at its age at the end (a lower bound), so that a server stalling
 * at the end is not let off. */
void lg_backlog_charge(struct lg_thread *t, uint64_t from)
{
    uint64_t ws = t->sh->clk.window_start, we = t->sh->clk.window_end;
    if (from < ws || from >= we)
        return;
    t->st.backlog++;
    hist_record(&t->st.corrected, we - from);
    if (t->sh->o->closed)  /* corrected and uncorrected are the same there */
        hist_record(&t->st.uncorrected, we - from);
}

/* At the window's end: the requests in flight, and in open loop the ones
 * queued behind them that fell due in the window. */
static void loop_backlog(struct lg_thread *t)
{
    const struct lg_opts *o = t->sh->o;
    for (unsigned i = 0; i < t->n; i++) {
        struct lg_conn *c = &t->conns[i];
        for (uint32_t j = 0; j < c->inflight; j++) {
            const struct lg_slot *s = &c->slots[(c->oldest + j) % o->pipeline];
            lg_backlog_charge(t, o->closed ? s->sent_ns : s->due_ns);
        }
        uint64_t due;
        for (uint64_t k = c->next_k; !o->closed && (due = lg_due(t, c, k)) < t->sh->clk.window_end; k++)
            lg_backlog_charge(t, due);
    }
}

/* splitmix64 (Steele et al.): a reproducible phase per connection index. */
static double loop_uniform(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + (index + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;  /* [0, 1) */
}

static int loop_setup(struct lg_thread *t)
{
    const struct lg_opts *o = t->sh->o;
    struct lg_slot *slots = calloc((size_t)t->n * o->pipeline, sizeof *slots);
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->conns = calloc(t->n, sizeof *t->conns);
    t->heap = calloc(t->n, sizeof *t->heap);
    t->rbuf = malloc(LG_RBUF);
    if (!slots || t->epfd < 0 || !t->conns || !t->heap || !t->rbuf) {
        free(slots);
        t->failed = t->epfd < 0 ? "epoll_create1" : "malloc";
        t->failed_errno = errno;
        return -1;
    }
    for (unsigned i = 0; i < t->n; i++) {
        struct lg_conn *c = &t->conns[i];
        c->fd = -1;
        c->heap_at = -1;
        c->index = t->first + i * o->threads;
        c->phase_ns = (uint64_t)(loop_uniform(o->seed, c->index) * t->sh->clk.interval_ns);
        /* Spread evenly over the sequence: every connection its own part. */
        c->cursor = (uint64_t)((unsigned __int128)c->index * t->sh->reqs.n / o->conns);
        c->slots = slots + (size_t)i * o->pipeline;
        c->state = LG_WAIT_RETRY;
        resp_init(&c->resp);
    }
    return 0;
}

static void loop_cleanup(struct lg_thread *t)
{
    if (t->conns) {
        for (unsigned i = 0; i < t->n; i++) {
            if (t->conns[i].fd >= 0)
                close(t->conns[i].fd);
            free(t->conns[i].carry);
        }
        free(t->conns[0].slots);
    }
    if (t->epfd >= 0)
        close(t->epfd);
    free(t->conns);
    free(t->heap);
    free(t->rbuf);
}

void *lg_thread_main(void *arg)
{
    struct lg_thread *t = arg;
    struct lg_shared *sh = t->sh;
    if (loop_setup(t) == 0) {
        uint64_t now = lg_now();
        for (unsigned i = 0; i < t->n; i++)
            lg_conn_open(t, &t->conns[i], now);
        if (loop_run(t, now + LG_CONNECT_WAIT_NS, true)) {
            t->failed = "epoll_pwait2";
            t->failed_errno = errno;
        }
    }
    pthread_barrier_wait(&sh->ready);
    pthread_barrier_wait(&sh->go);  /* main has set the clock */
    /* The open loop's first requests are due from t0 on; the closed loop
     * has no schedule, so it waits for t0 here (--start-at: several hosts
     * start together), serving only reconnects meanwhile. */
    if (!sh->abort && sh->o->closed && loop_run(t, sh->clk.t0, false))
        t->failed = "epoll_pwait2";
    if (!sh->abort) {
        t->running = true;
        uint64_t now = lg_now();
        for (unsigned i = 0; i < t->n; i++)
            lg_conn_send_due(t, &t->conns[i], now);
        if (loop_run(t, sh->clk.window_end, false)) {
            t->failed = "epoll_pwait2";
            t->failed_errno = errno;
        }
        loop_backlog(t);
    }
    loop_cleanup(t);
    return NULL;
}
