/* The reactor every readiness model shares, in the shape of redis ae.c: one
 * loop over a small backend interface (add, modify, delete, wait), so that a
 * model file shows only how it waits.
 *
 *   return reactor_main(&MODEL, &my_backend, argc, argv);   // a whole model
 *
 * or, for a model that adds to it (prefork, reuseport, threadpool):
 *
 *   struct reactor r;
 *   if (reactor_init(&r, &reactor_epoll, listen_fd, sizeof(struct conn)) < 0)
 *       fail with r.error;
 *   reactor_watch(&r, fd, on_ready, arg);   // an eventfd of the model's own
 *   if (reactor_run(&r) < 0) fail with r.error;
 *   reactor_free(&r);
 *
 * The loop: wait (at most until the nearest timeout), then for each ready
 * descriptor: the listener accepts a batch into the connection table
 * (indexed by descriptor, sized from RLIMIT_NOFILE); a connection runs
 * conn_step() and is re-armed for what it wants next, or dropped; expired
 * timeouts close theirs. On SIGTERM or SIGINT the listener closes, idle
 * connections close, busy ones finish within SERVER_GRACE_MS.
 *
 * Requests that wait on the database (conn.h): the client's socket leaves
 * the backend while its request waits, and the database connection's
 * socket joins it for what libpq wants (reactor_backend.c); the reactor
 * drives db.h's completion face unless the model hands requests off.
 *
 * Errors: a wait or registration that fails (other than EINTR) ends the loop
 * with reactor_run() returning -1 and r.error naming the call and the cause;
 * the model prints it and exits non-zero. A connection the backend cannot
 * take for lack of memory or descriptor room is refused, not fatal. */
#ifndef REACTOR_H
#define REACTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "server.h"
#include "timeouts.h"

#define REACTOR_STOP_CHECK_MS 100 /* after a stop: how often the grace period is checked */
#define REACTOR_WATCH_MAX 2      /* descriptors of the model's own */
#define REACTOR_MAX_FDS (1 << 20) /* the largest table, whatever RLIMIT_NOFILE says */

/* What a descriptor waits for, in add and modify. */
enum {
    REACTOR_READ = 1,
    REACTOR_WRITE = 2,
    REACTOR_EDGE = 4,      /* reported once per change (the thread pool's) */
    REACTOR_EXCLUSIVE = 8, /* a listener shared by processes: wake one (prefork) */
};

struct reactor;

/* How a model waits. Each call returns 0 (wait: the number of ready
 * descriptors) or -1 with errno. */
struct reactor_backend {
    const char *open_call;   /* what open does, for errors: "epoll_create1" */
    const char *wait_call;   /* the wait's system call, for errors */
    const char *ctl_call;    /* the registration's, for errors */
    int max_fds;             /* descriptors it can watch, 0: RLIMIT_NOFILE's */
    const char *limit;       /* the name of max_fds: refusals above it warn */
    int batch;               /* ready descriptors per wait, 0: all */
    bool edge_triggered;     /* reports a change once: drain to EAGAIN */
    int (*open)(struct reactor *r);   /* sets r->be_state */
    void (*close)(struct reactor *r);
    int (*add)(struct reactor *r, int fd, int events);
    int (*modify)(struct reactor *r, int fd, int events);
    int (*del)(struct reactor *r, int fd);
    /* Waits at most timeout_ms (-1: no limit), with server_waitmask
     * installed when r->signals, and stores the ready descriptors in
     * r->fired (and, if it can tell, a hang-up in r->fired_hup, which
     * starts all false). A signal (EINTR) returns 0. */
    int (*wait)(struct reactor *r, int timeout_ms);
};

struct reactor_watch {
    int fd;
    void (*on_ready)(struct reactor *r, void *arg);
    void *arg;
};

struct reactor {
    const struct reactor_backend *be;
    void *be_state;          /* the backend's own */
    int listen_fd;           /* owned: closed on stop; -1 then */
    char *table;             /* connections indexed by descriptor */
    size_t slot;             /* bytes per table slot, a struct conn first */
    int max_fd;              /* slots in table */
    int nconns;              /* open connections, handed-off ones included */
    int *fired;              /* ready descriptors from the last wait */
    bool *fired_hup;         /* fired[i]'s peer closed its side, or the socket
                              * failed (backends that can tell: epoll) */
    struct conn **backend_of; /* by descriptor: the conn a database socket serves */
    struct timeouts tq;
    struct reactor_watch watch[REACTOR_WATCH_MAX];
    int nwatch;
    bool signals;            /* this thread's waits take the process's signals */
    bool shared_listener;    /* other processes wait on the listener too */
    bool edge;               /* connections registered edge-triggered, and
                              * left registered while away: see on_away */
    bool warned;             /* the table-limit warning was printed */
    bool failed;             /* a wait or registration failed: see error */
    /* Thread pools: conn_step() said CONN_WANT_WORK; the reactor has taken
     * c off its timeouts and will not touch it until reactor_act(). */
    void (*on_work)(struct reactor *r, struct conn *c);
    /* With edge: c's socket has news the reactor has not read, and will
     * not hear of again: an event while c was away, or the peer's FIN that
     * came with the request c is handed off with. The model steps c to the
     * end of what it has once it has c back. */
    void (*on_away)(struct reactor *r, struct conn *c);
    /* Thread pools: runs once per loop turn, after every ready descriptor
     * was handled, so that the requests one turn completed (on_work) are
     * handed over together. NULL: nothing to do. */
    void (*on_turn_end)(struct reactor *r);
    int max_wait_ms;         /* > 0: no wait is longer (a model that has
                              * work to collect without being woken for
                              * it sets it from on_turn_end); 0: none */
    void *user;              /* the model's own */
    char error[160];         /* "epoll_pwait: Bad file descriptor" */
};

/* Sets up the table and the backend for listen_fd, which the reactor owns
 * from now on (reactor_run watches it). Returns 0, or -1 with r->error. The
 * model may then set signals (default true), shared_listener, edge,
 * on_work, on_away, on_turn_end and max_wait_ms. */
int reactor_init(struct reactor *r, const struct reactor_backend *be, int listen_fd,
                 size_t slot);
/* Also watches fd (readable: on_ready runs). Returns 0 or -1 with r->error. */
int reactor_watch(struct reactor *r, int fd, void (*on_ready)(struct reactor *, void *),
                  void *arg);
/* Serves until stopped and drained (or the grace period is over). Returns
 * 0, or -1 with r->error. */
int reactor_run(struct reactor *r);
/* Closes every connection left, the listener and the backend. */
void reactor_free(struct reactor *r);

/* The whole of a model that is only a backend: server_start, the loop,
 * server_finish. Returns the exit status. */
int reactor_main(const struct server_model *m, const struct reactor_backend *be,
                 int argc, char **argv);

static inline struct conn *reactor_conn(const struct reactor *r, int fd)
{
    return (struct conn *)(void *)(r->table + (size_t)fd * r->slot);
}

/* The conn whose request waits on fd as its database socket, or NULL: fd is
 * a client's, the listener or a watched descriptor (reactor_backend.c). */
static inline struct conn *reactor_backend_conn(const struct reactor *r, int fd)
{
    return r->backend_of && fd < r->max_fd ? r->backend_of[fd] : NULL;
}

/* Acts on what c wants next: re-arm and touch its timeout, hand it off
 * (CONN_WANT_WORK), or drop it (CONN_CLOSE). */
void reactor_act(struct reactor *r, struct conn *c, enum conn_want w);
/* Closes c now: off the timeouts and the backend, then conn_close(). */
void reactor_drop(struct reactor *r, struct conn *c);

/* --- stopping; for loops of their own (nonblock, coro, libuv, uring) ----- */

/* The stop-and-grace protocol, written once for every loop (the reactor's
 * own included): serve until SIGTERM or SIGINT; then stop accepting, close
 * the idle connections at once and let the busy ones finish, for at most
 * SERVER_GRACE_MS; then close what is left.
 *
 *   struct reactor_stop stop = {.srv = &s, .on_stop = close_idle, .arg = &loop};
 *   while (reactor_stop_going(&stop, nconns)) {
 *       wait, at most reactor_stop_wait_ms(&stop, &timeouts) ms;
 *       reactor_stop_poll(&stop);       // after every wait (or signal)
 *       serve what is ready; accept only while !stop.stopped
 *   }
 *   close every connection left: the grace period is over
 *
 * A loop that never returns to such a while (libuv's callbacks) calls
 * reactor_stop_poll() where it hears a signal, and server_grace_over() on a
 * timer every REACTOR_STOP_CHECK_MS. */
struct reactor_stop {
    struct server *srv;          /* its listener closes at the stop; NULL: none */
    void (*on_stop)(void *arg);  /* at the stop, before srv's listener closes:
                                  * leave the listener, close idle connections */
    void *arg;
    bool flag_only;              /* another thread takes the signals: only
                                  * read the stop flag (reuseport's reactors) */
    bool stopped;                /* the stop began */
};

/* Handles the signals that arrived (server_poll_signals) and, at the first
 * stop, runs on_stop and closes srv's listener. True on the call that began
 * the stop, when what a wait reported may name connections it closed. */
bool reactor_stop_poll(struct reactor_stop *st);
/* True while the loop must go on: not stopped, or nconns open and the
 * grace period not over. */
bool reactor_stop_going(const struct reactor_stop *st, int nconns);
/* How long a loop may wait: until the nearest timeout, or after a stop
 * REACTOR_STOP_CHECK_MS, to see the grace period end. */
int reactor_stop_wait_ms(const struct reactor_stop *st, const struct timeouts *t);
/* The same two for a loop that keeps its own stopped flag (uring). */
bool reactor_going(bool stopped, int nconns);
int reactor_wait_ms(bool stopped, const struct timeouts *t);
/* The slots a table indexed by descriptor needs: RLIMIT_NOFILE's soft
 * limit, at most max (0: at most REACTOR_MAX_FDS). */
int reactor_table_size(int max);
/* A table of *n = reactor_table_size(max) slots of slot bytes (a struct
 * conn first, fd -1), indexed by descriptor. NULL when out of memory. */
void *reactor_table_new(size_t slot, int max, int *n);

#endif
