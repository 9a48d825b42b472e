/* The connection engine: one HTTP/1.1 state machine that every model drives.
 *
 * A model owns the socket's waiting and scheduling; the core owns HTTP. The
 * machine is written once, in completion style: the model (or the driver
 * below) asks where to receive, reports what was received, asks what to
 * send, reports what was sent, and each report returns what the connection
 * wants next. respond.c decides what to answer a request; this file only
 * moves bytes between the socket and the answer:
 *
 *   conn_init(&c, fd);  want = CONN_WANT_READ;
 *   READ:  n = conn_recv_space(&c, &p);  receive at most n bytes at p;
 *          want = conn_received(&c, got);    // got <= 0: EOF or error
 *          (nothing came, EAGAIN: conn_recv_unused(&c) gives the buffer back)
 *     or:  receive at most conn_recv_room(&c) bytes elsewhere (a ring's
 *          provided buffer), want = conn_recv_copy(&c, data, got);
 *   WRITE: k = conn_send_iov(&c, iov);   // k > 0: send iov[0..k): the head
 *          or conn_send_file(&c, &fd, &off, &len);  // and a cached body, or
 *          want = conn_sent(&c, bytes);  // a body from a file (sendfile)
 *   CLOSE: conn_close(&c), or conn_detach(&c) when the model closes the fd.
 *
 * A model whose sockets are not descriptors of the process (io_uring's
 * registered, "direct" descriptors) sets c.fd to -1 after conn_init: the
 * core then never touches the socket, and the model half-closes it itself
 * once c.state is CONN_LINGER (after a closing response).
 *
 * Completion models (libuv, uring) call these themselves. Readiness models
 * call conn_step() whenever the socket may be ready: a thin driver that
 * performs the recv, writev and sendfile those calls ask for until the
 * socket would block, and returns what to wait for. Under level-triggered
 * waiting a short read already shows the socket empty, so the driver does
 * not read again only to meet EAGAIN; an edge-triggered model sets
 * c->edge_triggered and the driver reads until EAGAIN. Blocking style:
 *
 *   conn_init(&c, fd);
 *   for (;;) {                               // single, fork, thread, coro
 *       enum conn_want w = conn_step(&c);
 *       if (w == CONN_CLOSE) break;
 *       wait for fd to be readable (CONN_WANT_READ) or writable
 *       (CONN_WANT_WRITE), at most conn_timeout_ms(&c); on timeout break;
 *   }
 *   conn_close(&c);
 *
 * Reads are wanted only between responses: nothing is received while
 * CONN_WANT_WRITE is pending. A conn holds an I/O buffer only while a
 * request is being read or answered; an idle keep-alive connection costs
 * sizeof(struct conn) and nothing else. Buffers come from a per-thread free
 * list, so the hot path does not allocate. */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"
#include "http_chunked.h"
#include "respond.h"
#include "timeouts.h"

enum conn_want {
    CONN_WANT_READ,   /* wait until readable */
    CONN_WANT_WRITE,  /* wait until writable */
    CONN_CLOSE,       /* done: call conn_close() */
    CONN_WANT_WORK,   /* handoff only: a whole request is buffered */
    CONN_WANT_BACKEND, /* the answer waits on the database: conn_backend_wait() */
};

enum conn_state {
    CONN_READ_HEAD,   /* reading or parsing a request head */
    CONN_READ_BODY,   /* discarding a permitted request body: Content-Length
                         after its answer, chunked before it (the decoding
                         may fail, and then the answer is 400 or 413) */
    CONN_WRITE,       /* sending a response */
    CONN_LINGER,      /* closing response sent: half-closed, draining input */
    CONN_BACKEND,     /* the answer waits on the database (conn_backend.c) */
    CONN_DONE,        /* nothing more to do */
};

struct conn {
    int fd;
    uint8_t state;          /* enum conn_state */
    bool keep_alive;        /* keep the connection after this response */
    bool handoff;           /* stop at each complete request (thread pools) */
    bool edge_triggered;    /* set by edge-triggered models: read to EAGAIN */
    bool driven;            /* conn_step moves its bytes */
    bool drained;           /* conn_step: the last recv was short */
    bool parse_pending;     /* new input may complete a line */
    bool answer_held;       /* the answer waits for the chunked body's end */
    bool head_only;         /* that request is a HEAD */
    uint16_t held_status;   /* the held answer's status, counted when sent */
    char *buf;              /* pool buffer, NULL while idle */
    uint32_t in_off;        /* start of unparsed input in buf */
    uint32_t in_len;        /* end of input in buf */
    uint32_t out_off;       /* sent bytes of the response head */
    uint32_t out_len;       /* length of the response head */
    uint32_t lingered;      /* bytes discarded while lingering */
    int64_t skip_left;      /* request body bytes still to discard */
    int64_t due_ms;         /* the head, body or linger read must end by then */
    struct respond_body body; /* response body bytes still to send */
    struct db_req *db;      /* a /db or /queries request and its JSON body */
    struct http_chunked chunked; /* the chunked request body being read */
    /* For the models: the timeout list link and what the socket waits for. */
    struct timeout_link tq;
    uint32_t waiting;
    int wait_fd;            /* the database socket waited on, -1: none */
};

void conn_init(struct conn *c, int fd);
/* conn_init for a socket accepted without server_accept(): counts it and
 * sets TCP_NODELAY as server_accept does. */
void conn_accepted(struct conn *c, int fd);

/* The readiness driver: does all the I/O it can without blocking; see above
 * (conn_step.c). */
enum conn_want conn_step(struct conn *c);
/* Its sending half: sends until the response is out or the socket is full
 * (CONN_WANT_WRITE); for conn_work. */
enum conn_want conn_drive_send(struct conn *c);

/* Milliseconds the model should wait before giving up on this connection:
 * what is left of the header timeout while a request head is partly read
 * (counted from its first byte, so a client dribbling a byte at a time is
 * still closed on time), of the header timeout again while the rest of a
 * request body is discarded after its response (counted from that
 * response's end), of a short linger after a closing response (counted from
 * its end), else the idle timeout (between requests, and while a response
 * waits for the client). */
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

/* Thread pools: a reactor that sets c->handoff gets CONN_WANT_WORK as soon
 * as a whole request head is buffered (nothing of it is processed yet). A
 * worker then calls conn_work(), which answers that request (path, file,
 * response), writes until done or blocked, and returns what the connection
 * wants next, CONN_WANT_WORK again for a pipelined request already
 * buffered. */
enum conn_want conn_work(struct conn *c);

/* --- requests that wait on the database (conn_backend.c, db.h) -----------
 *
 * /db and /queries are answered from the database. Blocking models (and
 * threadpool's workers, and every model under --db-api sync) block in the
 * client's synchronous face inside conn_step/conn_work and never see the
 * wait: the synchronous face is what a thread gets unless it said
 * otherwise. An event loop that drives the completion face says so once per
 * thread with conn_backend_drive(true); a request then leaves conn_step
 * (or conn_received) with CONN_WANT_BACKEND, and the loop:
 *
 *   fd = conn_backend_wait(c, &events);  // wait for events (DB_READ, DB_WRITE
 *        // of db.h) on fd, not on c->fd; fd -1: queued for a
 *        // database connection, conn_backend_granted() will return c
 *   when fd is ready:  w = conn_backend_ready(c);  // BACKEND again, or
 *        // CONN_WANT_WRITE with the answer (200, or 503 if the database failed)
 *   after each turn:   while ((c = conn_backend_granted())) w = conn_backend_ready(c);
 *
 * The fd may change between calls (a reconnect), and a new socket may even
 * have the number of the old one, which libpq closed inside
 * conn_backend_ready: events then has DB_NEW (4) set, and the loop must
 * register fd again (the old registration went with the old socket). */
void conn_backend_drive(bool on);
int conn_backend_wait(struct conn *c, int *events);
enum conn_want conn_backend_ready(struct conn *c);
struct conn *conn_backend_granted(void);

/* Releases the buffer and file and closes the socket. */
void conn_close(struct conn *c);
/* conn_close without closing the socket (the model closes it). */
void conn_detach(struct conn *c);

/* The blocking-style loop above, waiting with ppoll(2) on the one socket;
 * used by single, fork and thread. Returns 0 when the connection is
 * finished, -1 with errno when ppoll failed. */
int conn_serve_blocking(int fd); /* conn_blocking.c */

/* The completion-style primitives; see above. */
size_t conn_recv_room(const struct conn *c);
size_t conn_recv_space(struct conn *c, char **p); /* 0: out of memory */
void conn_recv_unused(struct conn *c);
enum conn_want conn_received(struct conn *c, ssize_t n);
enum conn_want conn_recv_copy(struct conn *c, const char *data, size_t n);
struct iovec;
int conn_send_iov(struct conn *c, struct iovec *iov); /* iov[2] */
bool conn_send_file(struct conn *c, int *fd, off_t *off, size_t *len);
enum conn_want conn_sent(struct conn *c, size_t n); /* bytes that went out */
/* Adds n bytes to the counters' bytes (server.h), which conn_sent does for
 * what it is told: for bytes that went out when the response cannot go on
 * (a chain of sends that broke after them), so conn_sent is not called. */
void conn_count_bytes(size_t n);

#endif
