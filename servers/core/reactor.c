/* The reactor skeleton: see reactor.h. */
#include "reactor.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "reactor_int.h"

/* In c->waiting while a thread pool's worker has the connection (beside
 * what it is registered for): the reactor neither steps, re-arms, times out
 * nor closes it. */
#define REACTOR_AWAY 0x100u

/* --- helpers shared with loops of their own ------------------------------- */

bool reactor_going(bool stopped, int nconns)
{
    return !stopped || (nconns > 0 && !server_grace_over());
}

int reactor_wait_ms(bool stopped, const struct timeouts *t)
{
    return stopped ? REACTOR_STOP_CHECK_MS : timeouts_next_ms(t, clock_now_ms());
}

bool reactor_stop_poll(struct reactor_stop *st)
{
    bool stopping = st->flag_only ? server_stopping() : server_poll_signals();
    if (!stopping || st->stopped)
        return false;
    st->stopped = true;
    if (st->on_stop)
        st->on_stop(st->arg);
    if (st->srv)
        server_close_listener(st->srv);
    return true;
}

bool reactor_stop_going(const struct reactor_stop *st, int nconns)
{
    return reactor_going(st->stopped, nconns);
}

int reactor_stop_wait_ms(const struct reactor_stop *st, const struct timeouts *t)
{
    return reactor_wait_ms(st->stopped, t);
}

int reactor_table_size(int max)
{
    struct rlimit rl;
    int size = REACTOR_MAX_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)size)
        size = (int)rl.rlim_cur;
    return max > 0 && max < size ? max : size;
}

void *reactor_table_new(size_t slot, int max, int *n)
{
    int size = reactor_table_size(max);
    char *table = calloc((size_t)size, slot);
    if (!table)
        return NULL;
    for (int fd = 0; fd < size; fd++)
        ((struct conn *)(void *)(table + (size_t)fd * slot))->fd = -1;
    *n = size;
    return table;
}

/* --- errors --------------------------------------------------------------- */

/* Records the first failure; the loop ends at the next check. */
static void fail(struct reactor *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    int err = errno;
    char what[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->error, sizeof r->error, "%s: %s", what, strerror(err));
    r->failed = true;
}

static int arm_flags(const struct reactor *r, int events)
{
    return events | (r->edge ? REACTOR_EDGE : 0);
}

/* --- connections ----------------------------------------------------------- */

void reactor_drop(struct reactor *r, struct conn *c)
{
    timeouts_remove(&r->tq, &c->tq);
    if (c->waiting & REACTOR_BACKEND) /* its socket is not in the backend */
        reactor_backend_disarm(r, c);
    else if (r->be->del(r, c->fd) < 0)
        fail(r, "%s (delete fd %d)", r->be->ctl_call, c->fd);
    conn_close(c);
    r->nconns--;
}

void reactor_act(struct reactor *r, struct conn *c, enum conn_want w)
{
    c->waiting &= ~REACTOR_AWAY; /* the reactor's (again) */
    if (w == CONN_WANT_BACKEND) {
        reactor_backend_wait(r, c);
        return;
    }
    if ((c->waiting & REACTOR_BACKEND) && reactor_backend_leave(r, c, w) < 0)
        return;
    if (w == CONN_WANT_READ || w == CONN_WANT_WRITE) {
        unsigned events = w == CONN_WANT_READ ? REACTOR_READ : REACTOR_WRITE;
        if (events != c->waiting) {
            if (r->be->modify(r, c->fd, arm_flags(r, (int)events)) < 0) {
                fail(r, "%s (modify fd %d)", r->be->ctl_call, c->fd);
                reactor_drop(r, c);
                return;
            }
            c->waiting = events;
        }
        conn_timeout_touch(&r->tq, c);
    } else if (w == CONN_WANT_WORK && r->on_work) {
        timeouts_remove(&r->tq, &c->tq); /* the worker may hold it past any deadline */
        c->waiting |= REACTOR_AWAY; /* and still registered as it was */
        r->on_work(r, c);
    } else {
        reactor_drop(r, c);
    }
}

static void on_expired(struct timeout_link *l, void *arg)
{
    reactor_drop(arg, conn_of_timeout(l));
}

/* A descriptor beyond the table (or the backend's limit): closed unserved,
 * counted as refused, with one warning naming the limit. */
static void refuse_over_limit(struct reactor *r, int fd)
{
    if (!r->warned && r->be->limit)
        fprintf(stderr, "%s: descriptor %d >= %s (%d): refusing connections above "
                "the limit\n", server_name(), fd, r->be->limit, r->be->max_fds);
    r->warned = true;
    server_refuse(fd);
}

/* Takes a new connection into the table and the backend. */
static void take_conn(struct reactor *r, int fd)
{
    if (fd >= r->max_fd) {
        refuse_over_limit(r, fd);
        return;
    }
    struct conn *c = reactor_conn(r, fd);
    conn_init(c, fd);
    c->edge_triggered = r->be->edge_triggered;
    c->handoff = r->on_work != NULL;
    if (r->be->add(r, fd, arm_flags(r, REACTOR_READ)) < 0) {
        if (errno != ENOMEM && errno != ENOSPC) /* not a shortage: a broken loop */
            fail(r, "%s (add fd %d)", r->be->ctl_call, fd);
        c->fd = -1;
        server_refuse(fd);
        return;
    }
    c->waiting = REACTOR_READ;
    r->nconns++;
    conn_timeout_touch(&r->tq, c);
}

/* A level-triggered listener is reported again while connections wait, so
 * a batch keeps a flood from starving the connections already open; an
 * edge-triggered one must be drained. */
static void accept_batch(struct reactor *r)
{
    int batch = r->be->edge_triggered ? INT_MAX : SERVER_ACCEPT_BATCH;
    int fd;
    for (int i = 0; i < batch && !r->failed && (fd = server_accept(r->listen_fd)) >= 0; i++)
        take_conn(r, fd);
}

static void on_fired(struct reactor *r, int fd, bool hup)
{
    if (fd == r->listen_fd) {
        accept_batch(r);
        return;
    }
    struct conn *db_waiter = reactor_backend_conn(r, fd);
    if (db_waiter) {
        reactor_backend_fired(r, db_waiter);
        return;
    }
    for (int i = 0; i < r->nwatch; i++) {
        if (fd == r->watch[i].fd) {
            r->watch[i].on_ready(r, r->watch[i].arg);
            return;
        }
    }
    struct conn *c = fd >= 0 && fd < r->max_fd ? reactor_conn(r, fd) : NULL;
    if (!c || c->fd != fd)
        return; /* closed since the wait reported it */
    if (c->waiting & REACTOR_AWAY) {
        if (r->on_away)
            r->on_away(r, c);
        return;
    }
    enum conn_want w = conn_step(c);
    if (hup && r->edge) {
        /* The peer's FIN came with what was read, and an edge is not
         * reported again: the core stopped at a short read, so read on to
         * see the end (now, or once the pool gives c back). */
        if (w == CONN_WANT_READ)
            w = conn_step(c);
        else if (w == CONN_WANT_WORK && r->on_away)
            r->on_away(r, c);
    }
    reactor_act(r, c, w);
}

/* --- the loop ------------------------------------------------------------------ */

/* No new connections; idle ones close now, busy ones finish. */
static void stop_serving(void *arg)
{
    struct reactor *r = arg;
    if (r->listen_fd >= 0) {
        /* Leaving the backend first: a listener other processes share
         * stays open, and epoll forgets an entry only when the last
         * descriptor of its socket closes. */
        if (r->be->del(r, r->listen_fd) < 0)
            fail(r, "%s (delete listener fd %d)", r->be->ctl_call, r->listen_fd);
        close(r->listen_fd);
        r->listen_fd = -1;
    }
    for (int fd = 0; fd < r->max_fd; fd++) {
        struct conn *c = reactor_conn(r, fd);
        if (c->fd == fd && !(c->waiting & REACTOR_AWAY) && conn_is_idle(c))
            reactor_drop(r, c);
    }
}

int reactor_run(struct reactor *r)
{
    /* The listener joins here, once the model has set shared_listener. */
    if (r->be->add(r, r->listen_fd,
                   REACTOR_READ | (r->shared_listener ? REACTOR_EXCLUSIVE : 0)) < 0) {
        fail(r, "%s (add listener fd %d)", r->be->ctl_call, r->listen_fd);
        return -1;
    }
    struct reactor_stop stop = {.on_stop = stop_serving, .arg = r,
                                .flag_only = !r->signals};
    conn_backend_drive(!r->on_work); /* a pool's workers use the sync face */
    while (!r->failed && reactor_stop_going(&stop, r->nconns)) {
        int ms = reactor_stop_wait_ms(&stop, &r->tq);
        if (r->max_wait_ms > 0 && (ms < 0 || ms > r->max_wait_ms))
            ms = r->max_wait_ms;
        int n = r->be->wait(r, ms);
        if (n < 0) {
            fail(r, "%s", r->be->wait_call);
            break;
        }
        reactor_stop_poll(&stop); /* what was reported is looked up again */
        for (int i = 0; i < n && !r->failed; i++)
            on_fired(r, r->fired[i], r->fired_hup[i]);
        reactor_backend_granted(r);
        if (r->on_turn_end)
            r->on_turn_end(r);
        timeouts_expire(&r->tq, clock_now_ms(), on_expired, r);
    }
    if (!r->failed && r->nconns == 0) /* a reactor thread's pool ends with it */
        db_loop_close();
    return r->failed ? -1 : 0;
}

/* --- setup ------------------------------------------------------------------ */

int reactor_init(struct reactor *r, const struct reactor_backend *be, int listen_fd,
                 size_t slot)
{
    memset(r, 0, sizeof *r);
    r->be = be;
    r->listen_fd = listen_fd;
    r->slot = slot;
    r->signals = true;
    timeouts_init(&r->tq);
    r->table = reactor_table_new(slot, be->max_fds, &r->max_fd);
    size_t nfired = (size_t)(be->batch ? be->batch : r->max_fd);
    if (r->table) {
        r->fired = malloc(sizeof *r->fired * nfired);
        r->fired_hup = calloc(nfired, sizeof *r->fired_hup);
    }
    if (!r->table || !r->fired || !r->fired_hup) {
        fail(r, "connection table");
    } else if (listen_fd >= r->max_fd) {
        errno = EMFILE;
        fail(r, "listening descriptor %d >= %s (%d)", listen_fd,
             be->limit ? be->limit : "RLIMIT_NOFILE", r->max_fd);
    } else if (be->open(r) < 0) {
        fail(r, "%s", be->open_call);
    }
    if (!r->failed)
        return 0;
    reactor_free(r);
    return -1;
}

int reactor_watch(struct reactor *r, int fd, void (*on_ready)(struct reactor *, void *),
                  void *arg)
{
    if (r->nwatch == REACTOR_WATCH_MAX || fd >= r->max_fd) {
        errno = EINVAL;
        fail(r, "watch fd %d", fd);
        return -1;
    }
    if (r->be->add(r, fd, REACTOR_READ) < 0) {
        fail(r, "%s (add fd %d)", r->be->ctl_call, fd);
        return -1;
    }
    r->watch[r->nwatch++] = (struct reactor_watch){fd, on_ready, arg};
    return 0;
}

void reactor_free(struct reactor *r)
{
    for (int fd = 0; r->table && fd < r->max_fd; fd++) {
        struct conn *c = reactor_conn(r, fd);
        if (c->fd == fd)
            conn_close(c);
    }
    if (r->listen_fd >= 0)
        close(r->listen_fd);
    r->listen_fd = -1;
    if (r->be_state)
        r->be->close(r);
    r->be_state = NULL;
    free(r->table);
    free(r->fired);
    free(r->fired_hup);
    free(r->backend_of);
    r->backend_of = NULL;
    r->table = NULL;
    r->fired = NULL;
    r->fired_hup = NULL;
}

int reactor_main(const struct server_model *m, const struct reactor_backend *be,
                 int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, m, argc, argv);
    if (st)
        return st;
    struct reactor r;
    int listen_fd = s.listen_fd;
    s.listen_fd = -1; /* the reactor's now */
    if (reactor_init(&r, be, listen_fd, sizeof(struct conn)) < 0) {
        fprintf(stderr, "%s: setup: %s\n", m->name, r.error);
        return 1;
    }
    int rc = reactor_run(&r);
    reactor_free(&r);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", m->name, r.error);
        return 1;
    }
    return server_finish(&s);
}
