/* The per-connection state machine: see conn.h. */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "files.h"
#include "http_parse.h"
#include "path.h"
#include "response.h"
#include "server.h"
#include "timeouts.h"

/* One buffer per busy connection: the request head (with room to see a
 * limit crossed) and, after it, the response head or error page. */
#define CONN_IN_CAP 26624  /* > HTTP_MAX_HEAD, so 414/431 are seen */
#define CONN_OUT_CAP 6144  /* response head; a 301 Location up to 4 KiB */
#define CONN_BUF_SIZE (CONN_IN_CAP + CONN_OUT_CAP)
#define CONN_POOL_KEEP 64  /* free buffers kept per thread */
#define CONN_LINGER_MS 2000 /* after a closing response, wait this long for EOF */
#define CONN_DRAIN_MAX (256 * 1024) /* input discarded while lingering */

_Static_assert(CONN_IN_CAP > HTTP_MAX_HEAD, "input buffer must exceed the head limit");

enum io { IO_OK, IO_RETRY, IO_EOF, IO_ERROR };

/* --- buffer pool: per thread, so taking and returning never locks ------- */

struct pool_buf { struct pool_buf *next; };
static _Thread_local struct pool_buf *pool_head;
static _Thread_local int pool_len;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_release_all(void *unused)
{
    (void)unused;
    while (pool_head) {
        struct pool_buf *b = pool_head;
        pool_head = b->next;
        free(b);
    }
    pool_len = 0;
}

static void pool_key_init(void)
{
    pthread_key_create(&pool_key, pool_release_all);
}

static char *buf_get(void)
{
    if (pool_head) {
        struct pool_buf *b = pool_head;
        pool_head = b->next;
        pool_len--;
        return (char *)b;
    }
    return malloc(CONN_BUF_SIZE);
}

static void buf_put(char *p)
{
    if (pool_len >= CONN_POOL_KEEP) {
        free(p);
        return;
    }
    if (!pool_head) { /* make sure the thread's list is freed when it exits */
        pthread_once(&pool_once, pool_key_init);
        pthread_setspecific(pool_key, (void *)1);
    }
    struct pool_buf *b = (struct pool_buf *)p;
    b->next = pool_head;
    pool_head = b;
    pool_len++;
}

/* --- connection life --------------------------------------------------- */

void conn_init(struct conn *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->state = CONN_READ_HEAD;
    c->keep_alive = true;
}

static void release_response(struct conn *c)
{
    if (c->file)
        files_put(c->file);
    c->file = NULL;
    c->out_off = c->out_len = 0;
    c->file_off = 0;
}

static void release_buf_if_idle(struct conn *c)
{
    if (c->buf && c->in_off == c->in_len && c->out_len == 0) {
        buf_put(c->buf);
        c->buf = NULL;
        c->in_off = c->in_len = 0;
    }
}

void conn_close(struct conn *c)
{
    release_response(c);
    if (c->buf)
        buf_put(c->buf);
    c->buf = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_DONE;
}

bool conn_is_idle(const struct conn *c)
{
    return c->state == CONN_READ_HEAD && c->in_off == c->in_len;
}

/* The first bytes of a request head start its header timeout. */
static void head_begins(struct conn *c)
{
    c->head_due_ms = clock_now_ms() + server_options->header_timeout_ms;
}

int conn_timeout_ms(const struct conn *c)
{
    if (c->state == CONN_LINGER)
        return CONN_LINGER_MS;
    int header = server_options->header_timeout_ms;
    if (c->state == CONN_READ_HEAD && c->in_off < c->in_len && c->head_due_ms) {
        int64_t left = c->head_due_ms - clock_now_ms();
        return left < 0 ? 0 : left > header ? header : (int)left;
    }
    if (c->state == CONN_READ_BODY ||
        (c->state == CONN_READ_HEAD && c->in_off < c->in_len))
        return header;
    return server_options->idle_timeout_ms;
}

void conn_timeout_touch(struct timeouts *t, struct conn *c)
{
    timeouts_touch(t, &c->tq, clock_now_ms(), conn_timeout_ms(c), conn_is_idle(c));
}

/* --- building a response ----------------------------------------------- */

static void count_response(int status)
{
    atomic_fetch_add_explicit(&server_counters->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&server_counters->status[status / 100], 1,
                              memory_order_relaxed);
}

/* Every error closes the connection (its framing may be lost). */
static void respond_error(struct conn *c, int status, const char *location)
{
    c->keep_alive = status < 400 && c->keep_alive;
    size_t n = response_error(c->buf + CONN_IN_CAP, CONN_OUT_CAP, status,
                              location, c->head_only, c->keep_alive);
    if (n == 0) { /* only a Location too long for the buffer gets here */
        status = 414;
        c->keep_alive = false;
        n = response_error(c->buf + CONN_IN_CAP, CONN_OUT_CAP, 414, NULL,
                           c->head_only, false);
    }
    c->out_len = (uint32_t)n;
    count_response(status);
}

/* Percent-encodes rel for a Location header: "/" rel "/". */
static bool build_location(const char *rel, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    out[o++] = '/';
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        if (o + 4 >= cap)
            return false;
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("/-._~", *p)) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o++] = '/';
    out[o] = '\0';
    return true;
}

static bool not_modified(const struct http_request *req, const struct file_entry *f)
{
    time_t since;
    return req->if_modified_since &&
           response_parse_date(req->if_modified_since, req->if_modified_since_len,
                               &since) == 0 &&
           f->mtime <= since;
}

static void respond_file(struct conn *c, const struct http_request *req)
{
    char rel[PATH_REL_MAX];
    bool dir_slash = false;
    int status = path_normalize(req->target, req->target_len, rel, sizeof rel,
                                &dir_slash);
    if (status) {
        respond_error(c, status, NULL);
        return;
    }
    struct file_entry *f = files_get(rel, dir_slash, &status);
    if (!f) {
        char location[RESPONSE_LOCATION_MAX];
        if (status == 301 && !build_location(rel, location, sizeof location))
            status = 414;
        respond_error(c, status, status == 301 ? location : NULL);
        return;
    }
    status = not_modified(req, f) ? 304 : 200;
    size_t n = response_file_head(c->buf + CONN_IN_CAP, CONN_OUT_CAP, status, f,
                                  c->keep_alive);
    if (status == 200 && !c->head_only)
        c->file = f;
    else
        files_put(f);
    c->out_len = (uint32_t)n;
    count_response(status);
}

/* Parses what is buffered; on a complete head, prepares the response. */
static bool take_request(struct conn *c)
{
    struct http_request req;
    const char *start = c->buf + c->in_off;
    int n = http_parse_request(start, c->in_len - c->in_off, &req);
    c->parse_pending = false;
    if (n == 0)
        return false;
    c->state = CONN_WRITE;
    if (n < 0) {
        c->head_only = false;
        c->keep_alive = false;
        c->in_off = c->in_len; /* the rest cannot be framed */
        respond_error(c, -n, NULL);
        return true;
    }
    c->in_off += (uint32_t)n;
    head_begins(c); /* for a pipelined head already begun */
    c->head_only = req.method == HTTP_HEAD;
    c->keep_alive = req.keep_alive && !server_stopping();
    /* A permitted body is skipped so the next request stays in sync. */
    uint32_t have = c->in_len - c->in_off;
    uint32_t skip = req.content_length < have ? (uint32_t)req.content_length : have;
    c->in_off += skip;
    c->body_left = req.content_length - skip;
    respond_file(c, &req);
    return true;
}

/* --- I/O --------------------------------------------------------------- */

static enum io read_more(struct conn *c)
{
    if (!c->buf) {
        if (!(c->buf = buf_get()))
            return IO_ERROR;
        c->in_off = c->in_len = 0;
    } else if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
    } else if (c->in_len == CONN_IN_CAP) { /* keep the partial head whole */
        memmove(c->buf, c->buf + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (c->in_len == CONN_IN_CAP)
        return IO_ERROR; /* cannot happen: the parser rejects a longer head */
    bool fresh = c->in_off == c->in_len;
    for (;;) {
        size_t space = CONN_IN_CAP - c->in_len;
        ssize_t n = recv(c->fd, c->buf + c->in_len, space, 0);
        if (n > 0) {
            c->drained = (size_t)n < space;
            if (fresh)
                head_begins(c);
            if (memchr(c->buf + c->in_len, '\n', (size_t)n))
                c->parse_pending = true;
            c->in_len += (uint32_t)n;
            return IO_OK;
        }
        if (n == 0)
            return IO_EOF;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? IO_RETRY : IO_ERROR;
    }
}

static void count_bytes(ssize_t n)
{
    atomic_fetch_add_explicit(&server_counters->bytes, (uint64_t)n,
                              memory_order_relaxed);
}

/* One write of the head, with the cached body in the same writev. */
static ssize_t write_head(struct conn *c)
{
    struct iovec iov[2];
    int cnt = 1;
    iov[0].iov_base = c->buf + CONN_IN_CAP + c->out_off;
    iov[0].iov_len = c->out_len - c->out_off;
    if (c->file && c->file->body) {
        iov[1].iov_base = (char *)c->file->body;
        iov[1].iov_len = (size_t)c->file->size;
        cnt = 2;
    }
    if (cnt == 1 && !c->file)
        return send(c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    /* MSG_MORE holds a head back until sendfile adds the body to it. */
    return sendmsg(c->fd, &m, MSG_NOSIGNAL | (c->file->body ? 0 : MSG_MORE));
}

static ssize_t write_body(struct conn *c)
{
    size_t left = (size_t)(c->file->size - c->file_off);
    if (c->file->body)
        return send(c->fd, c->file->body + c->file_off, left, MSG_NOSIGNAL);
    return sendfile(c->fd, c->file->fd, &c->file_off, left);
}

static enum io write_response(struct conn *c)
{
    for (;;) {
        bool head = c->out_off < c->out_len;
        if (!head && (!c->file || c->file_off >= c->file->size))
            return IO_OK;
        off_t before = c->file_off;
        ssize_t n = head ? write_head(c) : write_body(c);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? IO_RETRY : IO_ERROR;
        }
        count_bytes(n);
        if (head) {
            size_t h = c->out_len - c->out_off;
            c->out_off += (uint32_t)((size_t)n < h ? (size_t)n : h);
            if ((size_t)n > h)
                c->file_off += (off_t)((size_t)n - h);
        } else if (c->file->body) {
            c->file_off += n; /* sendfile advances file_off itself */
        }
        if (n == 0 && !head && before == c->file_off)
            return IO_ERROR; /* file shrank under us: cannot finish framing */
    }
}

/* Half-closes and reads until the client's EOF, so that its unread input
 * does not turn our close into a reset that destroys the response. */
static enum io linger(struct conn *c)
{
    char sink[4096];
    for (uint32_t total = 0; total < CONN_DRAIN_MAX;) {
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);
        if (n > 0) {
            total += (uint32_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return IO_RETRY;
        return IO_EOF;
    }
    return IO_EOF;
}

static void finish_response(struct conn *c)
{
    release_response(c);
    if (!c->keep_alive) {
        c->in_off = c->in_len;
        release_buf_if_idle(c);
        shutdown(c->fd, SHUT_WR);
        c->state = CONN_LINGER;
    } else {
        c->state = c->body_left ? CONN_READ_BODY : CONN_READ_HEAD;
        c->parse_pending = true;
    }
}

/* For handoff: is a whole head (or an error) buffered? Left for the worker. */
static bool head_complete(struct conn *c)
{
    struct http_request req;
    int n = http_parse_request(c->buf + c->in_off, c->in_len - c->in_off, &req);
    c->parse_pending = n != 0;
    return n != 0;
}

static enum conn_want step_read_head(struct conn *c)
{
    for (;;) {
        if (c->buf && c->in_off < c->in_len &&
            (c->parse_pending || c->in_len - c->in_off > HTTP_MAX_REQUEST_LINE)) {
            if (c->handoff && head_complete(c))
                return CONN_WANT_WORK;
            if (!c->handoff && take_request(c))
                return CONN_WANT_WRITE; /* caller loops into CONN_WRITE */
        }
        if (server_stopping() && conn_is_idle(c))
            return CONN_CLOSE;
        if (c->drained && !c->edge_triggered && c->in_off == c->in_len) {
            /* Level-triggered waiting will report anything that arrives. */
            c->drained = false;
            release_buf_if_idle(c);
            return CONN_WANT_READ;
        }
        switch (read_more(c)) {
        case IO_OK:
            break;
        case IO_RETRY:
            release_buf_if_idle(c);
            return CONN_WANT_READ;
        default:
            return CONN_CLOSE;
        }
    }
}

static enum conn_want step_read_body(struct conn *c)
{
    while (c->body_left > 0) {
        c->in_off = c->in_len; /* everything buffered is body */
        switch (read_more(c)) {
        case IO_OK:
            break;
        case IO_RETRY:
            return CONN_WANT_READ;
        default:
            return CONN_CLOSE;
        }
        uint32_t have = c->in_len - c->in_off;
        uint32_t skip = c->body_left < have ? (uint32_t)c->body_left : have;
        c->in_off += skip;
        c->body_left -= skip;
    }
    c->state = CONN_READ_HEAD;
    c->parse_pending = true;
    return CONN_WANT_WRITE;
}

enum conn_want conn_step(struct conn *c)
{
    for (;;) {
        enum conn_want w;
        switch (c->state) {
        case CONN_READ_HEAD:
            if ((w = step_read_head(c)) != CONN_WANT_WRITE)
                return w;
            break;
        case CONN_READ_BODY:
            if ((w = step_read_body(c)) != CONN_WANT_WRITE)
                return w;
            break;
        case CONN_WRITE:
            switch (write_response(c)) {
            case IO_OK:
                finish_response(c);
                break;
            case IO_RETRY:
                return CONN_WANT_WRITE;
            default:
                return CONN_CLOSE;
            }
            break;
        case CONN_LINGER:
            return linger(c) == IO_RETRY ? CONN_WANT_READ : CONN_CLOSE;
        default:
            return CONN_CLOSE;
        }
    }
}

enum conn_want conn_work(struct conn *c)
{
    if (c->state != CONN_READ_HEAD || !c->buf || !take_request(c))
        return CONN_WANT_READ; /* nothing complete: the reactor reads on */
    switch (write_response(c)) {
    case IO_OK:
        finish_response(c);
        return CONN_WANT_READ;
    case IO_RETRY:
        return CONN_WANT_WRITE;
    default:
        return CONN_CLOSE;
    }
}

/* --- the blocking-style loop ------------------------------------------- */

/* Waits in slices so that a thread notices a stop requested elsewhere. */
#define CONN_WAIT_SLICE_MS 250

void conn_serve_blocking(int fd)
{
    struct conn c;
    conn_init(&c, fd);
    enum conn_want w = CONN_WANT_READ;
    int64_t deadline = clock_now_ms() + conn_timeout_ms(&c);
    while (w != CONN_CLOSE) {
        int64_t now = clock_now_ms();
        if (now >= deadline ||
            (server_stopping() && (conn_is_idle(&c) || server_grace_over())))
            break;
        int slice = deadline - now < CONN_WAIT_SLICE_MS ? (int)(deadline - now)
                                                         : CONN_WAIT_SLICE_MS;
        if (server_wait(fd, w == CONN_WANT_READ ? POLLIN : POLLOUT, slice) <= 0)
            continue;
        w = conn_step(&c);
        deadline = clock_now_ms() + conn_timeout_ms(&c);
    }
    conn_close(&c);
}

/* --- completion-style use (libuv, io_uring) ----------------------------
 *
 * The model does the socket I/O (through its library or its ring) and
 * reports what happened; everything else is the same code as conn_step:
 * take_request, finish_response, the buffer pool, the counters. The socket
 * is touched here only for the half-close after a closing response
 * (finish_response) and for the options a fresh connection gets. */

#include <netinet/in.h>
#include <netinet/tcp.h>

void conn_accepted(struct conn *c, int fd)
{
    int one = 1; /* as server_accept: responses go out whole */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    atomic_fetch_add_explicit(&server_counters->accepted, 1, memory_order_relaxed);
    conn_init(c, fd);
}

void conn_detach(struct conn *c)
{
    c->fd = -1; /* the model closes the socket itself */
    conn_close(c);
}

size_t conn_recv_room(const struct conn *c)
{
    return c->buf ? CONN_IN_CAP - (c->in_len - c->in_off) : CONN_IN_CAP;
}

/* Unlike read_more, moves a partial head to the front every time: the
 * space handed out must be what conn_recv_room promised. */
size_t conn_recv_space(struct conn *c, char **p)
{
    if (!c->buf) {
        if (!(c->buf = buf_get()))
            return 0;
        c->in_off = c->in_len = 0;
    } else if (c->in_off > 0) {
        memmove(c->buf, c->buf + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    *p = c->buf + c->in_len;
    return CONN_IN_CAP - c->in_len;
}

void conn_recv_unused(struct conn *c)
{
    release_buf_if_idle(c);
}

/* In CONN_READ_HEAD: answers a buffered request, or asks for more input. */
static enum conn_want advance(struct conn *c)
{
    if (c->buf && c->in_off < c->in_len &&
        (c->parse_pending || c->in_len - c->in_off > HTTP_MAX_REQUEST_LINE) &&
        take_request(c))
        return CONN_WANT_WRITE;
    if (server_stopping() && conn_is_idle(c))
        return CONN_CLOSE;
    release_buf_if_idle(c);
    return CONN_WANT_READ;
}

enum conn_want conn_received(struct conn *c, ssize_t n)
{
    if (n <= 0 || !c->buf || (size_t)n > CONN_IN_CAP - c->in_len)
        return CONN_CLOSE; /* EOF, error, or not received where we said */
    char *at = c->buf + c->in_len;
    if (c->in_off == c->in_len)
        head_begins(c);
    c->in_len += (uint32_t)n;
    switch (c->state) {
    case CONN_READ_HEAD:
        if (memchr(at, '\n', (size_t)n))
            c->parse_pending = true;
        return advance(c);
    case CONN_READ_BODY: {
        uint32_t skip = c->body_left < n ? (uint32_t)c->body_left : (uint32_t)n;
        c->in_off += skip;
        c->body_left -= skip;
        if (c->body_left > 0) {
            release_buf_if_idle(c);
            return CONN_WANT_READ;
        }
        c->state = CONN_READ_HEAD;
        c->parse_pending = true;
        return advance(c);
    }
    case CONN_WRITE:
        return CONN_WANT_WRITE; /* kept for after the response */
    case CONN_LINGER:
        /* body_left counts what was drained (conn_sent zeroed it). */
        c->in_off = c->in_len;
        release_buf_if_idle(c);
        c->body_left += n;
        return c->body_left < CONN_DRAIN_MAX ? CONN_WANT_READ : CONN_CLOSE;
    default:
        return CONN_CLOSE;
    }
}

enum conn_want conn_recv_copy(struct conn *c, const char *data, size_t n)
{
    char *p;
    if (n == 0 || n > conn_recv_room(c) || conn_recv_space(c, &p) < n)
        return CONN_CLOSE;
    memcpy(p, data, n);
    return conn_received(c, (ssize_t)n);
}

int conn_send_iov(struct conn *c, struct iovec *iov)
{
    const struct file_entry *f = c->file;
    if (c->state != CONN_WRITE)
        return 0;
    if (c->out_off < c->out_len) { /* head, and a cached body behind it */
        iov[0].iov_base = c->buf + CONN_IN_CAP + c->out_off;
        iov[0].iov_len = c->out_len - c->out_off;
        if (!f || !f->body)
            return 1;
        iov[1].iov_base = (char *)f->body;
        iov[1].iov_len = (size_t)f->size;
        return 2;
    }
    if (f && f->body && c->file_off < f->size) {
        iov[0].iov_base = (char *)f->body + c->file_off;
        iov[0].iov_len = (size_t)(f->size - c->file_off);
        return 1;
    }
    return 0;
}

bool conn_send_file(struct conn *c, int *fd, off_t *off, size_t *len)
{
    const struct file_entry *f = c->file;
    if (c->state != CONN_WRITE || c->out_off < c->out_len || !f || f->body ||
        c->file_off >= f->size)
        return false;
    *fd = f->fd;
    *off = c->file_off;
    *len = (size_t)(f->size - c->file_off);
    return true;
}

enum conn_want conn_sent(struct conn *c, size_t n)
{
    if (c->state != CONN_WRITE || n == 0)
        return CONN_CLOSE; /* nothing went out: a file that shrank, say */
    count_bytes((ssize_t)n);
    size_t h = c->out_len - c->out_off;
    c->out_off += (uint32_t)(n < h ? n : h);
    if (n > h)
        c->file_off += (off_t)(n - h);
    if (c->out_off < c->out_len || (c->file && c->file_off < c->file->size))
        return CONN_WANT_WRITE;
    finish_response(c);
    switch (c->state) {
    case CONN_READ_HEAD:
        return advance(c);
    case CONN_READ_BODY: /* the rest of a permitted body is still to come */
        release_buf_if_idle(c);
        return CONN_WANT_READ;
    default: /* CONN_LINGER: half-closed, drain until the client's EOF */
        c->body_left = 0;
        return CONN_WANT_READ;
    }
}
