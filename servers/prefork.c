/* prefork: a pool of worker processes, each the epoll reactor (the epoll
 * model's, core/reactor.c) over the one listening socket they all inherit
 * (the tutorials' closing advice: combine I/O multiplexing with a pool of
 * processes; nginx works this way). What it teaches is the supervisor below.
 *
 * Every worker adds the shared listener to its own epoll set with
 * EPOLLEXCLUSIVE, so a new connection wakes one waiting worker (sometimes a
 * few), not all of them: no thundering herd. The parent serves nothing: it
 * forks the workers, replaces one that dies, forwards SIGTERM/SIGINT, reaps
 * them and prints the counters, which live in shared memory and so already
 * add up every worker's traffic. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "reactor_epoll.h"

#define WORKER_MIN_LIFE_MS 1000  /* a worker dying younger is replaced this late */
#define STRAGGLER_MS 1000        /* after a worker's own grace, before SIGKILL */

static const struct server_model MODEL = {
    .name = "prefork",
    .summary = "worker processes, each an epoll reactor on one shared listener",
    .uses_workers = true,
};

/* ---- a worker: the epoll reactor on the shared listener ------------------ */

/* The worker's life; returns its exit status. It never prints the counters:
 * that is the parent's job, once, for all workers. The listener is shared,
 * so the reactor registers it with EPOLLEXCLUSIVE and, on stop, leaves it to
 * the others before closing its own descriptor. */
static int worker_run(struct server *s)
{
    struct reactor r;
    if (reactor_init(&r, &reactor_epoll, s->listen_fd, sizeof(struct conn)) < 0) {
        fprintf(stderr, "prefork: worker %d: setup: %s\n", (int)getpid(), r.error);
        return 1;
    }
    s->listen_fd = -1; /* the reactor's now */
    r.shared_listener = true;
    int rc = reactor_run(&r);
    if (rc < 0)
        fprintf(stderr, "prefork: worker %d: %s\n", (int)getpid(), r.error);
    reactor_free(&r);
    return rc < 0 ? 1 : 0;
}

/* ---- the parent: fork, replace, stop, reap ------------------------------ */

struct worker {
    pid_t pid;             /* 0: the slot is empty */
    int64_t started_ms;    /* when it was forked */
    int64_t respawn_ms;    /* empty slot: when to fork its replacement */
};

static struct worker *workers;
static int nworkers;
static pid_t parent_pid;

static void spawn(struct server *s, struct worker *w)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGCHLD, SIG_DFL);
        /* A worker outliving a killed parent stops as if told to. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent_pid)
            raise(SIGTERM); /* blocked: taken by the first wait */
        _exit(worker_run(s)); /* _exit: stdio buffers are the parent's */
    }
    if (pid < 0) { /* try again later rather than give up serving */
        fprintf(stderr, "prefork: fork: %s\n", strerror(errno));
        w->respawn_ms = clock_now_ms() + WORKER_MIN_LIFE_MS;
        return;
    }
    w->pid = pid;
    w->started_ms = clock_now_ms();
}

static void describe_exit(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
}

/* Reaps every worker that has exited. While serving, each gets a
 * replacement: at once, or WORKER_MIN_LIFE_MS after it started if it died
 * younger, so that a worker that cannot start does not become a fork loop. */
static int reap(void)
{
    int live = 0, status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nworkers; i++) {
            struct worker *w = &workers[i];
            if (w->pid != pid)
                continue;
            w->pid = 0;
            if (server_stopping())
                break;
            char why[64];
            describe_exit(status, why, sizeof why);
            int64_t now = clock_now_ms(), soonest = w->started_ms + WORKER_MIN_LIFE_MS;
            w->respawn_ms = soonest > now ? soonest : now;
            fprintf(stderr, "prefork: worker %d %s; starting a new one%s\n", (int)pid,
                    why, soonest > now ? " in a moment" : "");
            break;
        }
    }
    for (int i = 0; i < nworkers; i++)
        live += workers[i].pid != 0;
    return live;
}

/* Forks what is due; returns ms until the next empty slot is due, or -1. */
static int respawn_due(struct server *s)
{
    int next = -1;
    for (int i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        if (w->pid)
            continue;
        int64_t left = w->respawn_ms - clock_now_ms();
        if (left <= 0)
            spawn(s, w);
        if (!w->pid) {
            int ms = left > 0 ? (int)left : WORKER_MIN_LIFE_MS;
            next = next < 0 || ms < next ? ms : next;
        }
    }
    return next;
}

/* Workers stop as the epoll model does (stop accepting, close idle
 * connections, finish busy ones within SERVER_GRACE_MS); stragglers past
 * that are killed. */
static void stop_workers(struct server *s)
{
    server_close_listener(s); /* no replacements any more */
    for (int i = 0; i < nworkers; i++)
        if (workers[i].pid)
            kill(workers[i].pid, SIGTERM);
    int64_t until = clock_now_ms() + SERVER_GRACE_MS + STRAGGLER_MS;
    int live;
    while ((live = reap()) > 0 && clock_now_ms() < until)
        if (server_wait(-1, 0, (int)(until - clock_now_ms())) < 0)
            break; /* the stragglers are killed below */
    for (int i = 0; live > 0 && i < nworkers; i++) {
        if (workers[i].pid) {
            kill(workers[i].pid, SIGKILL);
            waitpid(workers[i].pid, NULL, 0);
            workers[i].pid = 0;
        }
    }
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    nworkers = s.opts.workers;
    workers = calloc((size_t)nworkers, sizeof *workers);
    if (!workers) {
        fprintf(stderr, "prefork: setup: %s\n", strerror(errno));
        return 1;
    }
    parent_pid = getpid();
    /* SIGCHLD, like SIGTERM, is blocked except inside the wait below, so a
     * worker's death between the checks and the wait is not missed. */
    if (server_watch_children() < 0) {
        fprintf(stderr, "prefork: SIGCHLD: %s\n", strerror(errno));
        return 1;
    }

    while (!server_stopping()) {
        int next = respawn_due(&s);
        /* No descriptor (poll ignores a negative one): this waits only for
         * a signal (a worker's death, SIGTERM, SIGUSR1) or the next respawn. */
        if (server_wait(-1, 0, next) < 0) {
            fprintf(stderr, "prefork: ppoll: %s\n", strerror(errno));
            break;
        }
        reap();
    }
    bool failed = !server_stopping();
    stop_workers(&s);
    free(workers);
    return failed ? 1 : server_finish(&s);
}
