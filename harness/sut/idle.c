/* Idle keep-alive connections held by the harness (see idle.h). */
#include "sut/idle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/spawn.h"
#include "base/util.h"

#define IDLE_HEAD_MAX 1024
#define IDLE_EVENTS 512
#define IDLE_STALL_MS 1500   /* no connect, answer or failure for this long: stop */

enum idle_state { IDLE_CONNECTING, IDLE_READING, IDLE_DONE, IDLE_FAILED };

struct idle_conn {
    int fd;
    enum idle_state state;
    char head[IDLE_HEAD_MAX];  /* response head, until "\r\n\r\n" */
    size_t head_len;
    long body_left;            /* -1 until the head is complete */
};

static int open_one(struct idle_conn *c, int epfd, const struct sockaddr_in *sa)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c->body_left = -1;
    if (c->fd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if ((connect(c->fd, (const struct sockaddr *)sa, sizeof *sa) &&
         errno != EINPROGRESS) ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev)) {
        c->state = IDLE_FAILED;
        return 0; /* counted as failed, not an error of the harness */
    }
    return 0;
}

static void on_connected(struct idle_set *set, struct idle_conn *c, int epfd,
                         const char *req)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    size_t n = strlen(req);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr ||
        send(c->fd, req, n, MSG_NOSIGNAL) != (ssize_t)n ||
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
        c->state = IDLE_FAILED;
        set->failed++;
        return;
    }
    set->connected++;
    c->state = IDLE_READING;
}

/* Consumes response bytes; the body is counted, not kept. */
static void on_bytes(struct idle_conn *c, const char *buf, size_t n)
{
    if (c->body_left < 0) {
        size_t take = n < IDLE_HEAD_MAX - 1 - c->head_len ? n : IDLE_HEAD_MAX - 1 - c->head_len;
        memcpy(c->head + c->head_len, buf, take);
        c->head_len += take;
        c->head[c->head_len] = '\0';
        char *end = strstr(c->head, "\r\n\r\n");
        if (!end) {
            if (c->head_len == IDLE_HEAD_MAX - 1)
                c->state = IDLE_FAILED;
            return;
        }
        char *cl = strcasestr(c->head, "\r\nContent-Length:");
        c->body_left = cl ? strtol(cl + 17, NULL, 10) : 0;
        size_t head = (size_t)(end + 4 - c->head);
        c->body_left -= (long)(c->head_len - head) + (long)(n - take);
    } else {
        c->body_left -= (long)n;
    }
    if (c->body_left <= 0)
        c->state = IDLE_DONE;
}

static void on_readable(struct idle_set *set, struct idle_conn *c, int epfd)
{
    char buf[16384];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        c->state = IDLE_FAILED;
        set->failed++;
        return;
    }
    on_bytes(c, buf, (size_t)n);
    if (c->state == IDLE_DONE) {
        set->answered++;
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL); /* idle: not watched */
    } else if (c->state == IDLE_FAILED) {
        set->failed++;
    }
}

static int pump(struct idle_set *set, int epfd, const char *req, double deadline)
{
    struct epoll_event evs[IDLE_EVENTS];
    double progress = util_now();
    int done = 0;
    while (set->answered + set->failed < set->opened && !spawn_interrupted) {
        int left = (int)((deadline - util_now()) * 1000);
        if (set->answered + set->failed + set->connected > done) {
            done = set->answered + set->failed + set->connected;
            progress = util_now();
        }
        /* A blocking server serves one connection and leaves the rest
         * waiting: stop when nothing moved for IDLE_STALL_MS. */
        if (left <= 0 || util_now() - progress > IDLE_STALL_MS / 1000.0)
            return 0;
        int n = epoll_wait(epfd, evs, IDLE_EVENTS, left < 100 ? left : 100);
        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < n; i++) {
            struct idle_conn *c = evs[i].data.ptr;
            if (c->state == IDLE_CONNECTING)
                on_connected(set, c, epfd, req);
            else if (c->state == IDLE_READING)
                on_readable(set, c, epfd);
        }
    }
    return 0;
}

int idle_open(struct idle_set *set, const char *addr, int port, int n, const char *path,
              int timeout_ms, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char req[512];
    memset(set, 0, sizeof *set);
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "idle connections: %s is not an IPv4 address", addr);
        return -1;
    }
    set->wanted = n;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             "User-Agent: c10k-harness-idle\r\n\r\n", path);
    set->conns = calloc(n > 0 ? (size_t)n : 1, sizeof *set->conns);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!set->conns || epfd < 0) {
        snprintf(err, errlen, "idle connections: %s", strerror(errno));
        if (epfd >= 0)
            close(epfd);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (open_one(&set->conns[i], epfd, &sa)) {
            snprintf(err, errlen, "idle connection %d of %d: socket: %s", i + 1, n,
                     strerror(errno));
            break;
        }
        set->opened++;
        set->failed += set->conns[i].state == IDLE_FAILED;
    }
    int r = pump(set, epfd, req, util_now() + timeout_ms / 1000.0);
    if (r)
        snprintf(err, errlen, "idle connections: epoll_wait: %s", strerror(errno));
    close(epfd);
    return r || set->opened < n ? -1 : 0;
}

void idle_close(struct idle_set *set)
{
    for (int i = 0; set->conns && i < set->opened; i++)
        if (set->conns[i].fd > 0)
            close(set->conns[i].fd);
    free(set->conns);
    memset(set, 0, sizeof *set);
}
