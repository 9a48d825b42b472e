/* What every server binary shares: options, the listening socket, signals,
 * counters and the graceful stop.
 *
 *   static const struct server_model MODEL = {.name = "epoll",
 *                                             .summary = "one epoll reactor"};
 *   int main(int argc, char **argv) {
 *       struct server s;
 *       int st = server_start(&s, &MODEL, argc, argv);  // parse, listen, print
 *       if (st) return st;                             // "listening on ..."
 *       while (!server_stopping()) { wait (e.g. epoll_pwait with
 *           &server_waitmask), then server_poll_signals(); ... }
 *       return server_finish(&s);                      // counters line, exit 0
 *   }
 *
 * Signals: server_start() ignores SIGPIPE and blocks SIGTERM, SIGINT and
 * SIGUSR1 in the calling thread (threads created later inherit that), so a
 * model sees them only inside a wait that installs server_waitmask
 * (ppoll, pselect, epoll_pwait, io_uring_wait_cqes): no wake-up is lost.
 * SIGUSR1 prints the counters line; SIGTERM and SIGINT set server_stopping().
 *
 * The counters line (stdout, one line, documented for the harness):
 *   counters: accepted=N requests=N 1xx=N 2xx=N 3xx=N 4xx=N 5xx=N bytes=N
 *             truncated=N refused=N   (one line)
 * "requests" counts responses sent, "bytes" every byte written to clients,
 * "truncated" responses cut short because their file shrank while its body
 * was being sent (the connection was closed: files.h), "refused"
 * connections closed unserved (descriptor limit, FD_SETSIZE). The
 * counters live in shared memory, so they cover every process and thread. */
#ifndef SERVER_H
#define SERVER_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SERVER_EXIT_USAGE 2        /* bad command line */
#define SERVER_EXIT_UNAVAILABLE 69 /* model cannot run here (EX_UNAVAILABLE) */
#define SERVER_BACKLOG 4096
#define SERVER_ACCEPT_BATCH 256   /* connections accepted per wake-up of a level-triggered
                                   * listener, so that a flood cannot starve the open ones */
#define SERVER_GRACE_MS 5000       /* in-flight work allowed after SIGTERM */
#define HEADER_TIMEOUT_MS 10000
#define IDLE_TIMEOUT_MS 30000

struct server_model {
    const char *name;
    const char *summary;   /* one line for --help */
    bool uses_workers;     /* accepts --workers */
    bool reuseport;        /* listen with SO_REUSEPORT */
};

struct server_opts {
    const char *bind;      /* default 127.0.0.1 */
    int port;              /* default 8080, 0 = any free port */
    const char *docroot;   /* default the repository's html/ */
    int workers;           /* default: CPUs this process may run on */
    int header_timeout_ms;
    int idle_timeout_ms;
    int cache_mb;          /* file bodies kept in memory (files.h), MiB */
    bool serve_hidden;     /* publish hidden files (path_is_hidden) */
    int gzip_level;        /* 0 (off) to 9, coding.h; default 1 */
    int gzip_min_size;     /* bytes: smaller files are not compressed */
};

struct server {
    const struct server_model *model;
    struct server_opts opts;
    int listen_fd;          /* non-blocking, close-on-exec */
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

struct server_counters {
    _Atomic uint64_t accepted, requests, status[6], bytes, truncated, refused;
};

extern struct server_counters *server_counters; /* shared memory */
extern const struct server_opts *server_options;
extern sigset_t server_waitmask;
/* Set before server_start for more on the --version line (uring: the
 * io_uring features this kernel accepts); NULL: nothing more. */
extern const char *(*server_version_note)(void);

/* Parses argv, opens the docroot, listens and prints "listening on ADDR:PORT".
 * Returns 0, or the exit status after printing one line on stderr; --help
 * and --version print and exit(0) here. */
int server_start(struct server *s, const struct server_model *m, int argc,
                 char **argv);
/* server_start for a model that may not run here: after the options (so
 * that --help works anyway) and before listening, probe says whether it
 * can: 0, or -1 with the reason in why, which is printed; the result is
 * then SERVER_EXIT_UNAVAILABLE. */
int server_start_probed(struct server *s, const struct server_model *m, int argc,
                        char **argv, int (*probe)(char *why, size_t whysz));

/* Opens another listening socket on s's address with SO_REUSEPORT (for
 * models that give each thread its own). Returns the fd or -1. */
int server_listen_again(const struct server *s);

/* Accepts one connection, non-blocking and close-on-exec. Returns the fd, or
 * -1 with errno (EAGAIN: none pending). On EMFILE/ENFILE it sheds pending
 * connections (closes them, counted as refused) through a reserved
 * descriptor, so a level-triggered listener does not spin, and returns -1
 * with errno EAGAIN once none is pending. */
int server_accept(int listen_fd);

/* Handles signals that arrived; true once SIGTERM or SIGINT was received. */
bool server_poll_signals(void);
bool server_stopping(void);
/* True once SERVER_GRACE_MS have passed since the stop was requested. */
bool server_grace_over(void);
/* Waits until fd has events or timeout_ms pass (-1: no limit), letting the
 * blocked signals in. Returns >0 ready, 0 on timeout or a signal, -1 with
 * errno when ppoll fails. */
int server_wait(int fd, short events, int timeout_ms);
/* For models with child processes (fork, prefork): SIGCHLD, like SIGTERM,
 * is blocked except inside the waits that install server_waitmask, where
 * it ends the wait, so that a child's exit between the model's checks and
 * its wait is not missed; the model reaps (waitpid WNOHANG) after each
 * wait. Returns 0, or -1 with errno. */
int server_watch_children(void);
/* For models that never block in a wait (nonblock): let signals through. */
void server_unblock_signals(void);
/* Lets pending SIGTERM, SIGINT and SIGUSR1 in now (their handlers run),
 * for a loop whose wait returns without sleeping while work is ready. */
void server_let_signals_in(void);

/* The model's name, for messages ("epoll"). */
const char *server_name(void);

/* Counts a connection refused without service and closes it. */
void server_refuse(int fd);

void server_print_counters(void);

/* Stops accepting (idempotent). */
void server_close_listener(struct server *s);

/* Closes the listener, prints the counters line and returns 0. */
int server_finish(struct server *s);

#endif
