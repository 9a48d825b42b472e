/* nonblock: the busy-polling server. Non-blocking listening and client
 * sockets are kept in a list and tried in turn, forever: accept until none
 * is pending, then one conn_step() on every connection, round-robin. Nothing
 * ever waits, so this model keeps one CPU at 100% even with no client at
 * all: that is the point of showing it (the original reached about 20k
 * requests/s with 330 ms p99 at 256 connections, at full CPU).
 *
 * conn_step() returns at EAGAIN, so one turn per connection per pass is
 * bounded and every connection gets its turn. Timeouts use the core's lists:
 * a connection is touched only when its step moved something, and expiry is
 * checked once per pass, which pops only what is due. A request that waits
 * on the database is polled in turn too: libpq's non-blocking calls
 * (conn_backend_ready) on every pass, never a wait. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "reactor.h"

static const struct server_model MODEL = {
    .name = "nonblock",
    .summary = "busy polling of non-blocking sockets; burns a CPU even while idle",
};

struct entry {
    struct conn conn;      /* first: the timeouts hand back a struct conn */
    int slot;              /* position in the ring */
};

struct loop {
    struct entry *by_fd;   /* indexed by descriptor */
    int max_fd;            /* size of by_fd, from RLIMIT_NOFILE */
    int *ring;             /* descriptors of open connections, in turn order */
    int n;                 /* open connections */
    struct timeouts tq;
};

/* What any read, write or change of state alters. conn_step() says only what
 * to wait for, and a busy loop calls it on every pass whether or not the
 * client did anything, so a deadline is pushed back only when this differs
 * before and after the step. A whole request read and answered in one step
 * leaves the conn as it was, but not the bytes counter. */
struct mark {
    uint64_t bytes;
    int64_t skip_left;
    uint32_t in_len;
    uint8_t state;
};

static struct mark mark_of(const struct conn *c)
{
    return (struct mark){atomic_load_explicit(&server_counters->bytes,
                                              memory_order_relaxed),
                         c->skip_left, c->in_len, c->state};
}

static bool moved(struct mark a, struct mark b)
{
    return a.bytes != b.bytes || a.skip_left != b.skip_left ||
           a.in_len != b.in_len || a.state != b.state;
}

static void drop(struct loop *l, struct entry *e)
{
    int last = l->ring[--l->n]; /* the last descriptor fills the hole */
    l->ring[e->slot] = last;
    l->by_fd[last].slot = e->slot;
    timeouts_remove(&l->tq, &e->conn.tq);
    conn_close(&e->conn);
}

static void on_timeout(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    drop(arg, (struct entry *)c);
}

static void accept_all(struct loop *l, int listen_fd)
{
    int fd;
    while ((fd = server_accept(listen_fd)) >= 0) {
        if (fd >= l->max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
            server_refuse(fd);
            continue;
        }
        struct entry *e = &l->by_fd[fd];
        conn_init(&e->conn, fd);
        e->slot = l->n;
        l->ring[l->n++] = fd;
        conn_timeout_touch(&l->tq, &e->conn);
    }
}

/* One turn for every connection. A closed one's slot takes the last
 * descriptor, which then has its turn at that slot in this same pass. */
static void step_all(struct loop *l)
{
    for (int i = 0; i < l->n;) {
        struct entry *e = &l->by_fd[l->ring[i]];
        struct mark before = mark_of(&e->conn);
        enum conn_want w = conn_step(&e->conn);
        if (w == CONN_WANT_BACKEND) /* polled like a socket: libpq never blocks here */
            w = conn_backend_ready(&e->conn);
        if (w == CONN_CLOSE) {
            drop(l, e);
            continue;
        }
        if (moved(before, mark_of(&e->conn)))
            conn_timeout_touch(&l->tq, &e->conn);
        i++;
    }
}

/* On stop: no new connections; idle ones close now, busy ones finish. */
static void close_idle(void *arg)
{
    struct loop *l = arg;
    for (int i = 0; i < l->n;) {
        struct entry *e = &l->by_fd[l->ring[i]];
        if (conn_is_idle(&e->conn))
            drop(l, e);
        else
            i++;
    }
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    /* Nothing here ever waits with server_waitmask installed, so signals
     * must be deliverable all the time; a handler interrupting a recv or
     * send makes it fail with EINTR, which conn_step() retries. */
    server_unblock_signals();
    struct loop l = {0};
    l.by_fd = reactor_table_new(sizeof(struct entry), 0, &l.max_fd);
    l.ring = l.by_fd ? calloc((size_t)l.max_fd, sizeof *l.ring) : NULL;
    if (!l.by_fd || !l.ring) {
        fprintf(stderr, "nonblock: setup: %s\n", strerror(errno));
        return 1;
    }
    timeouts_init(&l.tq);
    conn_backend_drive(true);

    struct reactor_stop stop = {.srv = &s, .on_stop = close_idle, .arg = &l};
    while (reactor_stop_going(&stop, l.n)) {
        reactor_stop_poll(&stop);
        if (!stop.stopped)
            accept_all(&l, s.listen_fd);
        step_all(&l);
        while (conn_backend_granted())
            ; /* granted requests are polled in turn with the rest */
        timeouts_expire(&l.tq, clock_now_ms(), on_timeout, &l);
    }
    while (l.n > 0)
        drop(&l, &l.by_fd[l.ring[0]]);
    free(l.ring);
    free(l.by_fd);
    return server_finish(&s);
}
