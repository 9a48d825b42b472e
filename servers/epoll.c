/* epoll: one level-triggered epoll reactor. Register a socket once, modify
 * its interest when the connection switches between reading and writing,
 * remove it before closing it (the original server crashed by unregistering
 * a descriptor it had already closed). */
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
    "epoll", "one level-triggered epoll reactor", false, false};

struct reactor {
    int ep;
    struct conn *conns;    /* indexed by descriptor */
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

static void conn_on_ready(struct reactor *r, struct conn *c)
{
    enum conn_want w = conn_step(c);
    if (w == CONN_CLOSE) {
        drop(r, c);
        return;
    }
    uint32_t events = w == CONN_WANT_READ ? EPOLLIN : EPOLLOUT;
    if (events != c->waiting) {
        struct epoll_event ev = {.events = events, .data.fd = c->fd};
        epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->waiting = events;
    }
    conn_timeout_touch(&r->tq, c);
}

static void accept_all(struct reactor *r, int listen_fd, int max_fd)
{
    int fd;
    while ((fd = server_accept(listen_fd)) >= 0) {
        if (fd >= max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
            server_refuse(fd);
            continue;
        }
        struct conn *c = &r->conns[fd];
        conn_init(c, fd);
        c->waiting = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            server_refuse(fd);
            continue;
        }
        r->nconns++;
        conn_timeout_touch(&r->tq, c);
    }
}

/* On stop: no new connections; idle ones close now, busy ones finish. */
static void close_idle(struct reactor *r, int max_fd)
{
    for (int fd = 0; fd < max_fd; fd++)
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
    int max_fd = rl.rlim_cur > (1 << 20) ? (1 << 20) : (int)rl.rlim_cur;
    struct reactor r = {.ep = epoll_create1(EPOLL_CLOEXEC),
                        .conns = calloc((size_t)max_fd, sizeof(struct conn))};
    if (r.ep < 0 || !r.conns) {
        fprintf(stderr, "epoll: setup: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < max_fd; i++)
        r.conns[i].fd = -1;
    timeouts_init(&r.tq);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s.listen_fd};
    epoll_ctl(r.ep, EPOLL_CTL_ADD, s.listen_fd, &ev);

    struct epoll_event events[EPOLL_BATCH];
    bool stopped = false;
    while (!stopped || (r.nconns > 0 && !server_grace_over())) {
        int64_t now = clock_now_ms();
        int wait = stopped ? 100 : timeouts_next_ms(&r.tq, now);
        int n = epoll_pwait(r.ep, events, EPOLL_BATCH, wait, &server_waitmask);
        if (server_poll_signals() && !stopped) {
            server_close_listener(&s); /* also leaves the epoll set */
            close_idle(&r, max_fd);
            stopped = true;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == s.listen_fd)
                accept_all(&r, fd, max_fd);
            else if (r.conns[fd].fd == fd)
                conn_on_ready(&r, &r.conns[fd]);
        }
        timeouts_expire(&r.tq, clock_now_ms(), on_timeout, &r);
    }
    for (int fd = 0; fd < max_fd; fd++)
        if (r.conns[fd].fd == fd)
            conn_close(&r.conns[fd]);
    free(r.conns);
    close(r.ep);
    return server_finish(&s);
}
