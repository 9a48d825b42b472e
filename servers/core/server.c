/* Options, the listening socket, signals, counters: see server.h. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "db.h"
#include "clock.h"
#include "coding.h"
#include "files.h"
#include "gzip.h"
#include "respond.h"

#ifndef C10K_DEFAULT_DOCROOT
#define C10K_DEFAULT_DOCROOT "html"
#endif
#ifndef C10K_VERSION
#define C10K_VERSION "0"
#endif

struct server_counters *server_counters;
const struct server_opts *server_options;
sigset_t server_waitmask;
const char *(*server_version_note)(void);

/* Set by the handler in whichever thread takes the signal and read by every
 * thread (the core calls server_stopping() from workers too). volatile
 * sig_atomic_t is safe in a handler but races across threads; a lock-free
 * atomic is both (C11 7.14.1.1). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "signal flags need lock-free atomics");
static _Atomic int got_stop, got_report;
static _Atomic bool stopping;
static _Atomic int64_t stop_ms;
static const char *prog = "server";

/* --- options ------------------------------------------------------------ */

static int cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return 1;
}

static void usage(const struct server_model *m, FILE *to)
{
    fprintf(to,
            "usage: %s [options]\n"
            "%s: %s\n\n"
            "  --port N             TCP port, 0 picks a free one (default 8080)\n"
            "  --bind ADDR          address to listen on (default 127.0.0.1; ::1 for IPv6)\n"
            "  --docroot DIR        directory to serve (default %s)\n",
            m->name, m->name, m->summary, C10K_DEFAULT_DOCROOT);
    if (m->uses_workers)
        fprintf(to, "  --workers N          worker processes or threads (default: CPUs "
                    "this process may run on, now %d)\n", cpus_allowed());
    fprintf(to,
            "  --header-timeout MS  close a client that has not sent a whole request "
            "head (default %d)\n"
            "  --idle-timeout MS    close an idle keep-alive connection (default %d)\n"
            "  --cache-mb N         file bodies (up to 64 KiB each) kept in memory per\n"
            "                       process, least recently used out first (default %d)\n"
            "  --serve-hidden       publish hidden files too (a path segment starting\n"
            "                       with '.', e.g. /.git/config, /.env); without it they\n"
            "                       are 404, except under /.well-known/ (RFC 8615)\n"
            "  --gzip-level N       gzip level 1-9 for text types a client accepts in\n"
            "                       gzip (Accept-Encoding), 0 never compresses (default %d)\n"
            "  --gzip-min-size N    bytes: smaller files go out uncompressed (default %d)\n",
            HEADER_TIMEOUT_MS, IDLE_TIMEOUT_MS, FILES_BUDGET_DEFAULT_MB,
            CODING_GZIP_LEVEL_DEFAULT, CODING_MIN_SIZE_DEFAULT);
    db_usage(to);
    fprintf(to,
            "  --help               this text\n"
            "  --version            print the version\n\n"
            "Prints \"listening on ADDR:PORT\" when ready. SIGTERM or SIGINT: stop "
            "accepting,\nfinish what is in flight, print the counters line, exit 0. "
            "SIGUSR1: print it now.\n");
}

static int parse_int(const char *opt, const char *arg, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        fprintf(stderr, "%s: %s: expected a number from %ld to %ld, got '%s'\n",
                prog, opt, min, max, arg);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_args(struct server_opts *o, const struct server_model *m,
                      int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'},
        {"bind", required_argument, 0, 'b'},
        {"docroot", required_argument, 0, 'd'},
        {"workers", required_argument, 0, 'w'},
        {"header-timeout", required_argument, 0, 'H'},
        {"idle-timeout", required_argument, 0, 'I'},
        {"cache-mb", required_argument, 0, 'M'},
        {"serve-hidden", no_argument, 0, 'S'},
        {"gzip-level", required_argument, 0, 'z'},
        {"gzip-min-size", required_argument, 0, 'Z'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        DB_LONGOPTS,
        {0, 0, 0, 0},
    };
    *o = (struct server_opts){"127.0.0.1", 8080, C10K_DEFAULT_DOCROOT,
                              cpus_allowed(), HEADER_TIMEOUT_MS, IDLE_TIMEOUT_MS,
                              FILES_BUDGET_DEFAULT_MB, false, CODING_GZIP_LEVEL_DEFAULT,
                              CODING_MIN_SIZE_DEFAULT};
    opterr = 0;
    int ch, bad = 0;
    while (!bad && (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': bad = parse_int("--port", optarg, 0, 65535, &o->port); break;
        case 'b': o->bind = optarg; break;
        case 'd': o->docroot = optarg; break;
        case 'w': bad = parse_int("--workers", optarg, 1, 1024, &o->workers); break;
        case 'H': bad = parse_int("--header-timeout", optarg, 1, INT_MAX,
                                  &o->header_timeout_ms); break;
        case 'I': bad = parse_int("--idle-timeout", optarg, 1, INT_MAX,
                                  &o->idle_timeout_ms); break;
        case 'M': bad = parse_int("--cache-mb", optarg, 0, 65536, &o->cache_mb); break;
        case 'S': o->serve_hidden = true; break;
        case DB_OPT_FIRST ... DB_OPT_LAST: bad = db_option(prog, ch, optarg); break;
        case 'z': bad = parse_int("--gzip-level", optarg, 0, 9, &o->gzip_level); break;
        case 'Z': bad = parse_int("--gzip-min-size", optarg, 0, INT_MAX,
                                  &o->gzip_min_size); break;
        case 'h': usage(m, stdout); return 1;
        case 'V':
            printf("%s (c10k-lab) %s%s%s\n", m->name, C10K_VERSION,
                   server_version_note ? "; " : "",
                   server_version_note ? server_version_note() : "");
            return 1;
        case ':':
            fprintf(stderr, "%s: %s needs a value (see --help)\n", prog, argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog,
                    argv[optind - 1]);
            return -1;
        }
    }
    if (bad)
        return -1;
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
        return -1;
    }
    if (!m->uses_workers)
        o->workers = 1;
    return 0;
}

/* --- signals ------------------------------------------------------------ */

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        got_report = 1;
    else
        got_stop = 1;
}

static int signals_init(char *err, size_t errsz)
{
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0)
        goto fail;
    sa.sa_handler = on_signal; /* no SA_RESTART: waits must return EINTR */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
        sigaction(SIGUSR1, &sa, NULL) < 0)
        goto fail;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR1);
    if (pthread_sigmask(SIG_BLOCK, &block, &server_waitmask) != 0)
        goto fail;
    sigdelset(&server_waitmask, SIGTERM);
    sigdelset(&server_waitmask, SIGINT);
    sigdelset(&server_waitmask, SIGUSR1);
    return 0;
fail:
    snprintf(err, errsz, "signals: %s", strerror(errno));
    return -1;
}

static void on_child(int sig)
{
    (void)sig; /* only to end the wait */
}

int server_watch_children(void)
{
    struct sigaction sa = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sigaction(SIGCHLD, &sa, NULL) < 0 || sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
        return -1;
    return 0;
}

void server_unblock_signals(void)
{
    pthread_sigmask(SIG_SETMASK, &server_waitmask, NULL);
}

void server_let_signals_in(void)
{
    sigset_t pending, blocked;
    if (sigpending(&pending) < 0 || (!sigismember(&pending, SIGTERM) &&
                                     !sigismember(&pending, SIGINT) &&
                                     !sigismember(&pending, SIGUSR1)))
        return;
    pthread_sigmask(SIG_SETMASK, &server_waitmask, &blocked); /* handlers run */
    pthread_sigmask(SIG_SETMASK, &blocked, NULL);
}

bool server_poll_signals(void)
{
    if (got_report) {
        got_report = 0;
        server_print_counters();
    }
    if (got_stop && !stopping) {
        stop_ms = clock_now_ms();
        stopping = true;
    }
    return stopping;
}

bool server_stopping(void)
{
    return stopping || got_stop;
}

bool server_grace_over(void)
{
    return stopping && clock_now_ms() - stop_ms > SERVER_GRACE_MS;
}

int server_wait(int fd, short events, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    int n = ppoll(&p, 1, timeout_ms < 0 ? NULL : &ts, &server_waitmask);
    int err = errno;
    server_poll_signals();
    if (n < 0 && err != EINTR) {
        errno = err;
        return -1;
    }
    return n < 0 ? 0 : n;
}

/* --- counters ----------------------------------------------------------- */

static int counters_init(char *err, size_t errsz)
{
    /* Shared, so that children of fork-based models count into it too. */
    void *p = mmap(NULL, sizeof *server_counters, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errsz, "counters: mmap: %s", strerror(errno));
        return -1;
    }
    server_counters = p;
    return 0;
}

void server_print_counters(void)
{
    struct server_counters *k = server_counters;
    printf("counters: accepted=%llu requests=%llu 1xx=%llu 2xx=%llu 3xx=%llu "
           "4xx=%llu 5xx=%llu bytes=%llu truncated=%llu refused=%llu\n",
           (unsigned long long)k->accepted, (unsigned long long)k->requests,
           (unsigned long long)k->status[1], (unsigned long long)k->status[2],
           (unsigned long long)k->status[3], (unsigned long long)k->status[4],
           (unsigned long long)k->status[5], (unsigned long long)k->bytes,
           (unsigned long long)k->truncated, (unsigned long long)k->refused);
    fflush(stdout);
}

/* --- listening and accepting ------------------------------------------- */

static int reserve_fd = -1; /* spent to shed connections at EMFILE */
/* Accepts hold it shared, a shed exclusively: with several threads
 * accepting (reuseport), another thread's accept could otherwise take the
 * descriptor a shed frees, the reserve could not be reopened, and the
 * listener would stay ready with nothing able to empty it. */
static pthread_rwlock_t reserve_lock = PTHREAD_RWLOCK_INITIALIZER;

static int listen_on(const struct server *s, int port, char *err, size_t errsz)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(s->opts.bind, portstr, &hints, &ai);
    if (rc) {
        snprintf(err, errsz, "bind %s: %s", s->opts.bind, gai_strerror(rc));
        return -1;
    }
    int one = 1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        (s->model->reuseport &&
         setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SERVER_BACKLOG) < 0) {
        snprintf(err, errsz, "bind %s:%d: %s", s->opts.bind, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int bound_port(const struct server *s)
{
    if (s->addr.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&s->addr)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&s->addr)->sin_port);
}

int server_listen_again(const struct server *s)
{
    char err[256];
    int fd = listen_on(s, bound_port(s), err, sizeof err);
    if (fd < 0)
        fprintf(stderr, "%s: %s\n", prog, err);
    return fd;
}

const char *server_name(void)
{
    return prog;
}

void server_refuse(int fd)
{
    atomic_fetch_add_explicit(&server_counters->refused, 1, memory_order_relaxed);
    close(fd);
}

/* Out of descriptors: the pending connections would keep a level-triggered
 * listener ready forever. Spend the reserved descriptor to accept and close
 * them, so that clients see a close instead of a hang and we do not spin. */
static void shed_pending(int listen_fd)
{
    pthread_rwlock_wrlock(&reserve_lock);
    if (reserve_fd < 0) /* lost to a file another thread opened meanwhile */
        reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (reserve_fd >= 0) {
        close(reserve_fd);
        int fd;
        while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
            server_refuse(fd);
        reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    pthread_rwlock_unlock(&reserve_lock);
}

int server_accept(int listen_fd)
{
    for (;;) {
        pthread_rwlock_rdlock(&reserve_lock);
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int err = errno;
        pthread_rwlock_unlock(&reserve_lock);
        errno = err;
        if (fd >= 0) {
            int one = 1; /* responses go out whole: Nagle would only delay them */
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            atomic_fetch_add_explicit(&server_counters->accepted, 1,
                                      memory_order_relaxed);
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE) {
            shed_pending(listen_fd);
            errno = EAGAIN;
        }
        return -1;
    }
}

static void print_listening(struct server *s)
{
    char host[INET6_ADDRSTRLEN] = "?";
    s->addr_len = sizeof s->addr;
    getsockname(s->listen_fd, (struct sockaddr *)&s->addr, &s->addr_len);
    if (s->addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->addr)->sin6_addr, host,
                  sizeof host);
        printf("listening on [%s]:%d\n", host, bound_port(s));
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&s->addr)->sin_addr, host,
                  sizeof host);
        printf("listening on %s:%d\n", host, bound_port(s));
    }
    fflush(stdout);
}

int server_start_probed(struct server *s, const struct server_model *m, int argc,
                        char **argv, int (*probe)(char *why, size_t whysz))
{
    char err[512];
    memset(s, 0, sizeof *s);
    s->model = m;
    s->listen_fd = -1;
    prog = m->name;
    int rc = parse_args(&s->opts, m, argc, argv);
    if (rc > 0)
        exit(0); /* --help or --version: done, nothing to serve */
    if (rc < 0)
        return SERVER_EXIT_USAGE;
    if (probe && probe(err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return SERVER_EXIT_UNAVAILABLE;
    }
    server_options = &s->opts;
    files_set_budget((size_t)s->opts.cache_mb << 20);
    respond_publish_hidden(s->opts.serve_hidden);
    coding_configure(s->opts.gzip_level, s->opts.gzip_min_size);
    if (s->opts.gzip_level > 0)
        gzip_keep_memory();
    if (files_init(s->opts.docroot, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return SERVER_EXIT_USAGE;
    }
    if (counters_init(err, sizeof err) < 0 || signals_init(err, sizeof err) < 0 ||
        (s->listen_fd = listen_on(s, s->opts.port, err, sizeof err)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    print_listening(s);
    return 0;
}

int server_start(struct server *s, const struct server_model *m, int argc,
                 char **argv)
{
    return server_start_probed(s, m, argc, argv, NULL);
}

void server_close_listener(struct server *s)
{
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
}

int server_finish(struct server *s)
{
    server_close_listener(s);
    server_print_counters();
    files_shutdown();
    if (reserve_fd >= 0)
        close(reserve_fd);
    return 0;
}
