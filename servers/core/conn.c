/* The connection engine: one state machine in completion style, and the
 * readiness driver over it; see conn.h. */
#include "conn.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bufpool.h"
#include "conn_int.h"
#include "clock.h"
#include "files.h"
#include "http_parse.h"
#include "response.h"
#include "server.h"

#define CONN_LINGER_MS 2000 /* after a closing response, wait this long for EOF */
#define CONN_DRAIN_MAX (256 * 1024) /* input discarded while lingering */
#define CONN_INLINE_MAX 4096 /* bodies copied behind the head: one send */

_Static_assert(CONN_IN_CAP > HTTP_MAX_HEAD, "input buffer must exceed the head limit");
_Static_assert(CONN_OUT_CAP > RESPONSE_LOCATION_MAX + 1024, "a 301 must fit");

/* --- connection life --------------------------------------------------- */

void conn_init(struct conn *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->wait_fd = -1;
    c->state = CONN_READ_HEAD;
    c->keep_alive = true;
}

void conn_accepted(struct conn *c, int fd)
{
    int one = 1; /* as server_accept: responses go out whole */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    atomic_fetch_add_explicit(&server_counters->accepted, 1, memory_order_relaxed);
    conn_init(c, fd);
}

static void release_body(struct conn *c)
{
    if (c->body.file)
        files_put(c->body.file);
    free(c->body.coded);
    c->body = (struct respond_body){0};
    db_req_free(c->db);
    c->db = NULL;
}

static void release_response(struct conn *c)
{
    release_body(c);
    c->out_off = c->out_len = 0;
}

static void release_buf_if_idle(struct conn *c)
{
    if (c->buf && c->in_off == c->in_len && c->out_len == 0) {
        bufpool_put(c->buf);
        c->buf = NULL;
        c->in_off = c->in_len = 0;
    }
}

/* release_buf_if_idle, except for a connection the readiness driver moves:
 * the driver gives the buffer back when it stops (rather than here, before
 * the read that takes it again), and from the reactor's thread, whose free
 * list it came from, not from a pool's worker. */
static void settle_buf(struct conn *c)
{
    if (!c->driven)
        release_buf_if_idle(c);
}

/* A body from a file that ends before its head said (the file shrank while
 * it was sent: files.h) cannot be finished; the connection is closed
 * without pretending otherwise, and the counters say so. Looked at only
 * when a connection closes with a body still to send: a client that left
 * is told from a short file by the file's size now. */
static void count_if_truncated(const struct conn *c)
{
    const struct file_entry *f = c->body.file;
    struct stat st;
    if (c->state != CONN_WRITE || !f || f->body || c->body.coded || c->body.len <= 0 ||
        c->out_off < c->out_len)
        return;
    if (fstat(f->fd, &st) == 0 && st.st_size < c->body.off + c->body.len)
        atomic_fetch_add_explicit(&server_counters->truncated, 1, memory_order_relaxed);
}

void conn_close(struct conn *c)
{
    count_if_truncated(c);
    release_response(c);
    if (c->buf)
        bufpool_put(c->buf);
    c->buf = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = CONN_DONE;
}

void conn_detach(struct conn *c)
{
    c->fd = -1; /* the model closes the socket itself */
    conn_close(c);
}

bool conn_is_idle(const struct conn *c)
{
    return c->state == CONN_READ_HEAD && c->in_off == c->in_len;
}

/* Every read has a total deadline, so that a client sending a byte now and
 * then cannot hold a connection: a request head from its first byte, a body
 * still owed after its response, the linger after a closing response. */
static void read_due_in(struct conn *c, int ms)
{
    c->due_ms = clock_now_ms() + ms;
}

static void head_begins(struct conn *c)
{
    read_due_in(c, server_options->header_timeout_ms);
}

int conn_timeout_ms(const struct conn *c)
{
    if (c->state != CONN_LINGER && c->state != CONN_READ_BODY &&
        !(c->state == CONN_READ_HEAD && c->in_off < c->in_len))
        return server_options->idle_timeout_ms;
    int limit = c->state == CONN_LINGER ? CONN_LINGER_MS : server_options->header_timeout_ms;
    int64_t left = c->due_ms - clock_now_ms();
    return left < 0 ? 0 : left > limit ? limit : (int)left;
}

void conn_timeout_touch(struct timeouts *t, struct conn *c)
{
    timeouts_touch(t, &c->tq, clock_now_ms(), conn_timeout_ms(c), conn_is_idle(c));
}

/* --- the state machine -------------------------------------------------
 *
 * Driven by results: what arrived (conn_received), what went out
 * (conn_sent). The socket is touched here only for the half-close after a
 * closing response. */

static void count_response(int status)
{
    atomic_fetch_add_explicit(&server_counters->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&server_counters->status[status / 100], 1,
                              memory_order_relaxed);
}

void conn_count_bytes(size_t n)
{
    atomic_fetch_add_explicit(&server_counters->bytes, (uint64_t)n,
                              memory_order_relaxed);
}

/* The body's bytes when they are in memory (a cached file, an encoded
 * body made for this response, or the database's answer as JSON), else
 * NULL: sent from the file. */
static const char *body_in_memory(const struct conn *c)
{
    if (c->body.coded)
        return c->body.coded;
    if (c->body.file)
        return c->body.file->body;
    return c->db ? c->db->json : NULL;
}

/* A small body from memory is copied behind the head, so that the response
 * leaves as one piece: a send instead of a sendmsg (writev) of two. The copy
 * of at most CONN_INLINE_MAX bytes costs less than the kernel's import of a
 * message header and an iovec array for every response (bench/profile.sh:
 * about 3% of a 1 KiB request's CPU under uring, as much under epoll). */
static void inline_small_body(struct conn *c)
{
    const char *mem = body_in_memory(c);
    if (!mem || c->body.len <= 0 || c->body.len > CONN_INLINE_MAX ||
        c->out_len + (size_t)c->body.len > CONN_OUT_CAP)
        return;
    memcpy(c->buf + CONN_IN_CAP + c->out_len, mem + c->body.off, (size_t)c->body.len);
    c->out_len += (uint32_t)c->body.len;
    release_body(c);
}

/* The answer in the buffer goes out now. */
static void send_answer(struct conn *c, int status)
{
    c->state = CONN_WRITE;
    inline_small_body(c);
    count_response(status);
}

void conn_send_answer(struct conn *c, int status) /* for conn_backend.c */
{
    send_answer(c, status);
}

/* Skips what is buffered of a Content-Length body, so that the next
 * request stays in sync; the rest is skipped after the answer. */
static void skip_buffered(struct conn *c, int64_t content_length)
{
    uint32_t have = c->in_len - c->in_off;
    uint32_t skip = content_length < have ? (uint32_t)content_length : have;
    c->in_off += skip;
    c->skip_left = content_length - skip;
    if (c->in_off < c->in_len)
        head_begins(c); /* a pipelined head already begun */
}

/* A chunked body is read before its answer goes out (RFC 9112 section
 * 7.1: a recipient must be able to parse it), since the decoding may still
 * fail: the answer is then a 400 or 413 instead. The answer is made now,
 * while the head is in the buffer, and held in the output area. */
static void hold_answer(struct conn *c, const struct http_request *req, int status)
{
    c->state = CONN_READ_BODY;
    c->answer_held = true;
    c->head_only = req->method == HTTP_HEAD;
    c->held_status = (uint16_t)status;
    http_chunked_init(&c->chunked);
    read_due_in(c, server_options->header_timeout_ms);
}

/* In CONN_READ_BODY with an answer held: decodes what arrived of the
 * chunked body; at its end the answer goes out, or an error in its place. */
static enum conn_want skip_chunked(struct conn *c)
{
    size_t used;
    int r = http_chunked_skip(&c->chunked, c->buf + c->in_off, c->in_len - c->in_off,
                              &used);
    c->in_off += (uint32_t)used;
    if (r == HTTP_CHUNKED_MORE) {
        settle_buf(c);
        return CONN_WANT_READ;
    }
    c->answer_held = false;
    /* The head was made from the file as it was when the request head
     * came; one whose file changed since cannot be sent (files.h). The
     * request is gone from the buffer, so it cannot be answered again. */
    if (r == HTTP_CHUNKED_DONE && c->body.file && !files_unchanged(c->body.file))
        r = -503;
    if (r < 0) {
        struct respond_answer a;
        release_response(c);
        c->in_off = c->in_len; /* the rest cannot be framed */
        respond_error(-r, c->head_only, c->buf + CONN_IN_CAP, CONN_OUT_CAP, &a);
        c->keep_alive = false;
        c->out_len = (uint32_t)a.head_len;
        c->held_status = (uint16_t)a.status;
    } else if (c->in_off < c->in_len) {
        head_begins(c); /* a pipelined head after the body */
    }
    send_answer(c, c->held_status);
    return CONN_WANT_WRITE;
}

/* Parses what is buffered; on a complete head, takes respond.c's answer,
 * to send (CONN_WRITE) or to hold until a chunked body is read. */
static bool take_request(struct conn *c)
{
    struct http_request req;
    struct respond_answer a;
    char *out = c->buf + CONN_IN_CAP;
    int n = http_parse_request(c->buf + c->in_off, c->in_len - c->in_off, &req);
    c->parse_pending = false;
    if (n == 0)
        return false;
    if (n < 0) {
        c->in_off = c->in_len; /* the rest cannot be framed */
        respond_error(-n, req.method == HTTP_HEAD, out, CONN_OUT_CAP, &a);
    } else {
        c->in_off += (uint32_t)n;
        if (!req.chunked)
            skip_buffered(c, req.content_length);
        int st = conn_backend_begin(c, &req, req.keep_alive && !server_stopping());
        if (st != 0) { /* the database's: answered (> 0) or awaited */
            if (st > 0)
                send_answer(c, st);
            return true;
        }
        respond_to(&req, req.keep_alive && !server_stopping(), out, CONN_OUT_CAP, &a);
    }
    c->keep_alive = a.keep_alive;
    c->out_off = 0;
    c->out_len = (uint32_t)a.head_len;
    c->body = a.body;
    if (n > 0 && req.chunked)
        hold_answer(c, &req, a.status);
    else
        send_answer(c, a.status);
    return true;
}

/* After take_request: the answer to send, or the chunked body to read. */
static enum conn_want answer_or_body(struct conn *c)
{
    if (c->state == CONN_BACKEND)
        return CONN_WANT_BACKEND;
    return c->state == CONN_READ_BODY ? skip_chunked(c) : CONN_WANT_WRITE;
}

/* For handoff: is a whole head (or an error) buffered? Left for the worker. */
static bool head_complete(struct conn *c)
{
    struct http_request req;
    int n = http_parse_request(c->buf + c->in_off, c->in_len - c->in_off, &req);
    c->parse_pending = n != 0;
    return n != 0;
}

/* In CONN_READ_HEAD: answers a buffered request, or asks for more input. */
static enum conn_want advance(struct conn *c)
{
    if (c->buf && c->in_off < c->in_len &&
        (c->parse_pending || c->in_len - c->in_off > HTTP_MAX_REQUEST_LINE)) {
        if (c->handoff && head_complete(c))
            return CONN_WANT_WORK;
        if (!c->handoff && take_request(c))
            return answer_or_body(c);
    }
    if (server_stopping() && conn_is_idle(c))
        return CONN_CLOSE;
    settle_buf(c);
    return CONN_WANT_READ;
}

/* In CONN_READ_BODY: drops what arrived of a permitted request body. */
static enum conn_want skip_body(struct conn *c)
{
    if (c->answer_held)
        return skip_chunked(c);
    uint32_t have = c->in_len - c->in_off;
    uint32_t skip = c->skip_left < have ? (uint32_t)c->skip_left : have;
    c->in_off += skip;
    c->skip_left -= skip;
    if (c->skip_left > 0) {
        settle_buf(c);
        return CONN_WANT_READ;
    }
    c->state = CONN_READ_HEAD;
    c->parse_pending = true;
    if (c->in_off < c->in_len)
        head_begins(c); /* a pipelined head after the body */
    return advance(c);
}

/* After a response's last byte: the next request, or for a closing
 * response a half-close and a drain until the client's EOF, so that its
 * unread input does not turn our close into a reset that destroys the
 * response (RFC 9112 §9.6). */
static enum conn_want finish_response(struct conn *c)
{
    release_response(c);
    if (!c->keep_alive) {
        c->in_off = c->in_len;
        settle_buf(c);
        if (c->fd >= 0) /* else the model half-closes (conn.h) */
            shutdown(c->fd, SHUT_WR);
        c->state = CONN_LINGER;
        c->lingered = 0;
        read_due_in(c, CONN_LINGER_MS);
        return CONN_WANT_READ;
    }
    c->parse_pending = true;
    if (c->skip_left > 0) { /* the rest of a permitted body is still to come */
        c->state = CONN_READ_BODY;
        read_due_in(c, server_options->header_timeout_ms);
        settle_buf(c);
        return CONN_WANT_READ;
    }
    c->state = CONN_READ_HEAD;
    return advance(c);
}

size_t conn_recv_room(const struct conn *c)
{
    return c->buf ? CONN_IN_CAP - (c->in_len - c->in_off) : CONN_IN_CAP;
}

/* Moves a partial head to the front, so that the space handed out is what
 * conn_recv_room promised. */
size_t conn_recv_space(struct conn *c, char **p)
{
    if (!c->buf) {
        if (!(c->buf = bufpool_get()))
            return 0;
        c->in_off = c->in_len = 0;
    } else if (c->in_off == c->in_len) {
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

enum conn_want conn_received(struct conn *c, ssize_t n)
{
    if (n <= 0 || !c->buf || (size_t)n > CONN_IN_CAP - c->in_len)
        return CONN_CLOSE; /* EOF, error, or not received where we said */
    char *at = c->buf + c->in_len;
    if (c->in_off == c->in_len && (c->state == CONN_READ_HEAD || c->state == CONN_WRITE ||
                                   c->state == CONN_BACKEND))
        head_begins(c); /* the first bytes of a head, not of a body or a linger */
    c->in_len += (uint32_t)n;
    switch (c->state) {
    case CONN_READ_HEAD:
        if (memchr(at, '\n', (size_t)n))
            c->parse_pending = true;
        return advance(c);
    case CONN_READ_BODY:
        return skip_body(c);
    case CONN_WRITE:
        return CONN_WANT_WRITE; /* kept for after the response */
    case CONN_BACKEND:
        return CONN_WANT_BACKEND; /* the same, while the database answers */
    case CONN_LINGER:
        c->in_off = c->in_len;
        release_buf_if_idle(c);
        c->lingered += (uint32_t)n;
        return c->lingered < CONN_DRAIN_MAX ? CONN_WANT_READ : CONN_CLOSE;
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

/* The head still to send and a body in memory behind it (a cached file,
 * an encoded body or a database answer): one writev. */
int conn_send_iov(struct conn *c, struct iovec *iov)
{
    const char *mem = body_in_memory(c);
    int k = 0;
    if (c->state != CONN_WRITE)
        return 0;
    if (c->out_off < c->out_len) {
        iov[k].iov_base = c->buf + CONN_IN_CAP + c->out_off;
        iov[k++].iov_len = c->out_len - c->out_off;
    }
    if (mem && c->body.len > 0) {
        iov[k].iov_base = (char *)mem + c->body.off;
        iov[k++].iov_len = (size_t)c->body.len;
    }
    return k;
}

/* A body from the file itself, once the head is out. */
bool conn_send_file(struct conn *c, int *fd, off_t *off, size_t *len)
{
    const struct file_entry *f = c->body.file;
    if (c->state != CONN_WRITE || c->out_off < c->out_len || !f || body_in_memory(c) ||
        c->body.len <= 0)
        return false;
    *fd = f->fd;
    *off = c->body.off;
    *len = (size_t)c->body.len;
    return true;
}

enum conn_want conn_sent(struct conn *c, size_t n)
{
    if (c->state != CONN_WRITE || n == 0)
        return CONN_CLOSE; /* nothing went out: a file that shrank, say */
    conn_count_bytes(n);
    size_t h = c->out_len - c->out_off;
    if (n < h) {
        c->out_off += (uint32_t)n;
        return CONN_WANT_WRITE;
    }
    c->out_off = c->out_len;
    c->body.off += (off_t)(n - h);
    c->body.len -= (off_t)(n - h);
    return c->body.len > 0 ? CONN_WANT_WRITE : finish_response(c);
}

/* The worker only answers; reading stays the reactor's. */
enum conn_want conn_work(struct conn *c)
{
    if (c->state != CONN_READ_HEAD || !c->buf || !take_request(c))
        return CONN_WANT_READ; /* nothing complete: the reactor reads on */
    enum conn_want w = answer_or_body(c);
    return w == CONN_WANT_WRITE ? conn_drive_send(c) : w; /* else the reactor reads */
}
