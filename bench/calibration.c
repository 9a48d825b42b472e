/* The calibration server: shows the load generator's ceiling.
 *
 *   calibration --port 0 [--bind 127.0.0.1] [--size BYTES | --json TEXT] [--freeze MS/EVERY_MS]
 *               [--gzip-level N]
 *
 * --json TEXT (the db and queries workloads): every response is that body
 * as application/json, a stored World row.
 * --gzip-level N (the gzip and mixed workloads): the body is --size bytes
 * of pseudo-text compressed once at start with zlib at level N and stored;
 * every response is that gzip body (Content-Encoding: gzip, Vary), so the
 * figures show the cost of everything but the compression.
 *
 * One epoll loop that reads whatever arrives and, without parsing, answers
 * one fixed "200 OK" response of --size body bytes for every "\r\n\r\n" it
 * sees (so pipelined requests get one response each). It behaves like the
 * model binaries towards the harness: prints "listening on ADDR:PORT" when
 * ready, the counters line on SIGUSR1 and on SIGTERM/SIGINT (then exits 0):
 *   counters: accepted=N requests=N 1xx=0 2xx=N 3xx=0 4xx=0 5xx=0 bytes=N refused=0
 * Whatever it measures is the cost of the client and the kernel's loopback,
 * not of serving files: no server can beat it on this machine. --json TEXT
 * answers TEXT as application/json instead (a stored World row for the
 * database workloads: the floor of everything but the database).
 *
 * --freeze MS/EVERY_MS stops the loop for MS milliseconds every EVERY_MS
 * (a garbage-collection pause, a blocking disk read): nothing is read,
 * answered or accepted meanwhile. The freezes keep their schedule whether the
 * loop is busy or idle (the wait's timeout ends at the next one). It is how
 * the tests show that loadgen charges a stall to the requests that were due
 * during it (coordinated omission), e.g. --freeze 100/1000. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define CAL_DEFAULT_SIZE 16384   /* body bytes, like html/bench/16k.html */
#define CAL_MAX_SIZE (1 << 24)
#define CAL_MAX_PENDING 4096     /* stop reading a connection this far behind */
#define CAL_EVENTS 256

struct cal_conn {
    uint32_t pending;  /* responses owed */
    uint32_t offset;   /* bytes of the current response already sent */
    uint8_t match;     /* how much of "\r\n\r\n" the last bytes matched */
    bool out;          /* EPOLLOUT registered */
};

static struct {
    uint64_t accepted, requests, bytes;
} counters;

static struct {
    long ms, every_ms;   /* freeze MS every EVERY_MS; 0 = never */
    uint64_t next_ms;    /* CLOCK_MONOTONIC time of the next freeze */
} freeze;

static char *response;
static size_t response_len;
static struct cal_conn *conns;
static size_t max_conns;
static int epfd;

static void print_counters(void)
{
    printf("counters: accepted=%" PRIu64 " requests=%" PRIu64
           " 1xx=0 2xx=%" PRIu64 " 3xx=0 4xx=0 5xx=0 bytes=%" PRIu64
           " refused=0\n",
           counters.accepted, counters.requests, counters.requests,
           counters.bytes);
    fflush(stdout);
}

/* size bytes of words from a fixed generator: text that compresses about
 * as the gzip workload's files do. */
static void pseudo_text(char *out, long size)
{
    static const char *const words[] = {"<div class=\"", "\">", "</div>\n", "function ",
                                        "return ", "margin: ", "user", "item", "list",
                                        "nav", "data", "view", "header", "card"};
    uint64_t s = 0x63313070;
    for (long n = 0; n < size;) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const char *w = words[(s >> 33) % 14];
        for (; *w && n < size; w++)
            out[n++] = *w;
        if (n < size && (s >> 20) % 3 == 0)
            out[n++] = (char)('0' + (s >> 40) % 10);
    }
}

/* body[0..size) compressed into *z (malloc'd), -1 on failure. */
static long gzip_body(const char *body, long size, int level, char **z)
{
    z_stream st = {0};
    if (deflateInit2(&st, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong cap = deflateBound(&st, (uLong)size);
    *z = malloc(cap);
    st.next_in = (Bytef *)body;
    st.avail_in = (uInt)size;
    st.next_out = (Bytef *)*z;
    st.avail_out = (uInt)cap;
    int r = *z ? deflate(&st, Z_FINISH) : Z_MEM_ERROR;
    long n = (long)st.total_out;
    deflateEnd(&st);
    return r == Z_STREAM_END ? n : -1;
}

static int build_response(long size, const char *json, int gzip_level)
{
    if (json)
        size = (long)strlen(json);
    char head[192], *body = malloc(size ? (size_t)size : 1), *z = NULL;
    if (!body) {
        fprintf(stderr, "calibration: malloc: %s\n", strerror(errno));
        return -1;
    }
    if (json)
        memcpy(body, json, (size_t)size);
    else
        memset(body, 'x', (size_t)size);
    if (gzip_level > 0 && !json) {
        pseudo_text(body, size);
        if ((size = gzip_body(body, size, gzip_level, &z)) < 0) {
            fprintf(stderr, "calibration: zlib failed to compress the body\n");
            return -1;
        }
        free(body);
        body = z;
    }
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%s"
                     "Content-Length: %ld\r\n\r\n", json ? "application/json" : "text/html",
                     gzip_level > 0 && !json ? "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
                                             : "", size);
    response_len = (size_t)n + (size_t)size;
    response = malloc(response_len);
    if (!response) {
        fprintf(stderr, "calibration: malloc: %s\n", strerror(errno));
        return -1;
    }
    memcpy(response, head, (size_t)n);
    memcpy(response + n, body, (size_t)size);
    free(body);
    return 0;
}

/* Counts the request ends in buf, continuing a match across reads. */
static uint32_t count_requests(struct cal_conn *c, const char *buf, ssize_t n)
{
    static const char end[] = "\r\n\r\n";
    uint32_t found = 0;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == end[c->match])
            c->match++;
        else
            c->match = buf[i] == '\r' ? 1 : 0;
        if (c->match == 4) {
            found++;
            c->match = 0;
        }
    }
    return found;
}

static void conn_close(int fd)
{
    memset(&conns[fd], 0, sizeof conns[fd]);
    close(fd); /* also removes it from the epoll set */
}

static int conn_watch(int fd, bool out)
{
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0),
                             .data.fd = fd};
    if (conns[fd].out == out)
        return 0;
    conns[fd].out = out;
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

/* Writes owed responses until done or the socket is full. */
static int conn_on_writable(int fd)
{
    struct cal_conn *c = &conns[fd];
    while (c->pending > 0) {
        ssize_t n = write(fd, response + c->offset, response_len - c->offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return conn_watch(fd, true);
        if (n < 0)
            return -1;
        counters.bytes += (uint64_t)n;
        c->offset += (uint32_t)n;
        if (c->offset == response_len) {
            c->offset = 0;
            c->pending--;
            counters.requests++;
        }
    }
    return conn_watch(fd, false);
}

static int conn_on_readable(int fd)
{
    char buf[16384];
    struct cal_conn *c = &conns[fd];
    if (c->pending > CAL_MAX_PENDING)
        return conn_on_writable(fd);
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return -1;
    c->pending += count_requests(c, buf, n);
    return conn_on_writable(fd);
}

static void on_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                fprintf(stderr, "calibration: accept4: %s\n", strerror(errno));
            return;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        int one = 1;
        /* Pipelined responses end in a partial segment: without NODELAY
         * Nagle holds it for the client's delayed ACK (40 ms). */
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one))
            fprintf(stderr, "calibration: TCP_NODELAY: %s\n", strerror(errno));
        if ((size_t)fd >= max_conns || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)) {
            close(fd);
            continue;
        }
        counters.accepted++;
    }
}

/* Returns true when the loop should stop. */
static bool on_signal(int sfd)
{
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n != (ssize_t)sizeof si)
        return false;
    print_counters();
    return si.ssi_signo != SIGUSR1;
}

static int listen_on(const char *bind_addr, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof sa;
    int one = 1;
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "calibration: bad --bind address %s\n", bind_addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4096) ||
        getsockname(fd, (struct sockaddr *)&sa, &len)) {
        fprintf(stderr, "calibration: listen %s:%d: %s\n", bind_addr, port,
                strerror(errno));
        return -1;
    }
    printf("listening on %s:%d\n", bind_addr, ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

static int signal_fd(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &set, NULL))
        return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Freezes if one is due; returns the wait's timeout until the next (ms, -1
 * without --freeze). */
static int freeze_if_due(void)
{
    if (freeze.every_ms == 0)
        return -1;
    uint64_t now = now_ms();
    if (now >= freeze.next_ms) {
        struct timespec ts = {.tv_sec = freeze.ms / 1000, .tv_nsec = freeze.ms % 1000 * 1000000};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
        /* The schedule stays on its grid; a freeze missed while frozen (MS
         * close to EVERY_MS on a loaded machine) is skipped, not caught up. */
        while (freeze.next_ms <= (now = now_ms()))
            freeze.next_ms += (uint64_t)freeze.every_ms;
    }
    return (int)(freeze.next_ms - now);
}

static int serve(int lfd, int sfd)
{
    struct epoll_event evs[CAL_EVENTS];
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev))
        return -1;
    ev.data.fd = sfd;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev))
        return -1;
    freeze.next_ms = now_ms() + (uint64_t)freeze.every_ms;
    for (;;) {
        int n = epoll_wait(epfd, evs, CAL_EVENTS, freeze_if_due());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == lfd)
                on_accept(lfd);
            else if (fd == sfd && on_signal(sfd))
                return 0;
            else if (fd != sfd && (evs[i].events & EPOLLOUT ? conn_on_writable(fd)
                                                           : conn_on_readable(fd)))
                conn_close(fd);
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: calibration [--port N (default 8080, 0 = free port)]"
               " [--bind ADDR (default 127.0.0.1)] [--size BYTES (default %d)]"
               " [--json TEXT (the body, as application/json)]"
               " [--freeze MS/EVERY_MS (stop the loop MS ms every EVERY_MS ms,"
               " default never)] [--gzip-level N (a stored gzip body, 1-9)]\n",
            CAL_DEFAULT_SIZE);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, 0, 'p'}, {"bind", required_argument, 0, 'b'},
        {"size", required_argument, 0, 's'}, {"freeze", required_argument, 0, 'f'},
        {"json", required_argument, 0, 'j'},
        {"gzip-level", required_argument, 0, 'z'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    long gzip_level = 0;
    const char *bind_addr = "127.0.0.1", *json = NULL;
    long port = 8080, size = CAL_DEFAULT_SIZE;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p': port = strtol(optarg, &end, 10);
            if (*end || port < 0 || port > 65535) { usage(stderr); return 2; }
            break;
        case 'b': bind_addr = optarg; break;
        case 'j': json = optarg;
            if (strlen(json) > CAL_MAX_SIZE) { usage(stderr); return 2; }
            break;
        case 's': size = strtol(optarg, &end, 10);
            if (*end || size < 0 || size > CAL_MAX_SIZE) { usage(stderr); return 2; }
            break;
        case 'f':
            freeze.ms = strtol(optarg, &end, 10);
            if (*end != '/' || freeze.ms <= 0) { usage(stderr); return 2; }
            freeze.every_ms = strtol(end + 1, &end, 10);
            if (*end || freeze.every_ms <= freeze.ms || freeze.every_ms > 3600000) {
                usage(stderr);
                return 2;
            }
            break;
        case 'z': gzip_level = strtol(optarg, &end, 10);
            if (*end || gzip_level < 1 || gzip_level > 9) { usage(stderr); return 2; }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl)) {
        fprintf(stderr, "calibration: getrlimit: %s\n", strerror(errno));
        return 1;
    }
    max_conns = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (size_t)rl.rlim_cur;
    conns = calloc(max_conns, sizeof *conns);
    int sfd = signal_fd();
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || sfd < 0 || epfd < 0 || build_response(size, json, (int)gzip_level)) {
        fprintf(stderr, "calibration: setup: %s\n", strerror(errno));
        return 1;
    }
    int lfd = listen_on(bind_addr, (int)port);
    if (lfd < 0)
        return 1;
    if (serve(lfd, sfd)) {
        fprintf(stderr, "calibration: epoll: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
