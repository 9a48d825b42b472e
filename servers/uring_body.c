/* A uring connection's body from a file (larger than the core keeps in
 * memory, or not kept: the disk-bound set): read through the ring into one
 * of the ring's body buffers, then sent from it, a round of at most
 * BODY_BUF_SIZE bytes at a time (see uring.c for the whole model).
 *
 * Why not splice: io_uring has no sendfile, and a splice file -> pipe ->
 * socket always runs on the kernel's io-wq worker threads (the splice
 * operations cannot be tried without blocking), which costs a thread
 * switch per round and, with the disk in the path, queues every large body
 * behind the workers' disk reads. A read of a cached file completes inline
 * at submission; one of a page not cached completes through the kernel's
 * async buffered reads (a callback when the page is read, no worker); the
 * send waits for room in the socket by the ring's internal poll. So no
 * operation of the model needs a worker thread, cached or not, and the
 * loop never blocks on the disk for these bodies. The price is one copy of
 * the body into user memory, which the splice avoided.
 *
 * A round is a linked pair READ -> SEND (MSG_WAITALL: the kernel sends all
 * of it, waiting for room as often as it takes), and the rounds of a body
 * are one linked chain through the same buffer, READ SEND READ SEND ...
 * (links run one after the other), submitted together: a body of 900 KiB
 * costs no loop turn between its rounds, where a round per turn would make
 * its latency (the file set's p99 is its 1% of large bodies) grow with
 * every turn. A short read (the file shrank: the framing is lost) or a
 * short send breaks the chain and closes the connection. Where zero-copy
 * sends are in use (not to loopback) the send is a SEND_ZC from the
 * registered buffer, which holds it until its notification: one round per
 * chain then.
 *
 * A connection keeps its buffer until the response is out. When all
 * BODY_BUFS are taken (more large bodies at once, or clients that stopped
 * reading), it takes one of the heap for as long, read into with a plain
 * READ: a queue for the registered ones would let 32 clients that read
 * nothing hold up every other large body until their idle timeout. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "uring.h"

void uring_body_init(struct uring_state *st)
{
    for (int i = 0; i < BODY_BUFS; i++)
        st->body_free[i] = (uint16_t)(BODY_BUFS - 1 - i);
    st->nbody_free = BODY_BUFS;
}

/* A registered buffer if one is free, else one of the heap. */
static bool take_buffer(struct uring_state *st, struct uconn *u)
{
    if (st->nbody_free > 0) {
        u->body_buf = (uint8_t)(st->body_free[--st->nbody_free] + 1);
        return true;
    }
    u->body_heap = malloc(BODY_BUF_SIZE);
    return u->body_heap != NULL;
}

void uring_body_release(struct uring_state *st, struct uconn *u)
{
    if (u->body_buf > 0) {
        st->body_free[st->nbody_free++] = (uint16_t)(u->body_buf - 1);
        u->body_buf = 0;
    }
    free(u->body_heap);
    u->body_heap = NULL;
}

/* The send of a round, zero-copy where in use (from the registered buffer
 * as such where it is one). */
static void prep_send(const struct uring_state *st, const struct uconn *u,
                      struct io_uring_sqe *sqe, size_t len)
{
    int fd = u->fd, buf = u->body_buf - 1;
    const char *p = buf >= 0 ? uring_body_buf((unsigned)buf) : u->body_heap;
    int flags = MSG_NOSIGNAL | MSG_WAITALL;
    if (uring_has.send_zc && len >= st->zc_min && uring_has.read_fixed && buf >= 0)
        io_uring_prep_send_zc_fixed(sqe, fd, p, len, flags, 0, (unsigned)buf);
    else if (uring_has.send_zc && len >= st->zc_min)
        io_uring_prep_send_zc(sqe, fd, p, len, flags, 0);
    else
        io_uring_prep_send(sqe, fd, p, len, flags);
}

/* Rounds of one chain: a body of up to CHAIN_ROUNDS * BODY_BUF_SIZE bytes
 * (2 MiB) goes out in one submission; a larger one in several. */
#define CHAIN_ROUNDS 16

bool uring_body_post(struct uring_state *st, struct uconn *u, int fd, off_t off, size_t len)
{
    if (u->body_buf == 0 && !u->body_heap && !take_buffer(st, u))
        return false;
    int buf = u->body_buf - 1; /* -1: body_heap */
    char *p = buf >= 0 ? uring_body_buf((unsigned)buf) : u->body_heap;
    size_t first = len < BODY_BUF_SIZE ? len : BODY_BUF_SIZE;
    /* A zero-copy send holds the buffer until its notification: one round. */
    bool zc = uring_has.send_zc && first >= st->zc_min;
    size_t rounds = zc ? 1 : (len + BODY_BUF_SIZE - 1) / BODY_BUF_SIZE;
    rounds = rounds < CHAIN_ROUNDS ? rounds : CHAIN_ROUNDS;
    struct io_uring_sqe *sqe = uring_sqe(2 * (unsigned)rounds); /* never split */
    if (!sqe)
        return false;
    u->round = 0;
    u->body_sent = 0;
    u->next = CONN_WANT_WRITE;
    for (size_t r = 0; r < rounds; r++) {
        size_t n = len < BODY_BUF_SIZE ? len : BODY_BUF_SIZE;
        if (r > 0)
            sqe = uring_sqe(1);
        uring_prep_read_body(sqe, fd, p, buf, n, off);
        sqe->flags |= IOSQE_IO_LINK;
        uring_set_op(sqe, u, OP_READ);
        sqe = uring_sqe(1);
        prep_send(st, u, sqe, n);
        if (r + 1 < rounds)
            sqe->flags |= IOSQE_IO_LINK;
        uring_set_op(sqe, u, OP_BODY_SEND);
        u->round += 2;
        off += (off_t)n;
        len -= n;
    }
    return true;
}

/* A send's result, at the notification for a zero-copy one. */
static void on_sent(struct uconn *u, int res)
{
    if (res == -EOPNOTSUPP && uring_has.send_zc)
        uring_has.send_zc = false; /* a socket without zero-copy: the chain again */
    else if (res > 0)
        u->body_sent += (uint32_t)res;
    else
        u->next = CONN_CLOSE; /* ECANCELED: a read or send before broke the chain */
}

bool uring_body_done(struct uconn *u, enum conn_op op, const struct io_uring_cqe *cqe,
                     enum conn_want *want)
{
    if (op == OP_READ && cqe->res <= 0) {
        u->next = CONN_CLOSE; /* a read error (a short read breaks the chain) */
    } else if (op == OP_BODY_SEND) {
        if (cqe->flags & IORING_CQE_F_MORE) {
            u->zc_res = cqe->res; /* a notification follows */
            return false;
        }
        on_sent(u, cqe->flags & IORING_CQE_F_NOTIF ? u->zc_res : cqe->res);
    }
    if (--u->round > 0)
        return false;
    if (u->next == CONN_WANT_WRITE && u->body_sent > 0)
        u->next = conn_sent(&u->c, u->body_sent);
    else if (u->body_sent > 0) /* the chain broke after these went out (a reset
                                * mid-body, a drop): the client has them */
        conn_count_bytes(u->body_sent);
    *want = (enum conn_want)u->next;
    return true;
}
