/* select: one pselect(2) loop over two descriptor sets kept up to date as
 * connections change what they wait for, copied before each wait (select
 * overwrites its arguments) and scanned up to the highest descriptor after.
 *
 * An fd_set is a bitmap of FD_SETSIZE (1024) bits: FD_SET on a larger
 * descriptor writes past it. So a connection whose descriptor is at or above
 * the limit is closed unserved, counted as refused, with one warning. pselect
 * installs server_waitmask for the wait only, so a signal cannot slip in
 * between checking for it and going to sleep. */
#include <stdio.h>
#include <sys/select.h>

#include "clock.h"
#include "conn.h"
#include "server.h"
#include "timeouts.h"

static const struct server_model MODEL = {
    "select", "one pselect loop; descriptors above FD_SETSIZE are refused",
    false, false};

struct reactor {
    struct conn conns[FD_SETSIZE]; /* indexed by descriptor; fd -1 when free */
    fd_set rd, wr;         /* what each descriptor waits for */
    int max_fd;            /* highest descriptor in rd or wr, or -1 */
    int nconns;            /* open connections */
    bool warned;           /* the FD_SETSIZE warning was printed */
    struct timeouts tq;
};

static struct reactor r; /* 1024 conns: too big for the stack */

static void watch(struct reactor *rc, int fd, enum conn_want w)
{
    FD_CLR(fd, w == CONN_WANT_READ ? &rc->wr : &rc->rd);
    FD_SET(fd, w == CONN_WANT_READ ? &rc->rd : &rc->wr);
    if (fd > rc->max_fd)
        rc->max_fd = fd;
}

static void unwatch(struct reactor *rc, int fd)
{
    FD_CLR(fd, &rc->rd);
    FD_CLR(fd, &rc->wr);
    while (rc->max_fd >= 0 && !FD_ISSET(rc->max_fd, &rc->rd) &&
           !FD_ISSET(rc->max_fd, &rc->wr))
        rc->max_fd--;
}

static void drop(struct reactor *rc, struct conn *c)
{
    timeouts_remove(&rc->tq, &c->tq);
    unwatch(rc, c->fd);
    conn_close(c);
    rc->nconns--;
}

static void on_timeout(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    drop(arg, c);
}

static void conn_on_ready(struct reactor *rc, struct conn *c)
{
    enum conn_want w = conn_step(c);
    if (w == CONN_CLOSE) {
        drop(rc, c);
        return;
    }
    if (w != c->waiting) {
        watch(rc, c->fd, w);
        c->waiting = w;
    }
    conn_timeout_touch(&rc->tq, c);
}

static void accept_all(struct reactor *rc, int listen_fd)
{
    int fd;
    while ((fd = server_accept(listen_fd)) >= 0) {
        if (fd >= FD_SETSIZE) {
            if (!rc->warned)
                fprintf(stderr, "select: descriptor %d >= FD_SETSIZE (%d): refusing "
                        "connections above the limit\n", fd, FD_SETSIZE);
            rc->warned = true;
            server_refuse(fd);
            continue;
        }
        struct conn *c = &rc->conns[fd];
        conn_init(c, fd);
        c->waiting = CONN_WANT_READ;
        watch(rc, fd, CONN_WANT_READ);
        rc->nconns++;
        conn_timeout_touch(&rc->tq, c);
    }
}

/* On stop: no new connections; idle ones close now, busy ones finish. */
static void close_idle(struct reactor *rc)
{
    for (int fd = 0; fd <= rc->max_fd; fd++)
        if (rc->conns[fd].fd == fd && conn_is_idle(&rc->conns[fd]))
            drop(rc, &rc->conns[fd]);
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    if (s.listen_fd >= FD_SETSIZE) {
        fprintf(stderr, "select: listening descriptor %d >= FD_SETSIZE (%d)\n",
                s.listen_fd, FD_SETSIZE);
        return SERVER_EXIT_UNAVAILABLE;
    }
    for (int fd = 0; fd < FD_SETSIZE; fd++)
        r.conns[fd].fd = -1;
    FD_ZERO(&r.rd);
    FD_ZERO(&r.wr);
    r.max_fd = -1;
    FD_SET(s.listen_fd, &r.rd);
    r.max_fd = s.listen_fd;
    timeouts_init(&r.tq);

    bool stopped = false;
    while (!stopped || (r.nconns > 0 && !server_grace_over())) {
        int wait = stopped ? 100 : timeouts_next_ms(&r.tq, clock_now_ms());
        struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
        fd_set rd = r.rd, wr = r.wr;
        int n = pselect(r.max_fd + 1, &rd, &wr, NULL, wait < 0 ? NULL : &ts,
                        &server_waitmask);
        if (server_poll_signals() && !stopped) {
            unwatch(&r, s.listen_fd);
            server_close_listener(&s);
            close_idle(&r);
            stopped = true;
            continue; /* the sets returned may name closed descriptors */
        }
        /* Connections first, the listener last: a descriptor accepted now
         * may reuse one closed in this scan whose bit is still set. */
        for (int fd = 0; n > 0 && fd <= r.max_fd; fd++)
            if ((FD_ISSET(fd, &rd) || FD_ISSET(fd, &wr)) && r.conns[fd].fd == fd)
                conn_on_ready(&r, &r.conns[fd]);
        if (n > 0 && s.listen_fd >= 0 && FD_ISSET(s.listen_fd, &rd))
            accept_all(&r, s.listen_fd);
        timeouts_expire(&r.tq, clock_now_ms(), on_timeout, &r);
    }
    for (int fd = 0; fd < FD_SETSIZE; fd++)
        if (r.conns[fd].fd == fd)
            conn_close(&r.conns[fd]);
    return server_finish(&s);
}
