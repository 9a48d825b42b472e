/* reuseport: N reactor threads, each with its own listening socket on the
 * same port (SO_REUSEPORT) and its own epoll loop; the kernel spreads new
 * connections over the sockets by a hash of the addresses. Nothing is shared
 * between reactors but the process: no lock, no hand-off, no herd.
 *
 * The main thread serves nothing. Signals reach it alone (the reactors are
 * created with them blocked); on SIGTERM or SIGINT it asks every reactor to
 * stop through the reactor's eventfd, joins them and prints the counters. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "server.h"
#include "timeouts.h"

#define EPOLL_BATCH 512 /* events taken per wait */

static const struct server_model MODEL = {
    "reuseport", "reactor threads, each with its own SO_REUSEPORT listener",
    true, true};

struct reactor {
    pthread_t thread;
    int ep;
    int listen_fd;         /* this reactor's own socket, -1 once stopped */
    int stop_fd;           /* eventfd: the main thread writes it to stop us */
    struct conn *conns;    /* indexed by descriptor; only this reactor's */
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

static void accept_all(struct reactor *r)
{
    int fd;
    while ((fd = server_accept(r->listen_fd)) >= 0) {
        if (fd >= r->max_fd) {
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

/* On stop: close our listener (the only descriptor of that socket, so it
 * also leaves the epoll set; connections still in its queue are reset, as
 * with any server that stops listening), then idle connections; busy ones
 * finish. */
static void reactor_stop(struct reactor *r)
{
    uint64_t one;
    if (read(r->stop_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        perror("reuseport: read eventfd");
    close(r->listen_fd);
    r->listen_fd = -1;
    for (int fd = 0; fd < r->max_fd; fd++)
        if (r->conns[fd].fd == fd && conn_is_idle(&r->conns[fd]))
            drop(r, &r->conns[fd]);
}

static void *reactor_run(void *arg)
{
    struct reactor *r = arg;
    struct epoll_event events[EPOLL_BATCH];
    bool stopped = false;
    while (!stopped || (r->nconns > 0 && !server_grace_over())) {
        int64_t now = clock_now_ms();
        int wait = stopped ? 100 : timeouts_next_ms(&r->tq, now);
        int n = epoll_wait(r->ep, events, EPOLL_BATCH, wait);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == r->stop_fd) {
                reactor_stop(r);
                stopped = true;
            } else if (fd == r->listen_fd) {
                accept_all(r);
            } else if (r->conns[fd].fd == fd) {
                conn_on_ready(r, &r->conns[fd]);
            }
        }
        timeouts_expire(&r->tq, clock_now_ms(), on_timeout, r);
    }
    for (int fd = 0; fd < r->max_fd; fd++)
        if (r->conns[fd].fd == fd)
            conn_close(&r->conns[fd]);
    return NULL;
}

static int watch(int ep, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Everything but the thread; takes ownership of listen_fd. */
static int reactor_init(struct reactor *r, int listen_fd, int max_fd)
{
    r->listen_fd = listen_fd;
    r->max_fd = max_fd;
    timeouts_init(&r->tq);
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    r->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    r->conns = calloc((size_t)max_fd, sizeof(struct conn));
    if (listen_fd < 0 || r->ep < 0 || r->stop_fd < 0 || !r->conns ||
        watch(r->ep, listen_fd) < 0 || watch(r->ep, r->stop_fd) < 0)
        return -1;
    for (int i = 0; i < max_fd; i++)
        r->conns[i].fd = -1;
    return 0;
}

static void reactor_free(struct reactor *r)
{
    if (r->listen_fd >= 0)
        close(r->listen_fd);
    if (r->ep >= 0)
        close(r->ep);
    if (r->stop_fd >= 0)
        close(r->stop_fd);
    free(r->conns);
}

/* Asks the first n reactors to stop and waits for them. */
static void stop_reactors(struct reactor *rs, int n)
{
    uint64_t one = 1;
    for (int i = 0; i < n; i++)
        if (write(rs[i].stop_fd, &one, sizeof one) < 0)
            perror("reuseport: write eventfd");
    for (int i = 0; i < n; i++)
        pthread_join(rs[i].thread, NULL);
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
    int n = s.opts.workers;
    struct reactor *rs = calloc((size_t)n, sizeof *rs);
    if (!rs) {
        fprintf(stderr, "reuseport: setup: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < n; i++)
        rs[i].listen_fd = rs[i].ep = rs[i].stop_fd = -1;
    /* The core's socket (already SO_REUSEPORT) becomes reactor 0's; the
     * others bind the same address and port. */
    int started = 0, err = 0;
    for (int i = 0; i < n && !err; i++) {
        int fd = i == 0 ? s.listen_fd : server_listen_again(&s);
        if (i == 0)
            s.listen_fd = -1; /* owned by reactor 0 now */
        if (reactor_init(&rs[i], fd, max_fd) < 0)
            err = errno ? errno : EINVAL;
        if (!err)
            err = pthread_create(&rs[i].thread, NULL, reactor_run, &rs[i]);
        if (!err)
            started++;
    }
    if (err)
        fprintf(stderr, "reuseport: reactor %d: %s\n", started, strerror(err));
    /* Signals are let in only inside sigsuspend, so none is lost between
     * the check and the wait. */
    while (!err && !server_stopping()) {
        sigsuspend(&server_waitmask);
        server_poll_signals();
    }
    stop_reactors(rs, started);
    for (int i = 0; i < n; i++)
        reactor_free(&rs[i]);
    free(rs);
    return err ? 1 : server_finish(&s);
}
