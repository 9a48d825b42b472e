/* The uring model's own pieces, shared by its files: the loop, accepting and
 * refusing (uring.c), a connection's receives, sends and closing
 * (uring_conn.c), its bodies from a file (uring_body.c), over the ring
 * (uring_ring.h).
 *
 *   uring_next(st, u, want)  posts what the core wants next (recv, send,
 *                            a body round) or drops the connection
 *   uring_on_conn_cqe(...)   a connection's completion, back to the core
 *
 * uring.c calls uring_conn.c, which calls uring_body.c, never the other
 * way round; the state is
 * passed to each function (struct uring_state). */
#ifndef URING_H
#define URING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "reactor.h"
#include "uring_ring.h"

/* user_data: a struct uconn pointer (8-byte aligned) with a conn_op in the
 * low bits, or, without a connection, a loop_op. */
enum conn_op { OP_RECV = 1, OP_SEND, OP_READ, OP_BODY_SEND, OP_SHUTDOWN, OP_CANCEL,
               OP_DB_POLL };
enum loop_op { OP_IGNORE, OP_ACCEPT, OP_LISTEN_POLL, OP_SIGNALS };
#define OP_MASK 7u

struct uconn {
    struct conn c;           /* c.fd is -1 for a registered slot (conn.h) */
    struct msghdr msg;       /* a SENDMSG in flight points here */
    struct iovec iov[2];
    char *spill;             /* received bytes the core had no room for yet */
    uint32_t spill_off, spill_len, spill_cap;
    int fd;                  /* what the ring's operations name: slot or descriptor */
    char *body_heap;         /* the body buffer held when no registered one was free */
    uint32_t body_sent;      /* bytes the body chain in flight has sent */
    int32_t zc_res;          /* a zero-copy send's result, used at its notification */
    uint8_t inflight;        /* ring operations not completed yet */
    uint8_t round;           /* operations of the body chain not completed yet */
    uint8_t next;            /* enum conn_want once the body chain is done */
    uint8_t body_buf;        /* the registered body buffer held, plus 1; 0: none */
    bool open;               /* the slot holds a connection */
    bool closing;            /* dropped: closes when inflight reaches 0 */
    bool writing;            /* a send or a body chain is in flight */
    bool recv_armed;         /* a receive is in flight (multishot: until it ends) */
    bool recv_cancelled;     /* ... and asked to stop: the core is full */
    bool single_shot;        /* pipelines far ahead: receives the core asks for */
    bool eof;                /* the peer's FIN came while the core could not take it */
    bool poll_first;         /* the last recv emptied the socket */
    bool half_closed;        /* a closing response's shutdown was sent */
    bool db_polling;         /* a poll on the database's socket is in flight */
};

/* The model's state: one per process, made by uring.c and passed to every
 * function of its files (no global shared between them). */
struct uring_state {
    struct server *srv;
    struct uconn *conns;     /* indexed by slot (direct) or descriptor */
    int max_fd;              /* entries in conns, and slots in the ring's table */
    int nconns;              /* open, including closing ones */
    struct timeouts tq;
    int sigfd;               /* signalfd of SIGTERM, SIGINT, SIGUSR1 */
    bool multishot;          /* the kernel takes multishot accept */
    bool accept_armed;       /* an accept or a poll on the listener is pending */
    struct reactor_stop stop; /* stop.stopped: no new connections */
    size_t zc_min;           /* zero-copy sends from this many bytes */
    bool zc_loopback;        /* ... also to loopback peers (URING_ZC_MIN given) */
    size_t spill_total;      /* bytes allocated for kept bytes, all connections */
    uint16_t body_free[BODY_BUFS]; /* body buffers no connection holds */
    int nbody_free;
};

/* A connection's operation: its user_data, counted in flight. Every
 * operation but the read of a file, the cancel (which names the socket
 * itself) and the poll on the database's socket is on the socket. */
static inline void uring_set_op(struct io_uring_sqe *sqe, struct uconn *u, enum conn_op op)
{
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)u | op);
    u->inflight++;
    if (uring_has.direct_fds && op != OP_READ && op != OP_CANCEL && op != OP_DB_POLL)
        sqe->flags |= IOSQE_FIXED_FILE;
}

static inline void uring_set_loop_op(struct io_uring_sqe *sqe, enum loop_op op)
{
    io_uring_sqe_set_data64(sqe, op);
}

/* uring_body.c: bodies from a file, read into a body buffer and sent;
 * uring_conn.c calls it, it calls neither. */
void uring_body_init(struct uring_state *st);
/* A chain of rounds of the body, each at most BODY_BUF_SIZE of the len
 * bytes at off of file fd, through a registered buffer or, with none free,
 * one of the heap. false: out of memory, or the ring is full; the response
 * cannot go on. */
bool uring_body_post(struct uring_state *st, struct uconn *u, int fd, off_t off, size_t len);
/* A chain's completion (OP_READ, OP_BODY_SEND); true when the chain is
 * over, with what the core wants next in *want. */
bool uring_body_done(struct uconn *u, enum conn_op op, const struct io_uring_cqe *cqe,
                     enum conn_want *want);
/* Gives back the connection's buffer. */
void uring_body_release(struct uring_state *st, struct uconn *u);

/* uring_conn.c: uring.c calls it; it calls nothing of uring.c. */
/* Reads URING_ZC_MIN (bytes) and URING_OFF; -1 with a message on a bad one. */
int uring_read_env(struct uring_state *st, char *err, size_t errsz);
/* Zero-copy only where it can be: not to a server bound to loopback. */
void uring_send_setup(struct uring_state *st, const struct server *s);
/* Moves a connection on after the core said w: its response out, bytes
 * kept back handed over, a receive armed; or drops it (CONN_CLOSE). */
void uring_next(struct uring_state *st, struct uconn *u, enum conn_want w);
void uring_on_conn_cqe(struct uring_state *st, struct uconn *u, enum conn_op op,
                       const struct io_uring_cqe *cqe);
/* Closes a connection: at once when nothing is in flight, else a shutdown
 * and a cancel, and the close at its last completion. */
void uring_drop(struct uring_state *st, struct uconn *u);
/* Frees a registered slot (a connection refused or closed). */
void uring_close_slot(int slot);
/* Everything of ours a connection holds, and its socket unless it is a
 * registered slot; for the teardown once the ring is gone. */
void uring_release(struct uring_state *st, struct uconn *u);

#endif
