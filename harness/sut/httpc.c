/* Blocking HTTP/1.1 client with deadlines (see httpc.h). */
#include "sut/httpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"

#define HTTPC_MAX_HEAD 8192
#define HTTPC_MAX_BODY (64L << 20)

int httpc_connect(const char *addr, int port, int timeout_ms, char *err, size_t errlen)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "connect %s: not an IPv4 address", addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect %s:%d: %s", addr, port, strerror(errno));
        close(fd);
        return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int soerr = 0;
    socklen_t len = sizeof soerr;
    int r = poll(&p, 1, timeout_ms);
    if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
        snprintf(err, errlen, "connect %s:%d: %s", addr, port,
                 r == 0 ? "timed out" : strerror(soerr ? soerr : errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits for fd within the deadline; returns 0 when ready. */
static int wait_fd(int fd, short events, double deadline)
{
    int left = (int)((deadline - util_now()) * 1000);
    struct pollfd p = {.fd = fd, .events = events};
    if (left <= 0)
        return -1;
    int r = poll(&p, 1, left);
    return r > 0 ? 0 : -1;
}

static int send_all(int fd, const char *buf, size_t len, double deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline))
                return -1;
            continue;
        }
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int httpc_parse_head(const char *head, size_t len, struct httpc_resp *r)
{
    int minor;
    r->content_length = -1;
    r->closes = false;
    if (sscanf(head, "HTTP/1.%d %3d", &minor, &r->status) != 2)
        return -1;
    r->closes = minor == 0;
    for (const char *p = strstr(head, "\r\n"); p && p < head + len; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            r->content_length = strtol(p + 15, NULL, 10);
        else if (strncasecmp(p, "Connection:", 11) == 0)
            r->closes = strncasecmp(p + 11 + strspn(p + 11, " "), "close", 5) == 0;
        else if (strncasecmp(p, "Transfer-Encoding:", 18) == 0)
            return -1; /* chunked bodies: not something a static server sends */
    }
    return 0;
}

/* Reads until "\r\n\r\n"; returns the head length and keeps any extra. */
static long read_head(int fd, char *buf, size_t *have, double deadline)
{
    for (;;) {
        char *end = memmem(buf, *have, "\r\n\r\n", 4);
        if (end)
            return end + 4 - buf;
        if (*have >= HTTPC_MAX_HEAD - 1 || wait_fd(fd, POLLIN, deadline))
            return -1;
        ssize_t n = recv(fd, buf + *have, HTTPC_MAX_HEAD - 1 - *have, 0);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
            return -1;
        if (n > 0)
            *have += (size_t)n;
        buf[*have] = '\0';
    }
}

static int read_body(int fd, struct httpc_resp *r, const char *extra,
                     size_t extra_len, double deadline)
{
    size_t want = (size_t)r->content_length;
    if (extra_len > want || !(r->body = malloc(want + 1)))
        return -1;
    memcpy(r->body, extra, extra_len);
    r->body_len = extra_len;
    while (r->body_len < want) {
        if (wait_fd(fd, POLLIN, deadline))
            return -1;
        ssize_t n = recv(fd, r->body + r->body_len, want - r->body_len, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return -1;
        if (n > 0)
            r->body_len += (size_t)n;
    }
    r->body[r->body_len] = '\0';
    return 0;
}

int httpc_request(int fd, const char *method, const char *path,
                  struct httpc_resp *r, int timeout_ms, char *err, size_t errlen)
{
    char req[1024], head[HTTPC_MAX_HEAD];
    size_t have = 0;
    double deadline = util_now() + timeout_ms / 1000.0;
    memset(r, 0, sizeof *r);
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "User-Agent: c10k-harness\r\n\r\n", method, path);
    if (send_all(fd, req, (size_t)n, deadline)) {
        snprintf(err, errlen, "%s %s: send: %s", method, path,
                 errno ? strerror(errno) : "timed out");
        return -1;
    }
    long hlen = read_head(fd, head, &have, deadline);
    if (hlen < 0 || httpc_parse_head(head, (size_t)hlen, r)) {
        snprintf(err, errlen, "%s %s: %s", method, path,
                 hlen < 0 ? "no complete response head (closed or timed out)"
                          : "malformed response head");
        return -1;
    }
    bool head_only = strcmp(method, "HEAD") == 0 || r->status == 204 || r->status == 304;
    long body = head_only ? 0 : r->content_length;
    if (body < 0 || body > HTTPC_MAX_BODY) {
        snprintf(err, errlen, "%s %s: no usable Content-Length", method, path);
        return -1;
    }
    struct httpc_resp sized = *r;
    sized.content_length = body;
    if (read_body(fd, &sized, head + hlen, have - (size_t)hlen, deadline)) {
        free(sized.body);
        snprintf(err, errlen, "%s %s: body %s", method, path,
                 have - (size_t)hlen > (size_t)body ? "longer than Content-Length"
                                                    : "incomplete (closed or timed out)");
        return -1;
    }
    r->body = sized.body;
    r->body_len = sized.body_len;
    return 0;
}

void httpc_free(struct httpc_resp *r)
{
    free(r->body);
    r->body = NULL;
}
