/* reuseport: N reactor threads, each the epoll reactor (the epoll model's,
 * core/reactor.c) with its own listening socket on the same port
 * (SO_REUSEPORT); the kernel spreads new connections over the sockets by a
 * hash of the addresses. Nothing is shared between reactors but the
 * process: no lock, no hand-off, no herd.
 *
 * The main thread serves nothing. Signals reach it alone (the reactors are
 * created with them blocked and wait without them); on SIGTERM or SIGINT
 * it wakes every reactor through the reactor's eventfd, each sees the stop
 * and finishes as the epoll model does, and the main thread joins them and
 * prints the counters. A reactor whose wait fails signals the process, so
 * that the main thread stops the others and exits non-zero. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reactor_epoll.h"

static const struct server_model MODEL = {
    .name = "reuseport",
    .summary = "reactor threads, each with its own SO_REUSEPORT listener",
    .uses_workers = true,
    .reuseport = true,
};

struct rthread {
    struct reactor r;
    pthread_t thread;
    int stop_fd;           /* eventfd: the main thread writes it to stop us */
    bool running;          /* the thread was started */
    int rc;                /* reactor_run()'s */
};

/* The ring only wakes the wait; the reactor sees server_stopping(). */
static void on_stop_ring(struct reactor *r, void *arg)
{
    struct rthread *t = arg;
    uint64_t rings;
    (void)r;
    if (read(t->stop_fd, &rings, sizeof rings) < 0 && errno != EAGAIN)
        perror("reuseport: read eventfd");
}

static void *reactor_thread(void *arg)
{
    struct rthread *t = arg;
    if ((t->rc = reactor_run(&t->r)) < 0)
        kill(getpid(), SIGTERM); /* the main thread takes it and stops us all */
    return NULL;
}

/* Everything but the thread; takes ownership of listen_fd. Returns 0 or -1
 * with t->r.error. */
static int rthread_init(struct rthread *t, int listen_fd)
{
    if (reactor_init(&t->r, &reactor_epoll, listen_fd, sizeof(struct conn)) < 0)
        return -1;
    t->r.signals = false;
    t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->stop_fd < 0) {
        snprintf(t->r.error, sizeof t->r.error, "eventfd: %s", strerror(errno));
        return -1;
    }
    return reactor_watch(&t->r, t->stop_fd, on_stop_ring, t);
}

/* Wakes the started reactors, waits for them and frees them all. Returns
 * 1 after printing the first reactor's error, else 0. */
static int stop_reactors(struct rthread *ts, int n)
{
    uint64_t one = 1;
    int status = 0;
    for (int i = 0; i < n; i++)
        if (ts[i].running && write(ts[i].stop_fd, &one, sizeof one) < 0)
            perror("reuseport: write eventfd");
    for (int i = 0; i < n; i++) {
        if (ts[i].running)
            pthread_join(ts[i].thread, NULL);
        if (ts[i].rc < 0 && !status) {
            fprintf(stderr, "reuseport: reactor %d: %s\n", i, ts[i].r.error);
            status = 1;
        }
        reactor_free(&ts[i].r);
        if (ts[i].stop_fd >= 0)
            close(ts[i].stop_fd);
    }
    return status;
}

/* The core's socket (already SO_REUSEPORT) becomes reactor 0's; the others
 * bind the same address and port. Returns 0, or -1 after printing why. */
static int start_reactors(struct server *s, struct rthread *ts, int n)
{
    for (int i = 0; i < n; i++) {
        int fd = i == 0 ? s->listen_fd : server_listen_again(s);
        if (i == 0)
            s->listen_fd = -1; /* owned by reactor 0 now */
        if (fd < 0)
            return -1; /* server_listen_again said why */
        if (rthread_init(&ts[i], fd) < 0) {
            fprintf(stderr, "reuseport: reactor %d: %s\n", i, ts[i].r.error);
            return -1;
        }
        int err = pthread_create(&ts[i].thread, NULL, reactor_thread, &ts[i]);
        if (err) {
            fprintf(stderr, "reuseport: reactor %d: %s\n", i, strerror(err));
            return -1;
        }
        ts[i].running = true;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    int n = s.opts.workers;
    struct rthread *ts = calloc((size_t)n, sizeof *ts);
    if (!ts) {
        fprintf(stderr, "reuseport: setup: %s\n", strerror(errno));
        return 1;
    }
    for (int i = 0; i < n; i++)
        ts[i].stop_fd = ts[i].r.listen_fd = -1; /* nothing to close yet */
    bool ok = start_reactors(&s, ts, n) == 0;
    /* Signals are let in only inside sigsuspend, so none is lost between
     * the check and the wait. */
    while (ok && !server_stopping()) {
        sigsuspend(&server_waitmask);
        server_poll_signals();
    }
    int failed = stop_reactors(ts, n);
    free(ts);
    return !ok || failed ? 1 : server_finish(&s);
}
