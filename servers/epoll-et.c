/* epoll-et: one edge-triggered epoll reactor. Each socket is registered once
 * for both directions with EPOLLET and never modified: an edge is reported
 * when new input arrives or send space opens up, and never again for the
 * same readiness. So every handler must drain until EAGAIN or it may wait
 * forever: conn_step() reads and writes until EAGAIN (a pipelined burst
 * larger than one read included), and the listener accepts until EAGAIN.
 *
 * With both directions registered, an event calls conn_step(), which knows
 * whether it is reading or writing, unless the edge is only for the
 * direction the connection does not wait for. At EMFILE,
 * server_accept() closes every pending connection through its reserved
 * descriptor before returning EAGAIN, so the backlog is empty and the next
 * client makes a new edge: the listener neither spins nor goes deaf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "server.h"
#include "timeouts.h"

#define EPOLL_BATCH 512 /* events taken per wait */

static const struct server_model MODEL = {
    "epoll-et", "one edge-triggered epoll reactor, every socket drained to EAGAIN",
    false, false};

struct reactor {
    int ep;
    struct conn *conns;    /* indexed by descriptor */
    int max_fd;            /* size of conns, from RLIMIT_NOFILE */
    int nconns;            /* open connections */
    struct timeouts tq;
};

static void drop(struct reactor *r, struct conn *c)
{
    timeouts_remove(&r->tq, &c->tq);
    epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
    conn_close(c);
    r->nconns--;
}

static void on_timeout(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    drop(arg, c);
}

/* An edge for the direction the connection does not wait for changes
 * nothing (send space while it reads; input while its response is stuck,
 * which the step after the next EPOLLOUT reads): skip the step that would
 * only find EAGAIN. Errors and hang-ups always step. */
static void conn_on_event(struct reactor *r, struct conn *c, uint32_t events)
{
    uint32_t wanted = c->waiting | EPOLLERR | EPOLLHUP | EPOLLRDHUP;
    if (!(events & wanted))
        return;
    enum conn_want w = conn_step(c);
    if (w == CONN_CLOSE) {
        drop(r, c);
        return;
    }
    c->waiting = w == CONN_WANT_READ ? EPOLLIN : EPOLLOUT;
    conn_timeout_touch(&r->tq, c);
}

static void accept_all(struct reactor *r, int listen_fd)
{
    int fd;
    while ((fd = server_accept(listen_fd)) >= 0) { /* until EAGAIN */
        if (fd >= r->max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
            server_refuse(fd);
            continue;
        }
        struct conn *c = &r->conns[fd];
        conn_init(c, fd);
        c->edge_triggered = true; /* no edge will say more input is there */
        c->waiting = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.fd = fd};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            server_refuse(fd);
            continue;
        }
        r->nconns++;
        /* Registration reports the current state as a first edge, so a
         * request already received is stepped from that event. */
        conn_timeout_touch(&r->tq, c);
    }
}

/* On stop: no new connections; idle ones close now, busy ones finish. */
static void close_idle(struct reactor *r)
{
    for (int fd = 0; fd < r->max_fd; fd++)
        if (r->conns[fd].fd == fd && conn_is_idle(&r->conns[fd]))
            drop(r, &r->conns[fd]);
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct reactor r = {.ep = epoll_create1(EPOLL_CLOEXEC),
                        .max_fd = rl.rlim_cur > (1 << 20) ? (1 << 20) : (int)rl.rlim_cur};
    r.conns = calloc((size_t)r.max_fd, sizeof *r.conns);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = s.listen_fd};
    if (r.ep < 0 || !r.conns || epoll_ctl(r.ep, EPOLL_CTL_ADD, s.listen_fd, &ev) < 0) {
        fprintf(stderr, "epoll-et: setup: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < r.max_fd; i++)
        r.conns[i].fd = -1;
    timeouts_init(&r.tq);

    struct epoll_event events[EPOLL_BATCH];
    bool stopped = false;
    while (!stopped || (r.nconns > 0 && !server_grace_over())) {
        int wait = stopped ? 100 : timeouts_next_ms(&r.tq, clock_now_ms());
        int n = epoll_pwait(r.ep, events, EPOLL_BATCH, wait, &server_waitmask);
        if (server_poll_signals() && !stopped) {
            server_close_listener(&s); /* also leaves the epoll set */
            close_idle(&r);
            stopped = true;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == s.listen_fd)
                accept_all(&r, fd);
            else if (fd >= 0 && fd < r.max_fd && r.conns[fd].fd == fd)
                conn_on_event(&r, &r.conns[fd], events[i].events);
        }
        timeouts_expire(&r.tq, clock_now_ms(), on_timeout, &r);
    }
    for (int fd = 0; fd < r.max_fd; fd++)
        if (r.conns[fd].fd == fd)
            conn_close(&r.conns[fd]);
    free(r.conns);
    close(r.ep);
    return server_finish(&s);
}
