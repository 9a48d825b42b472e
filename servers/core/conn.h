/* The per-connection state machine that every model drives.
 *
 * A model owns the socket's waiting and scheduling; the core owns HTTP. The
 * socket is non-blocking in every model. A model calls conn_step() whenever
 * the socket may be ready; conn_step reads, parses, answers (writev for cached
 * small files, sendfile for large ones), handles keep-alive and pipelining,
 * and runs until the socket would block, so it is also correct under
 * edge-triggered readiness (set c->edge_triggered there: with level-triggered
 * waiting a short read already shows the socket empty, which saves the read
 * that would only return EAGAIN). It returns what to wait for next:
 *
 *   struct conn c;
 *   conn_init(&c, fd);
 *   for (;;) {                               // blocking style (single, fork,
 *       enum conn_want w = conn_step(&c);    // thread, coro)
 *       if (w == CONN_CLOSE) break;
 *       wait for fd to be readable (CONN_WANT_READ) or writable
 *       (CONN_WANT_WRITE), at most conn_timeout_ms(&c); on timeout break;
 *   }
 *   conn_close(&c);
 *
 * Event models do the same from their loop, one conn per socket. A conn holds
 * an I/O buffer only while a request is being read or answered; an idle
 * keep-alive connection costs sizeof(struct conn) and nothing else. Buffers
 * come from a per-thread free list, so the hot path does not allocate. */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "timeouts.h"

struct file_entry;

enum conn_want {
    CONN_WANT_READ,   /* wait until readable */
    CONN_WANT_WRITE,  /* wait until writable */
    CONN_CLOSE,       /* done: call conn_close() */
    CONN_WANT_WORK,   /* handoff only: a whole request is buffered */
};

enum conn_state {
    CONN_READ_HEAD,   /* reading or parsing a request head */
    CONN_READ_BODY,   /* discarding a permitted request body */
    CONN_WRITE,       /* sending a response */
    CONN_LINGER,      /* error sent: half-closed, draining input briefly */
    CONN_DONE,        /* nothing more to do */
};

struct conn {
    int fd;
    uint8_t state;          /* enum conn_state */
    bool keep_alive;        /* keep the connection after this response */
    bool head_only;         /* HEAD: no body */
    bool handoff;           /* stop at each complete request (thread pools) */
    bool edge_triggered;    /* set by edge-triggered models: read to EAGAIN */
    bool drained;           /* the last read found the socket empty */
    char *buf;              /* pool buffer, NULL while idle */
    uint32_t in_off;        /* start of unparsed input in buf */
    uint32_t in_len;        /* end of input in buf */
    uint32_t out_off;       /* sent bytes of the response head */
    uint32_t out_len;       /* length of the response head */
    int64_t body_left;      /* request body bytes still to discard */
    int64_t head_due_ms;    /* the head begun must be whole by then */
    struct file_entry *file;/* body source, or NULL */
    off_t file_off;         /* next body byte to send */
    uint8_t parse_pending;  /* new input may complete a line */
    /* For the models: the timeout list link and free fields. */
    struct timeout_link tq;
    uint32_t waiting;       /* model's own: what it waits for now */
    void *user;             /* model's own */
};

void conn_init(struct conn *c, int fd);

/* Does all the I/O it can without blocking; see above. */
enum conn_want conn_step(struct conn *c);

/* Milliseconds the model should wait before giving up on this connection:
 * what is left of the header timeout while a request head is partly read
 * (counted from its first byte, so a client dribbling a byte at a time is
 * still closed on time), the idle timeout between
 * requests, the idle timeout while a response waits for the client. */
int conn_timeout_ms(const struct conn *c);

/* Puts c on t's list for its current timeout (conn_timeout_ms), counted
 * from now: what an event model does after each step that did not close. */
void conn_timeout_touch(struct timeouts *t, struct conn *c);

/* The conn whose link a timeouts_expire() callback got. */
static inline struct conn *conn_of_timeout(struct timeout_link *l)
{
    return (struct conn *)(void *)((char *)l - offsetof(struct conn, tq));
}

/* True when no request is partly read and no response is partly sent: a
 * stopping server may close such a connection at once. */
bool conn_is_idle(const struct conn *c);

/* Thread pools: a reactor that sets c->handoff gets CONN_WANT_WORK from
 * conn_step() as soon as a whole request head is buffered (nothing of it is
 * processed yet). A worker then calls conn_work(), which answers that request
 * (path, file, response) and writes until done or blocked, and gives the
 * connection back: CONN_CLOSE, or anything else meaning "call conn_step()
 * again from the reactor" (pipelined requests may be buffered already). */
enum conn_want conn_work(struct conn *c);

/* Releases the buffer and file and closes the socket. */
void conn_close(struct conn *c);

/* The blocking-style loop above, waiting with poll(2) on the one socket; used
 * by single, fork and thread. Returns when the connection is finished. */
void conn_serve_blocking(int fd);

/* --- Completion-style use (libuv, io_uring): the model does the I/O, the
 * core decides. The same state machine as conn_step, driven by results:
 *
 *   conn_accepted(&c, fd);                  // accepted without server_accept
 *   want = CONN_WANT_READ;
 *   READ:  n = conn_recv_space(&c, &p);     // receive at most n bytes at p,
 *          want = conn_received(&c, got);   // got <= 0: EOF or error
 *          (got nothing, EAGAIN: conn_recv_unused(&c) returns the buffer)
 *     or:  receive at most conn_recv_room(&c) bytes elsewhere (a ring's
 *          provided buffer), want = conn_recv_copy(&c, data, got);
 *   WRITE: k = conn_send_iov(&c, iov);      // k > 0: send iov[0..k) (head,
 *          or conn_send_file(&c, &fd, &off, &len) // cached body); else the
 *          want = conn_sent(&c, bytes);     // body from a file
 *   CLOSE: conn_close(&c), or conn_detach(&c) when the model closes the fd.
 *
 * Reads are wanted only between responses: a model does not receive while
 * CONN_WANT_WRITE is pending. A buffer is taken by conn_recv_space and given
 * back as soon as nothing is buffered, so an idle connection holds none. */
void conn_accepted(struct conn *c, int fd); /* counts it, TCP_NODELAY, init */
size_t conn_recv_room(const struct conn *c);
size_t conn_recv_space(struct conn *c, char **p); /* 0: out of memory */
void conn_recv_unused(struct conn *c);
enum conn_want conn_received(struct conn *c, ssize_t n);
enum conn_want conn_recv_copy(struct conn *c, const char *data, size_t n);
struct iovec;
int conn_send_iov(struct conn *c, struct iovec *iov); /* iov[2] */
bool conn_send_file(struct conn *c, int *fd, off_t *off, size_t *len);
enum conn_want conn_sent(struct conn *c, size_t n); /* bytes that went out */
void conn_detach(struct conn *c); /* conn_close without closing the socket */

#endif
