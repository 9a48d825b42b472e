/* uring: beyond the tutorials, completions instead of readiness. One
 * io_uring (through liburing; set up in uring_ring.c) does every socket
 * operation; the core decides through its completion-style interface
 * (conn.h): the model hands the kernel a receive or a send and is told
 * later what it did, never that a socket is ready.
 *
 * - Accepting: one multishot accept (Linux 5.19+) that keeps producing
 *   connections; where the kernel refuses it (EINVAL), a single-shot accept
 *   re-armed after each one. At EMFILE the kernel ends the multishot with
 *   -EMFILE and the connection stays queued: server_accept() then sheds the
 *   queue through the core's reserved descriptor (counted as refused). An
 *   accept re-armed at the limit would fail at once (io_uring takes the
 *   descriptor first), so a POLL_ADD on the listener waits for the next
 *   connection before the accept is tried again: nothing spins.
 * - Receiving: IORING_OP_RECV with a buffer chosen by the kernel from a
 *   provided buffer ring (IOSQE_BUFFER_SELECT) only when data arrives. A
 *   recv is always posted on an idle keep-alive connection, yet it holds no
 *   memory of ours: the data is copied into the core's buffer (a request
 *   head, a few hundred bytes) and the ring buffer goes straight back. An
 *   idle connection costs its struct uconn (about 200 bytes) plus the
 *   kernel's pending request.
 * - Sending: IORING_OP_SEND for one piece, IORING_OP_SENDMSG for the head
 *   and a cached small body together (both from memory the core owns).
 * - Large file bodies: splice, no copy through user space. Each round is a
 *   linked chain SPLICE file->pipe, POLL_ADD socket POLLOUT, SPLICE
 *   pipe->socket, moving at most PIPE_CHUNK bytes through a pipe the
 *   connection borrows from a small pool. The kernel runs splice on its
 *   worker threads; our sockets are non-blocking, so the poll in the middle
 *   keeps the last splice from finding a full socket (it would return
 *   EAGAIN, not wait).
 * - Timeouts: the core's struct timeouts; the wait's own timeout is the
 *   nearest deadline (io_uring_submit_and_wait_timeout).
 * - Signals: the same wait installs server_waitmask, so SIGTERM, SIGINT and
 *   SIGUSR1 get in only there; under load the wait may return without
 *   sleeping, so pending ones are also let in once per batch.
 * - io_uring unavailable (ENOSYS, EPERM from kernel.io_uring_disabled or a
 *   seccomp filter, a kernel without buffer rings): one line on stderr and
 *   exit SERVER_EXIT_UNAVAILABLE before listening. Once running, an
 *   io_uring_enter that fails (other than EINTR, EBUSY, EAGAIN) ends the
 *   loop with one line and exit 1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "reactor.h"
#include "uring_ring.h"

#define PIPE_CHUNK (64 * 1024)  /* bytes per splice round: a pipe's default size */
#define PIPES_KEPT 32           /* empty pipes kept for the next large body */

static const struct server_model MODEL = {
    "uring",
    "io_uring: multishot accept, recv into provided buffers, send/sendmsg, "
    "splice for large files",
    false, false};

/* user_data: a struct uconn pointer (8-byte aligned) with the operation in
 * the low bits; the listener's operations carry no connection, and a
 * cancel's own completion (user_data 0) is ignored. */
enum op { OP_CANCEL, OP_ACCEPT, OP_LISTEN_POLL, OP_RECV, OP_SEND, OP_SPLICE_IN,
          OP_POLL_OUT, OP_SPLICE_OUT };
#define OP_MASK 7u

struct uconn {
    struct conn c;
    struct msghdr msg;       /* a SENDMSG in flight points here */
    struct iovec iov[2];
    int pipe_r, pipe_w;      /* borrowed while a large body is spliced, else -1 */
    uint32_t in_pipe;        /* body bytes in the pipe, not yet on the socket */
    uint8_t inflight;        /* ring operations not completed yet */
    uint8_t next;            /* enum conn_want once the splice round is done */
    bool closing;            /* dropped: closes when inflight reaches 0 */
};

static struct {
    struct server *srv;
    struct uconn *conns;     /* indexed by descriptor */
    int max_fd;
    int nconns;              /* open, including closing ones */
    struct timeouts tq;
    bool multishot;          /* the kernel takes multishot accept */
    bool accept_armed;       /* an accept or a poll on the listener is pending */
    bool stopped;
    int pipes[PIPES_KEPT][2];
    int npipes;
} U;

/* --- submission ---------------------------------------------------------- */

static void set_op(struct io_uring_sqe *sqe, struct uconn *u, enum op op)
{
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)u | op);
    if (u)
        u->inflight++;
}

static void arm_accept(void)
{
    struct io_uring_sqe *sqe = ring_sqe(1);
    if (!sqe)
        return; /* re-armed after the next completion */
    if (U.multishot)
        io_uring_prep_multishot_accept(sqe, U.srv->listen_fd, NULL, NULL,
                                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    else
        io_uring_prep_accept(sqe, U.srv->listen_fd, NULL, NULL,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    set_op(sqe, NULL, OP_ACCEPT);
    U.accept_armed = true;
}

/* io_uring takes the new descriptor before it looks for a connection, so at
 * the descriptor limit every accept fails at once, queue or not: re-arming
 * it would spin. A poll on the listener waits for the next connection. */
static void arm_listen_poll(void)
{
    struct io_uring_sqe *sqe = ring_sqe(1);
    if (!sqe)
        return;
    io_uring_prep_poll_add(sqe, U.srv->listen_fd, POLLIN);
    set_op(sqe, NULL, OP_LISTEN_POLL);
    U.accept_armed = true;
}

/* --- pipes for splice ------------------------------------------------------ */

static bool pipe_take(struct uconn *u)
{
    int p[2];
    if (U.npipes > 0) {
        U.npipes--;
        p[0] = U.pipes[U.npipes][0];
        p[1] = U.pipes[U.npipes][1];
    } else if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
        return false; /* out of descriptors: this response cannot finish */
    }
    u->pipe_r = p[0];
    u->pipe_w = p[1];
    u->in_pipe = 0;
    return true;
}

static void pipe_give_back(struct uconn *u)
{
    if (u->pipe_r < 0)
        return;
    if (u->in_pipe == 0 && U.npipes < PIPES_KEPT) {
        U.pipes[U.npipes][0] = u->pipe_r;
        U.pipes[U.npipes][1] = u->pipe_w;
        U.npipes++;
    } else { /* holds bytes of a response that will not finish */
        close(u->pipe_r);
        close(u->pipe_w);
    }
    u->pipe_r = u->pipe_w = -1;
}

/* --- closing --------------------------------------------------------------- */

static void finish_close(struct uconn *u)
{
    pipe_give_back(u);
    conn_close(&u->c);
    U.nconns--;
}

/* Operations in flight hold the socket: shutdown makes a pending recv or
 * poll complete at once (and a linked poll not issued yet, when it is), the
 * cancel takes the rest; the descriptor closes with the last completion. */
static void drop(struct uconn *u)
{
    timeouts_remove(&U.tq, &u->c.tq);
    if (u->closing)
        return;
    u->closing = true;
    if (u->inflight == 0) {
        finish_close(u);
        return;
    }
    shutdown(u->c.fd, SHUT_RDWR);
    struct io_uring_sqe *sqe = ring_sqe(1);
    if (sqe) {
        io_uring_prep_cancel_fd(sqe, u->c.fd, IORING_ASYNC_CANCEL_ALL);
        set_op(sqe, NULL, OP_CANCEL);
    }
}

static void on_expired(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    (void)arg;
    drop((struct uconn *)c);
}

/* --- receiving and sending --------------------------------------------------- */

static bool post_recv(struct uconn *u)
{
    struct io_uring_sqe *sqe = ring_sqe(1);
    if (!sqe)
        return false;
    ring_prep_recv(sqe, u->c.fd, conn_recv_room(&u->c));
    set_op(sqe, u, OP_RECV);
    return true;
}

/* One round of a large body; see the top of the file. */
static bool splice_round(struct uconn *u, int fd, off_t off, size_t len)
{
    if (u->pipe_r < 0 && !pipe_take(u))
        return false;
    struct io_uring_sqe *sqe = ring_sqe(3);
    if (!sqe)
        return false;
    size_t out = u->in_pipe;
    if (out == 0) { /* the pipe is empty: fill it from the file first */
        out = len < PIPE_CHUNK ? len : PIPE_CHUNK;
        io_uring_prep_splice(sqe, fd, off, u->pipe_w, -1, (unsigned)out, 0);
        sqe->flags |= IOSQE_IO_LINK;
        set_op(sqe, u, OP_SPLICE_IN);
        sqe = ring_sqe(1);
    }
    io_uring_prep_poll_add(sqe, u->c.fd, POLLOUT);
    sqe->flags |= IOSQE_IO_LINK;
    set_op(sqe, u, OP_POLL_OUT);
    sqe = ring_sqe(1);
    io_uring_prep_splice(sqe, u->pipe_r, -1, u->c.fd, -1, (unsigned)out, 0);
    set_op(sqe, u, OP_SPLICE_OUT);
    u->next = CONN_WANT_WRITE;
    return true;
}

static bool post_send(struct uconn *u)
{
    int n = conn_send_iov(&u->c, u->iov);
    if (n > 0) {
        struct io_uring_sqe *sqe = ring_sqe(1);
        if (!sqe)
            return false;
        if (n == 1) {
            io_uring_prep_send(sqe, u->c.fd, u->iov[0].iov_base, u->iov[0].iov_len,
                               MSG_NOSIGNAL);
        } else {
            u->msg = (struct msghdr){.msg_iov = u->iov, .msg_iovlen = (size_t)n};
            io_uring_prep_sendmsg(sqe, u->c.fd, &u->msg, MSG_NOSIGNAL);
        }
        set_op(sqe, u, OP_SEND);
        return true;
    }
    int fd;
    off_t off;
    size_t len;
    return conn_send_file(&u->c, &fd, &off, &len) && splice_round(u, fd, off, len);
}

static void proceed(struct uconn *u, enum conn_want w)
{
    bool ok = false;
    if (w == CONN_WANT_READ) {
        pipe_give_back(u); /* a large body, if any, is done */
        ok = post_recv(u);
    } else if (w == CONN_WANT_WRITE) {
        ok = post_send(u);
    }
    if (!ok) {
        drop(u);
        return;
    }
    conn_timeout_touch(&U.tq, &u->c);
}

static void on_recv(struct uconn *u, const struct io_uring_cqe *cqe)
{
    if (cqe->res == -ENOBUFS) { /* every ring buffer taken this batch: again */
        proceed(u, CONN_WANT_READ);
        return;
    }
    const char *data = ring_data(cqe);
    enum conn_want w = cqe->res > 0 && data ? conn_recv_copy(&u->c, data, (size_t)cqe->res)
                                            : CONN_CLOSE;
    ring_recycle(cqe);
    proceed(u, w);
}

/* A splice round's completions (two or three): the round is over at the
 * last one. A short splice into the pipe (the file shrank) cancels the rest
 * of the chain, as does a failed poll. */
static void on_splice(struct uconn *u, enum op op, int res)
{
    switch (op) {
    case OP_SPLICE_IN:
        if (res > 0)
            u->in_pipe += (uint32_t)res;
        else
            u->next = CONN_CLOSE; /* 0: the file shrank, the framing is lost */
        break;
    case OP_POLL_OUT:
        if (res < 0 && res != -ECANCELED)
            u->next = CONN_CLOSE;
        break;
    default: /* OP_SPLICE_OUT; EAGAIN: the socket filled up after the poll */
        if (res > 0) {
            u->in_pipe -= (uint32_t)res;
            if (u->next == CONN_WANT_WRITE)
                u->next = conn_sent(&u->c, (size_t)res);
        } else if (res != -EAGAIN && res != -ECANCELED) {
            u->next = CONN_CLOSE;
        }
        break;
    }
    if (u->inflight == 0)
        proceed(u, (enum conn_want)u->next);
}

static void on_conn_cqe(struct uconn *u, enum op op, const struct io_uring_cqe *cqe)
{
    u->inflight--;
    if (u->closing) {
        if (op == OP_RECV)
            ring_recycle(cqe);
        if (u->inflight == 0)
            finish_close(u);
        return;
    }
    switch (op) {
    case OP_RECV:
        on_recv(u, cqe);
        break;
    case OP_SEND:
        proceed(u, cqe->res > 0 ? conn_sent(&u->c, (size_t)cqe->res) : CONN_CLOSE);
        break;
    default:
        on_splice(u, op, cqe->res);
        break;
    }
}

/* --- accepting --------------------------------------------------------------- */

static void add_conn(int fd, bool counted)
{
    if (fd >= U.max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
        server_refuse(fd);
        return;
    }
    struct uconn *u = &U.conns[fd];
    if (counted)
        conn_init(&u->c, fd);
    else
        conn_accepted(&u->c, fd);
    u->pipe_r = u->pipe_w = -1;
    u->in_pipe = 0;
    u->inflight = 0;
    u->closing = false;
    U.nconns++;
    proceed(u, CONN_WANT_READ);
}

/* Accepts through the core, which sheds the queue at the descriptor limit. */
static void accept_queued(void)
{
    int fd;
    while (!U.stopped && (fd = server_accept(U.srv->listen_fd)) >= 0)
        add_conn(fd, true);
}

static void on_accept(const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE))
        U.accept_armed = false;
    if (cqe->res >= 0) {
        if (U.stopped)
            server_refuse(cqe->res); /* raced with the stop */
        else
            add_conn(cqe->res, false);
    } else if (cqe->res == -EINVAL && U.multishot) {
        U.multishot = false; /* a kernel before 5.19: single-shot from now on */
    } else if (cqe->res == -EMFILE || cqe->res == -ENFILE) {
        accept_queued();
        if (!U.accept_armed && !U.stopped)
            arm_listen_poll();
        return;
    }
    if (!U.accept_armed && !U.stopped)
        arm_accept();
}

static void on_listen_poll(void)
{
    U.accept_armed = false;
    accept_queued();
    if (!U.stopped)
        arm_accept();
}

static void on_cqe(const struct io_uring_cqe *cqe)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    enum op op = (enum op)(ud & OP_MASK);
    struct uconn *u = (struct uconn *)(uintptr_t)(ud & ~(uint64_t)OP_MASK);
    if (op == OP_ACCEPT)
        on_accept(cqe);
    else if (op == OP_LISTEN_POLL)
        on_listen_poll();
    else if (u)
        on_conn_cqe(u, op, cqe);
}

/* --- the loop ---------------------------------------------------------------- */

static void drop_conns(bool idle_only)
{
    for (int fd = 0; fd < U.max_fd; fd++) {
        struct uconn *u = &U.conns[fd];
        if (u->c.fd == fd && !u->closing && (!idle_only || conn_is_idle(&u->c)))
            drop(u);
    }
}

/* No new connections; idle ones close now, busy ones finish. */
static void begin_stop(void)
{
    U.stopped = true;
    struct io_uring_sqe *sqe = ring_sqe(1);
    if (sqe) { /* a pending accept holds the listener open until cancelled */
        io_uring_prep_cancel_fd(sqe, U.srv->listen_fd, IORING_ASYNC_CANCEL_ALL);
        set_op(sqe, NULL, OP_CANCEL);
    }
    server_close_listener(U.srv);
    drop_conns(true);
}

static void run(void)
{
    while (!ring_error() && reactor_going(U.stopped, U.nconns)) {
        if (ring_wait(reactor_wait_ms(U.stopped, &U.tq), &server_waitmask) < 0)
            break;
        /* The wait installs server_waitmask only when it has to sleep; with
         * completions always ready a signal would stay pending. */
        server_let_signals_in();
        if (server_poll_signals() && !U.stopped)
            begin_stop();
        ring_reap(on_cqe);
        timeouts_expire(&U.tq, clock_now_ms(), on_expired, NULL);
    } /* what is left after the grace period is closed after the ring */
}

int main(int argc, char **argv)
{
    struct server s;
    /* The ring before "listening on": a harness must be able to tell
     * "cannot run here" from a server that started. */
    int st = server_start_probed(&s, &MODEL, argc, argv, ring_open);
    if (st)
        return st;
    U.conns = reactor_table_new(sizeof *U.conns, 0, &U.max_fd);
    if (!U.conns) {
        fprintf(stderr, "uring: setup: %s\n", strerror(errno));
        return 1;
    }
    U.srv = &s;
    U.multishot = true;
    timeouts_init(&U.tq);
    arm_accept();
    run();
    ring_close(); /* the kernel cancels what is left */
    for (int fd = 0; fd < U.max_fd; fd++)
        if (U.conns[fd].c.fd == fd)
            finish_close(&U.conns[fd]);
    while (U.npipes > 0) {
        U.npipes--;
        close(U.pipes[U.npipes][0]);
        close(U.pipes[U.npipes][1]);
    }
    free(U.conns);
    if (ring_error()) {
        fprintf(stderr, "uring: %s\n", ring_error());
        return 1;
    }
    return server_finish(&s);
}
