/* One loadgen thread and its connections (conn.c: a connection's life;
 * loop.c: the thread's event loop, timer heap and the window's accounting).
 *
 * A connection carries its place in the schedule (next_k) and a ring of
 * the requests in flight (due and send time of each). Requests that are due
 * while the ring is full are a count, not memory: they are the schedule
 * indices from next_k up to the current time. */
#ifndef LG_CONN_H
#define LG_CONN_H

#include <pthread.h>

#include "loadgen.h"

enum lg_conn_state { LG_CONNECTING, LG_OPEN, LG_WAIT_RETRY };

struct lg_slot {
    uint64_t due_ns;   /* when the schedule wanted it sent */
    uint64_t sent_ns;  /* when it was written */
    uint8_t cls;       /* its class (loadgen.h) */
};

struct lg_conn {
    int fd;               /* -1 while waiting to retry */
    uint8_t state;        /* enum lg_conn_state */
    bool watch_out;       /* EPOLLOUT registered (a write is incomplete) */
    uint32_t index;       /* global connection index: its phase */
    int32_t heap_at;      /* position in the thread's timer heap, -1 = none */
    uint32_t inflight;    /* requests sent, not answered (<= pipeline) */
    uint32_t oldest;      /* ring index of the oldest in flight */
    uint32_t wleft;       /* bytes of the last write not yet written */
    size_t wend;          /* where the last write ends in the request bytes */
    uint32_t carry_len;   /* bytes kept in carry */
    uint64_t answered;    /* responses on the current socket */
    uint64_t wake_ns;     /* heap key: next due time, or when to retry */
    uint64_t phase_ns;    /* phase_i of the schedule */
    uint64_t next_k;      /* schedule index of the next request to send */
    uint64_t cursor;      /* its place in the request sequence (mod reqs.n) */
    uint64_t free_ns;     /* when a slot last became free (for lag) */
    uint64_t opened_ns;   /* when the current connect started */
    struct resp resp;     /* framing state of the response being read */
    char *carry;          /* a partial head or chunk line, LG_CARRY_MAX, on demand */
    struct lg_slot *slots;  /* [pipeline] ring */
};

/* What the threads share, read-only once they run. */
struct lg_shared {
    const struct lg_opts *o;
    struct lg_clock clk;
    struct lg_reqs reqs;   /* the request bytes (loadgen.h) */
    bool abort;            /* a thread failed to set up: stop before sending */
    pthread_barrier_t ready, go;
};

struct lg_thread {
    pthread_t tid;
    struct lg_shared *sh;
    unsigned first;           /* global index of its first connection */
    unsigned n;               /* connections (first, first + T, ...) */
    unsigned open;            /* of them in LG_OPEN */
    bool running;             /* the schedule has started */
    int epfd;
    struct lg_conn *conns;
    struct lg_conn **heap;    /* min-heap on wake_ns */
    unsigned heap_n;
    char *rbuf;               /* LG_RBUF bytes, shared by its connections */
    struct lg_stats st;
    const char *failed;       /* the call that failed, or NULL */
    int failed_errno;
};

static inline bool lg_in_window(const struct lg_thread *t, uint64_t now)
{
    return now >= t->sh->clk.window_start && now < t->sh->clk.window_end;
}

/* Due time of request k of connection c (open loop). */
static inline uint64_t lg_due(const struct lg_thread *t, const struct lg_conn *c, uint64_t k)
{
    return t->sh->clk.t0 + c->phase_ns + (uint64_t)((double)k * t->sh->clk.interval_ns);
}

/* conn.c */
void lg_conn_open(struct lg_thread *t, struct lg_conn *c, uint64_t now);
void lg_conn_on_event(struct lg_thread *t, struct lg_conn *c, uint32_t events);
void lg_conn_on_timer(struct lg_thread *t, struct lg_conn *c, uint64_t now);
void lg_conn_send_due(struct lg_thread *t, struct lg_conn *c, uint64_t now);
void lg_conn_check_timeout(struct lg_thread *t, struct lg_conn *c, uint64_t now);
void lg_conn_close(struct lg_thread *t, struct lg_conn *c);

/* loop.c */
void lg_timer_set(struct lg_thread *t, struct lg_conn *c, uint64_t when);
void lg_timer_clear(struct lg_thread *t, struct lg_conn *c);
void lg_backlog_charge(struct lg_thread *t, uint64_t from);
void *lg_thread_main(void *arg);

#endif
