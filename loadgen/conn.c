/* A loadgen connection: connect, send what the schedule says is due, read
 * and frame responses, reconnect. Hot path: one write for every batch of due
 * requests (pre-built bytes), one read per readiness into the thread's
 * buffer, bodies skipped by count; no allocation per request. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "conn.h"

static void conn_error(struct lg_thread *t, enum lg_err e, uint64_t now)
{
    if (lg_in_window(t, now))
        t->st.err[e]++;
}

static void conn_watch(struct lg_thread *t, struct lg_conn *c, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    /* Only ENOMEM or a bug can fail here; the connection then times out. */
    (void)epoll_ctl(t->epfd, op, c->fd, &ev);
    c->watch_out = events & EPOLLOUT;
}

/* Closes the socket; requests in flight go back to the schedule (re-sent
 * on the next socket with their original due times). */
void lg_conn_close(struct lg_thread *t, struct lg_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);  /* also leaves the epoll set */
    if (c->state == LG_OPEN)
        t->open--;
    c->state = LG_WAIT_RETRY;  /* until lg_conn_open */
    c->fd = -1;
    lg_timer_clear(t, c);
    c->next_k -= c->inflight;
    c->cursor -= c->inflight;  /* the same paths again */
    c->inflight = c->oldest = c->wleft = c->carry_len = 0;
    c->answered = 0;
    resp_init(&c->resp);
}

static void conn_retry_later(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    conn_error(t, LG_ERR_CONNECT, now);
    lg_conn_close(t, c);
    lg_timer_set(t, c, now + LG_RETRY_NS);
}

/* The oldest request in flight is given up (it failed); the rest are
 * re-sent on a new connection. */
static void conn_fail(struct lg_thread *t, struct lg_conn *c, enum lg_err e, uint64_t now)
{
    conn_error(t, e, now);
    if (c->inflight > 0) {
        c->oldest = (c->oldest + 1) % t->sh->o->pipeline;
        c->inflight--;
    }
    lg_conn_close(t, c);
    lg_conn_open(t, c, now);
}

static void conn_reconnect(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    if (lg_in_window(t, now))
        t->st.reconnects++;
    lg_conn_close(t, c);
    lg_conn_open(t, c, now);
}

static void conn_on_connected(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    c->state = LG_OPEN;
    c->free_ns = now;
    t->open++;
    conn_watch(t, c, EPOLLIN, EPOLL_CTL_MOD);
    lg_conn_send_due(t, c, now);
}

void lg_conn_open(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    const struct lg_opts *o = t->sh->o;
    int one = 1;
    c->opened_ns = now;
    c->fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* Without NODELAY a pipelined batch can wait for a delayed ACK (40 ms). */
    if (c->fd < 0 || setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one)) {
        conn_retry_later(t, c, now);
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    int rc = connect(c->fd, (const struct sockaddr *)&o->addr, o->addrlen);
    if ((rc && errno != EINPROGRESS) || epoll_ctl(t->epfd, EPOLL_CTL_ADD, c->fd, &ev)) {
        conn_retry_later(t, c, now);
        return;
    }
    c->state = LG_CONNECTING;
    c->watch_out = true;
    if (rc == 0)
        conn_on_connected(t, c, now);
}

static void conn_record(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    struct lg_slot *s = &c->slots[c->oldest];
    c->oldest = (c->oldest + 1) % t->sh->o->pipeline;
    c->inflight--;
    c->free_ns = now;
    c->answered++;
    if (now >= t->sh->clk.window_end) {  /* read in the last turn of the loop */
        lg_backlog_charge(t, t->sh->o->closed ? s->sent_ns : s->due_ns);
        return;
    }
    if (now < t->sh->clk.window_start) {
        t->st.warmup_completed++;
        return;
    }
    t->st.completed++;
    t->st.cls_completed[s->cls]++;
    hist_record(&t->st.cls[s->cls], now - s->due_ns);
    hist_record(&t->st.corrected, now - s->due_ns);
    hist_record(&t->st.uncorrected, now - s->sent_ns);
    if (c->resp.status < 200 || c->resp.status > 399)
        t->st.err[LG_ERR_STATUS]++;
}

void lg_conn_send_due(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    const struct lg_opts *o = t->sh->o;
    if (!t->running || c->state != LG_OPEN || c->wleft || now >= t->sh->clk.window_end)
        return;
    unsigned n = 0;
    if (o->closed)
        n = o->pipeline - c->inflight;
    else
        while (c->inflight + n < o->pipeline && lg_due(t, c, c->next_k + n) <= now)
            n++;
    if (n > 0) {
        const struct lg_reqs *q = &t->sh->reqs;
        uint64_t first = c->cursor % q->n;
        size_t len = q->off[first + n] - q->off[first];
        ssize_t w = write(c->fd, q->buf + q->off[first], len);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            conn_error(t, LG_ERR_WRITE, now);
            lg_conn_close(t, c);
            lg_conn_open(t, c, now);
            return;
        }
        bool in = lg_in_window(t, now);
        c->cursor += n;
        c->wend = q->off[first + n];
        for (unsigned i = 0; i < n; i++, c->next_k++) {
            struct lg_slot *s = &c->slots[(c->oldest + c->inflight++) % o->pipeline];
            s->sent_ns = now;
            s->cls = q->cls[first + i];
            s->due_ns = o->closed ? now : lg_due(t, c, c->next_k);
            if (in && !o->closed)
                hist_record(&t->st.lag, now - (s->due_ns > c->free_ns ? s->due_ns : c->free_ns));
        }
        if (in)
            t->st.sent += n;
        if (w < (ssize_t)len) {  /* the socket is full: the rest on EPOLLOUT */
            c->wleft = (uint32_t)(len - (w > 0 ? (size_t)w : 0));
            conn_watch(t, c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
        }
    }
    if (!o->closed && c->inflight < o->pipeline)
        lg_timer_set(t, c, lg_due(t, c, c->next_k));
    else
        lg_timer_clear(t, c);
}

static void conn_on_writable(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    /* A batch is one contiguous range of the request bytes (loadgen.h). */
    const char *end = t->sh->reqs.buf + c->wend;
    ssize_t w = write(c->fd, end - c->wleft, c->wleft);
    if (w < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (w < 0) {
        conn_fail(t, c, LG_ERR_WRITE, now);
        return;
    }
    c->wleft -= (uint32_t)w;
    if (c->wleft == 0) {
        conn_watch(t, c, EPOLLIN, EPOLL_CTL_MOD);
        lg_conn_send_due(t, c, now);
    }
}

/* End of stream, or a reset. Between responses it is the server closing a
 * keep-alive connection (a reconnect; a reset too, when our next request
 * crossed its close: RFC 9112 section 9.3.1), unless it never answered
 * anything on this connection while requests waited; inside a response it
 * is a read error. */
static void conn_on_eof(struct lg_thread *t, struct lg_conn *c, uint64_t now, bool reset)
{
    enum resp_result rc = resp_eof(&c->resp, c->carry_len > 0);
    if (rc == RESP_DONE && !reset && c->inflight > 0) {
        conn_record(t, c, now);
        conn_reconnect(t, c, now);
    } else if (rc == RESP_MORE && (c->inflight == 0 || c->answered > 0)) {
        conn_reconnect(t, c, now);
    } else {
        conn_fail(t, c, LG_ERR_READ, now);
    }
}

/* Frames the responses in t->rbuf[0..len); keeps a partial head or chunk
 * line. Returns false if the connection was closed. */
static bool conn_consume(struct lg_thread *t, struct lg_conn *c, size_t len, uint64_t now)
{
    size_t off = 0, used;
    for (;;) {
        enum resp_result rc = resp_parse(&c->resp, t->rbuf + off, len - off, &used);
        off += used;
        if (rc == RESP_MORE)
            break;
        if (rc == RESP_ERROR || c->inflight == 0) {  /* malformed, or unasked for */
            conn_fail(t, c, LG_ERR_PARSE, now);
            return false;
        }
        conn_record(t, c, now);
        if (c->resp.close) {
            conn_reconnect(t, c, now);
            return false;
        }
    }
    if (off == len)
        return true;
    if (len - off > LG_CARRY_MAX || (!c->carry && !(c->carry = malloc(LG_CARRY_MAX)))) {
        conn_fail(t, c, LG_ERR_PARSE, now);
        return false;
    }
    memcpy(c->carry, t->rbuf + off, len - off);
    c->carry_len = (uint32_t)(len - off);
    return true;
}

static void conn_on_readable(struct lg_thread *t, struct lg_conn *c)
{
    size_t room;
    ssize_t n;
    uint64_t now;
    do {  /* read again only while the buffer fills: more is waiting */
        size_t have = c->carry_len;
        if (have)
            memcpy(t->rbuf, c->carry, have);
        room = LG_RBUF - have;
        n = read(c->fd, t->rbuf + have, room);
        now = lg_now();
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n <= 0) {
            conn_on_eof(t, c, now, n < 0);
            return;
        }
        if (lg_in_window(t, now))
            t->st.bytes += (uint64_t)n;
        c->carry_len = 0;
        if (!conn_consume(t, c, have + (size_t)n, now))
            return;
    } while ((size_t)n == room);
    lg_conn_send_due(t, c, now);
}

void lg_conn_on_event(struct lg_thread *t, struct lg_conn *c, uint32_t events)
{
    if (c->state == LG_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        uint64_t now = lg_now();
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
            conn_retry_later(t, c, now);
        else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            conn_on_connected(t, c, now);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        conn_on_readable(t, c);
    if (c->state == LG_OPEN && c->wleft && (events & EPOLLOUT))
        conn_on_writable(t, c, lg_now());
}

void lg_conn_on_timer(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    if (c->state == LG_WAIT_RETRY)
        lg_conn_open(t, c, now);
    else
        lg_conn_send_due(t, c, now);
}

/* Called now and then: a request unanswered for --timeout after its send,
 * or a connect that has not completed in that time, is given up. */
void lg_conn_check_timeout(struct lg_thread *t, struct lg_conn *c, uint64_t now)
{
    uint64_t limit = t->sh->o->timeout_ns;
    if (c->state == LG_OPEN && c->inflight && now - c->slots[c->oldest].sent_ns >= limit)
        conn_fail(t, c, LG_ERR_TIMEOUT, now);
    else if (c->state == LG_CONNECTING && now - c->opened_ns >= limit)
        conn_retry_later(t, c, now);
}
