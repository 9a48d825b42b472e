/* A uring connection's receives and sends: what the core wants next, posted
 * to the ring, and each completion handed back to the core (see uring.c for
 * the whole model).
 *
 * - Receiving: one multishot receive per connection (6.0), armed at accept
 *   and left armed across requests, so a keep-alive request costs no
 *   submission and no poll armed for its receive. The kernel picks buffers
 *   from the provided buffer ring only when data arrives (several per
 *   completion with receive bundles, 6.10); the bytes are copied into the
 *   core's buffer and the ring buffers go straight back, so an idle
 *   connection holds no memory of ours. Data that comes while a response is
 *   going out waits in the core's buffer, as pipelined requests do. Where
 *   multishot receive is off, a single-shot receive asks for what the core
 *   has room for, waiting for data before trying (POLL_FIRST) after a
 *   receive that emptied the socket.
 * - Sending: IORING_OP_SEND for one piece (a head with a small body the core
 *   copied behind it), SENDMSG for a head and a large cached body.
 * - Zero-copy sends (SEND_ZC, SENDMSG_ZC) pin the body's pages instead of
 *   copying them into the socket: two completions, the send's and, once the
 *   kernel no longer needs the memory, a notification. The core hears of
 *   the send only at the notification, so nothing it frees (the head, a
 *   file entry) is still in use. Over loopback there is nothing to gain:
 *   the kernel copies the pages anyway when it delivers them to the local
 *   socket (the "deferred copy" of Documentation/networking/msg_zerocopy.rst),
 *   so a server bound to a loopback address sends plainly unless
 *   URING_ZC_MIN is set.
 * - Bodies from a file (over the 64 KiB the core keeps in memory, or not
 *   kept): uring_body.c, a read through the ring and a send.
 * - Closing: operations in flight hold the socket. A cancel takes what
 *   waits on it (a shutdown first while a body chain runs, see uring_drop),
 *   and the slot (or descriptor) closes only after the last completion, the
 *   cancel's (and shutdown's) included: they may run late, and must not
 *   find a new connection in the slot by then.
 * - A closing response's half-close (SHUT_WR before the linger) is an
 *   IORING_OP_SHUTDOWN, which io_uring always runs on an io-wq worker: the
 *   only operation left that does, on error and Connection: close
 *   responses, never on a keep-alive request. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uring.h"

/* Below this, pinning pages and the extra notification cost more than the
 * copy they save (msg_zerocopy.rst: "generally only effective at writes
 * over around 10 KB"). */
#define ZC_MIN_DEFAULT (16 * 1024)

int uring_read_env(struct uring_state *st, char *err, size_t errsz)
{
    const char *zc = getenv("URING_ZC_MIN");
    st->zc_min = ZC_MIN_DEFAULT;
    st->zc_loopback = false;
    if (zc) {
        char *end;
        errno = 0;
        long long v = strtoll(zc, &end, 10);
        if (errno || end == zc || *end || v < 0) {
            snprintf(err, errsz, "URING_ZC_MIN: expected a number of bytes, got '%s'", zc);
            return -1;
        }
        st->zc_min = (size_t)v;
        st->zc_loopback = true;
    }
    return uring_ring_read_env(err, errsz);
}

void uring_send_setup(struct uring_state *st, const struct server *s)
{
    bool loopback = false;
    if (s->addr.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&s->addr;
        loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (s->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&s->addr;
        loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    if (loopback && !st->zc_loopback)
        st->zc_min = SIZE_MAX;
}

/* --- receiving ---------------------------------------------------------------- */

/* Bytes a multishot receive delivered that the core had no room for: kept
 * in order until the core takes them. Only a client that sends far ahead of
 * its responses (pipelining) gets here; its receive is stopped and it is
 * served by single-shot receives from then on, which the core's buffer
 * bounds. What it had sent by then is bounded by one enter's worth of
 * buffers (completions run only inside our wait); the kept bytes of all
 * connections together by SPILL_TOTAL_MAX, beyond which one is closed. */
#define SPILL_MAX ((size_t)RECV_BUFS * RECV_BUF_SIZE)
#define SPILL_TOTAL_MAX (32u << 20)

static bool spill_add(struct uring_state *st, struct uconn *u, const char *p, size_t n)
{
    size_t have = u->spill_len - u->spill_off;
    if (have + n > SPILL_MAX)
        return false;
    if (have > 0) /* spill is NULL until the first kept byte: no memmove(NULL, ...) */
        memmove(u->spill, u->spill + u->spill_off, have);
    u->spill_off = 0;
    u->spill_len = (uint32_t)have;
    if (have + n > u->spill_cap) {
        size_t cap = u->spill_cap ? 2 * (size_t)u->spill_cap : 4 * RECV_BUF_SIZE;
        while (cap < have + n)
            cap *= 2;
        cap = cap > SPILL_MAX ? SPILL_MAX : cap;
        char *q = st->spill_total + cap - u->spill_cap <= SPILL_TOTAL_MAX ? realloc(u->spill, cap)
                                                                       : NULL;
        if (!q)
            return false;
        st->spill_total += cap - u->spill_cap;
        u->spill = q;
        u->spill_cap = (uint32_t)cap;
    }
    memcpy(u->spill + u->spill_len, p, n);
    u->spill_len += (uint32_t)n;
    return true;
}

static void spill_free(struct uring_state *st, struct uconn *u)
{
    st->spill_total -= u->spill_cap;
    free(u->spill);
    u->spill = NULL;
    u->spill_off = u->spill_len = u->spill_cap = 0;
}

void uring_conn_free(struct uring_state *st, struct uconn *u)
{
    uring_body_release(st, u);
    spill_free(st, u);
}

static size_t spilled(const struct uconn *u)
{
    return u->spill_len - u->spill_off;
}

/* A request of the connection waits on the database. Its client leaving
 * (a FIN or a reset) is acted on only once the answer is in, as in the
 * other event models, whose client socket is out of their wait meanwhile:
 * dropping the request would abandon its query in flight, and libpq's
 * connection with it (db_req_free), which the pool's next request would
 * reopen synchronously, the loop blocked for a connect and a prepare
 * (some 15 ms on loopback, against 2 ms for a query at --db-delay-ms 2). */
static bool waiting_db(const struct uconn *u)
{
    return u->c.state == CONN_BACKEND;
}

/* Hands received bytes to the core, as many as it has room for, the rest
 * kept behind any kept before. Returns what the core said (or CONN_CLOSE). */
static enum conn_want feed(struct uring_state *st, struct uconn *u, const char *p, size_t n)
{
    enum conn_want w = CONN_WANT_READ;
    if (spilled(u) == 0) {
        size_t room = conn_recv_room(&u->c);
        size_t take = n < room ? n : room;
        if (take > 0 && (w = conn_recv_copy(&u->c, p, take)) == CONN_CLOSE)
            return w;
        p += take;
        n -= take;
    }
    return n > 0 && !spill_add(st, u, p, n) ? CONN_CLOSE : w;
}

/* The core wants to read: kept bytes first, as room allows. */
static enum conn_want feed_spilled(struct uring_state *st, struct uconn *u)
{
    size_t room = conn_recv_room(&u->c), n = spilled(u);
    size_t take = n < room ? n : room;
    enum conn_want w = take > 0 ? conn_recv_copy(&u->c, u->spill + u->spill_off, take)
                                : CONN_CLOSE; /* cannot happen: reading with no room */
    u->spill_off += (uint32_t)take;
    if (spilled(u) == 0)
        spill_free(st, u); /* an idle connection holds no memory */
    return w;
}

/* A multishot receive stays armed across requests (one SQE and one poll per
 * connection, not per request); a single-shot one asks for what the core
 * has room for, waiting for data first when the socket was left empty. */
static bool arm_recv(struct uconn *u)
{
    if (u->recv_armed)
        return true;
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return false;
    if (uring_has.recv_multishot && !u->single_shot)
        uring_prep_recv_multishot(sqe, u->fd);
    else
        uring_prep_recv(sqe, u->fd, conn_recv_room(&u->c), u->poll_first);
    uring_set_op(sqe, u, OP_RECV);
    u->recv_armed = true;
    u->recv_cancelled = false;
    return true;
}

/* Flow control: the core is full, so the multishot receive stops (it ends
 * with ECANCELED); single-shot receives take over once the kept bytes are
 * taken. */
static void stop_recv(struct uconn *u)
{
    struct io_uring_sqe *sqe;
    u->single_shot = true;
    if (!u->recv_armed || u->recv_cancelled || !(sqe = uring_sqe(1)))
        return;
    io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)u | OP_RECV, 0);
    uring_set_op(sqe, u, OP_CANCEL);
    u->recv_cancelled = true;
}

static void on_recv(struct uring_state *st, struct uconn *u, const struct io_uring_cqe *cqe)
{
    struct uring_data_iter it;
    const char *p;
    size_t n;
    enum conn_want w = CONN_WANT_READ;
    if (!(cqe->flags & IORING_CQE_F_MORE))
        u->recv_armed = false;
    /* Every buffer is walked, so that each goes back to the kernel. */
    for (uring_data_first(cqe, &it, &p, &n); n; uring_data_next(&it, &p, &n))
        if (w != CONN_CLOSE)
            w = feed(st, u, p, n);
    if (cqe->res == 0)
        u->eof = true; /* for the core once it has taken everything before */
    else if (cqe->res == -EINVAL && uring_has.recv_multishot)
        uring_has.recv_multishot = false; /* refused after all: single-shot */
    else if (cqe->res < 0 && cqe->res != -ENOBUFS && cqe->res != -ECANCELED) {
        if (waiting_db(u))
            u->eof = true; /* reset: the answer's send fails, after the database's (next_read) */
        else
            w = CONN_CLOSE; /* reset: nothing more will go out either */
    }
    u->poll_first = !(cqe->flags & IORING_CQE_F_SOCK_NONEMPTY);
    if (spilled(u) > 0)
        stop_recv(u);
    uring_next(st, u, w);
}

/* --- sending ------------------------------------------------------------------ */

/* The head, and a cached body behind it: SEND for one piece, SENDMSG for
 * two, zero-copy from zc_min bytes; a body from the file: uring_body.c. */
static bool post_send(struct uring_state *st, struct uconn *u)
{
    int n = conn_send_iov(&u->c, u->iov);
    u->writing = true;
    if (n > 0) {
        struct io_uring_sqe *sqe = uring_sqe(1);
        if (!sqe)
            return false;
        size_t len = u->iov[0].iov_len + (n > 1 ? u->iov[1].iov_len : 0);
        bool zc = uring_has.send_zc && len >= st->zc_min;
        u->msg = (struct msghdr){.msg_iov = u->iov, .msg_iovlen = (size_t)n};
        if (n == 1 && zc)
            io_uring_prep_send_zc(sqe, u->fd, u->iov[0].iov_base, len, MSG_NOSIGNAL, 0);
        else if (n == 1)
            io_uring_prep_send(sqe, u->fd, u->iov[0].iov_base, len, MSG_NOSIGNAL);
        else if (zc)
            io_uring_prep_sendmsg_zc(sqe, u->fd, &u->msg, MSG_NOSIGNAL);
        else
            io_uring_prep_sendmsg(sqe, u->fd, &u->msg, MSG_NOSIGNAL);
        uring_set_op(sqe, u, OP_SEND);
        return true;
    }
    int fd;
    off_t off;
    size_t len;
    return conn_send_file(&u->c, &fd, &off, &len) && uring_body_post(st, u, fd, off, len);
}

/* After a closing response the core lingers; it cannot half-close a
 * registered slot, so the ring does. */
static bool half_close(struct uconn *u)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return false;
    io_uring_prep_shutdown(sqe, u->fd, SHUT_WR);
    uring_set_op(sqe, u, OP_SHUTDOWN); /* the slot stays until it completes */
    u->half_closed = true;
    return true;
}

/* The core wants to read (any state but CONN_WRITE): what it has not been
 * given yet first, then a receive. */
static enum conn_want next_read(struct uring_state *st, struct uconn *u)
{
    if (waiting_db(u))
        return CONN_WANT_BACKEND; /* a FIN or reset meanwhile waits for the answer */
    uring_body_release(st, u); /* a body from a file, if any, is out */
    if (u->c.fd < 0 && u->c.state == CONN_LINGER && !u->half_closed && !half_close(u))
        return CONN_CLOSE;
    if (spilled(u) > 0)
        return feed_spilled(st, u);
    if (u->eof)
        return conn_received(&u->c, 0); /* CONN_CLOSE */
    return arm_recv(u) ? CONN_WANT_READ : CONN_CLOSE;
}

/* Requests that wait on the database (conn.h): a poll on libpq's socket in
 * the ring. False when no submission entry is left. */
static bool db_poll(struct uconn *u)
{
    int events, fd = conn_backend_wait(&u->c, &events);
    if (u->db_polling || fd < 0)
        return true; /* polled already, or queued: the loop resumes it when granted */
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return false;
    io_uring_prep_poll_add(sqe, fd, (events & DB_READ ? POLLIN : 0) |
                                        (events & DB_WRITE ? POLLOUT : 0));
    uring_set_op(sqe, u, OP_DB_POLL);
    u->db_polling = true;
    return true;
}

void uring_next(struct uring_state *st, struct uconn *u, enum conn_want w)
{
    while (w != CONN_CLOSE && w != CONN_WANT_BACKEND && !u->writing) {
        if (u->c.state == CONN_WRITE) {
            w = post_send(st, u) ? CONN_WANT_WRITE : CONN_CLOSE;
            break;
        }
        bool more = spilled(u) > 0;
        w = next_read(st, u);
        if (!more && w == CONN_WANT_READ)
            break; /* a receive is armed */
    }
    if (w == CONN_WANT_BACKEND && !db_poll(u))
        w = CONN_CLOSE;
    if (w == CONN_CLOSE) {
        uring_drop(st, u);
        return;
    }
    conn_timeout_touch(&st->tq, &u->c);
}

/* --- closing ------------------------------------------------------------------ */

/* Everything of ours the connection holds; the socket too, unless it is a
 * registered slot (closed through the ring, or with the ring). */
void uring_release(struct uring_state *st, struct uconn *u)
{
    uring_conn_free(st, u);
    conn_close(&u->c);
    u->open = false;
    st->nconns--;
}

void uring_close_slot(int slot)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (sqe) { /* frees the slot; only a failure would complete */
        io_uring_prep_close_direct(sqe, (unsigned)slot);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        uring_set_loop_op(sqe, OP_IGNORE);
    }
}

void uring_finish_close(struct uring_state *st, struct uconn *u)
{
    int slot = u->fd;
    uring_release(st, u);
    if (uring_has.direct_fds)
        uring_close_slot(slot);
}

void uring_drop(struct uring_state *st, struct uconn *u)
{
    timeouts_remove(&st->tq, &u->c.tq);
    if (u->closing)
        return;
    u->closing = true;
    if (u->inflight == 0) {
        uring_finish_close(st, u);
        return;
    }
    /* The cancel takes what waits on the socket (a receive, a send waiting
     * for room). A body chain may issue its next send after it, once the
     * read before it (on the file, not cancelled) is done: a shutdown first
     * makes that send fail at once. io_uring runs a shutdown on its io-wq
     * workers, so only then. */
    bool chain = u->round > 0;
    struct io_uring_sqe *sqe = uring_sqe((chain ? 2 : 1) + (u->db_polling ? 1 : 0));
    if (!sqe)
        return;
    if (chain) {
        io_uring_prep_shutdown(sqe, u->fd, SHUT_RDWR);
        uring_set_op(sqe, u, OP_SHUTDOWN);
        sqe = uring_sqe(1);
    }
    io_uring_prep_cancel_fd(sqe, u->fd, IORING_ASYNC_CANCEL_ALL |
                                        (uring_has.direct_fds ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
    uring_set_op(sqe, u, OP_CANCEL);
    if (u->db_polling && (sqe = uring_sqe(1))) { /* the database's socket, not the client's */
        io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)u | OP_DB_POLL, 0);
        uring_set_op(sqe, u, OP_CANCEL);
    }
}

/* --- completions --------------------------------------------------------------- */

/* A send's completion; a zero-copy send's result waits for its
 * notification (F_MORE says one follows). */
static void on_send(struct uring_state *st, struct uconn *u, const struct io_uring_cqe *cqe)
{
    int res = cqe->res;
    if (cqe->flags & IORING_CQE_F_MORE) {
        u->zc_res = res;
        return;
    }
    u->writing = false;
    if (cqe->flags & IORING_CQE_F_NOTIF) {
        res = u->zc_res;
    } else if (res == -EOPNOTSUPP && uring_has.send_zc) {
        uring_has.send_zc = false; /* a socket without zero-copy: plain sends */
        uring_next(st, u, CONN_WANT_WRITE);
        return;
    }
    uring_next(st, u, res > 0 ? conn_sent(&u->c, (size_t)res) : CONN_CLOSE);
}

void uring_on_conn_cqe(struct uring_state *st, struct uconn *u, enum conn_op op,
                       const struct io_uring_cqe *cqe)
{
    enum conn_want w;
    u->inflight--;
    if (cqe->flags & IORING_CQE_F_MORE)
        u->inflight++; /* a multishot receive goes on; a notification is to come */
    if (u->closing) {
        if (op == OP_RECV)
            uring_recycle(cqe);
        else if ((op == OP_READ || op == OP_BODY_SEND) && u->round > 0) {
            u->next = CONN_CLOSE; /* the chain's sends counted, nothing more */
            uring_body_done(u, op, cqe, &w);
        }
        if (u->inflight == 0)
            uring_finish_close(st, u);
        return;
    }
    switch (op) {
    case OP_RECV:
        on_recv(st, u, cqe);
        break;
    case OP_SEND:
        on_send(st, u, cqe);
        break;
    case OP_DB_POLL:
        u->db_polling = false;
        uring_next(st, u, conn_backend_ready(&u->c));
        break;
    case OP_SHUTDOWN: /* a closing response's half-close: nothing waits on it */
    case OP_CANCEL:
        break;
    default: /* OP_READ, OP_BODY_SEND */
        if (uring_body_done(u, op, cqe, &w)) {
            u->writing = false;
            uring_next(st, u, w);
        }
        break;
    }
}
