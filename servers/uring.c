/* uring: beyond the tutorials, completions instead of readiness. One
 * io_uring (through liburing; set up in uring_ring.c) does every socket
 * operation; the core decides through its completion-style interface
 * (conn.h): the model hands the kernel a receive or a send and is told
 * later what it did, never that a socket is ready. What io_uring exists to
 * show is the batching: one io_uring_enter per loop turn submits every
 * receive and send the last turn's completions asked for and waits for the
 * next ones, so the system calls per request fall far below one.
 *
 * - The ring (uring_ring.c) takes the newest setup the kernel accepts: a
 *   single issuer whose completions run only inside its own wait
 *   (DEFER_TASKRUN, 6.1), else cooperative task running (5.19); its own
 *   descriptor registered (no fdget per enter); a registered file table as
 *   large as the connection table. The features in use are printed after
 *   "listening on" (and by --version); URING_OFF=name,... turns any off.
 * - Accepting: one multishot accept straight into the registered table
 *   ("direct descriptors", 5.19): a connection is a slot of the ring, never
 *   a descriptor of the process, so no operation looks it up in the
 *   process's table. TCP_NODELAY is set once on the listener, which the
 *   accepted sockets inherit. When the table or the descriptors run out the
 *   kernel ends the accept with ENFILE or EMFILE (a direct accept has taken
 *   and closed that connection by then; a plain one leaves it queued):
 *   server_accept() sheds the queue (counted as refused) and a poll on the
 *   listener waits for the next connection, so nothing spins.
 * - Receiving (one multishot receive per connection), sending, zero-copy,
 *   large bodies: uring_conn.c.
 * - Closing: operations in flight hold the socket. A shutdown makes a
 *   pending recv or poll complete at once (and a linked poll not issued
 *   yet, when it is), a cancel takes the rest, and the slot (or descriptor)
 *   closes only after the last completion, the shutdown's and the cancel's
 *   included: both may run late on the kernel's workers, and must not find
 *   a new connection in the slot by then.
 * - Timeouts: the core's struct timeouts; the wait's own timeout is the
 *   nearest deadline.
 * - Signals: SIGTERM, SIGINT and SIGUSR1 stay blocked; a poll on a signalfd
 *   in the ring reports them, and only then are they let in. A wait with a
 *   signal mask would swap masks on every enter, and checking for pending
 *   signals each turn would cost a system call.
 * - io_uring unavailable (ENOSYS, EPERM from kernel.io_uring_disabled or a
 *   seccomp filter, a kernel without buffer rings): one line on stderr and
 *   exit SERVER_EXIT_UNAVAILABLE before listening. Once running, an
 *   io_uring_enter that fails (other than EINTR, EBUSY, EAGAIN) ends the
 *   loop with one line and exit 1. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"
#include "uring.h"

static const struct server_model MODEL = {
    "uring",
    "io_uring: one enter per loop turn, multishot accept into registered "
    "descriptors, recv into provided buffers, send, zero-copy send, splice",
    false, false};

struct uring_state U;

/* --- submission ---------------------------------------------------------- */

void uring_set_op(struct io_uring_sqe *sqe, struct uconn *u, enum conn_op op)
{
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)u | op);
    u->inflight++;
    /* Every operation but the splice into a pipe and the cancel (which
     * names the socket itself) is on the socket. */
    if (uring_has.direct_fds && op != OP_SPLICE_IN && op != OP_CANCEL)
        sqe->flags |= IOSQE_FIXED_FILE;
}

static void set_loop_op(struct io_uring_sqe *sqe, enum loop_op op)
{
    io_uring_sqe_set_data64(sqe, op);
}

static void arm_accept(void)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return; /* re-armed after the next completion */
    int fd = U.srv->listen_fd;
    if (uring_has.direct_fds && U.multishot)
        io_uring_prep_multishot_accept_direct(sqe, fd, NULL, NULL, SOCK_NONBLOCK);
    else if (uring_has.direct_fds)
        io_uring_prep_accept_direct(sqe, fd, NULL, NULL, SOCK_NONBLOCK,
                                    IORING_FILE_INDEX_ALLOC);
    else if (U.multishot)
        io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    else
        io_uring_prep_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    set_loop_op(sqe, OP_ACCEPT);
    U.accept_armed = true;
}

/* At the limit io_uring takes the descriptor (or slot) before it looks for
 * a connection, so every accept fails at once, queue or not: re-arming it
 * would spin. A poll on the listener waits for the next connection. */
static void arm_listen_poll(void)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return;
    io_uring_prep_poll_add(sqe, U.srv->listen_fd, POLLIN);
    set_loop_op(sqe, OP_LISTEN_POLL);
    U.accept_armed = true;
}

/* A multishot poll on a signalfd of the signals server_start blocked. */
static int arm_signals(void)
{
    if (U.sigfd < 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGUSR1);
        if ((U.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
            return -1;
    }
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return -1;
    io_uring_prep_poll_multishot(sqe, U.sigfd, POLLIN);
    set_loop_op(sqe, OP_SIGNALS);
    return 0;
}

/* --- closing --------------------------------------------------------------- */

/* Everything of ours the connection holds; the socket too, unless it is a
 * registered slot (closed through the ring, or with the ring). */
static void release(struct uconn *u)
{
    uring_conn_free(u);
    conn_close(&u->c);
    u->open = false;
    U.nconns--;
}

static void close_slot(int slot)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (sqe) { /* frees the slot; only a failure would complete */
        io_uring_prep_close_direct(sqe, (unsigned)slot);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        set_loop_op(sqe, OP_IGNORE);
    }
}

void uring_finish_close(struct uconn *u)
{
    int slot = u->fd;
    release(u);
    if (uring_has.direct_fds)
        close_slot(slot);
}

void uring_drop(struct uconn *u)
{
    timeouts_remove(&U.tq, &u->c.tq);
    if (u->closing)
        return;
    u->closing = true;
    if (u->inflight == 0) {
        uring_finish_close(u);
        return;
    }
    struct io_uring_sqe *sqe = uring_sqe(2);
    if (!sqe)
        return;
    io_uring_prep_shutdown(sqe, u->fd, SHUT_RDWR);
    uring_set_op(sqe, u, OP_SHUTDOWN);
    sqe = uring_sqe(1);
    io_uring_prep_cancel_fd(sqe, u->fd, IORING_ASYNC_CANCEL_ALL |
                                        (uring_has.direct_fds ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
    uring_set_op(sqe, u, OP_CANCEL);
}

static void on_expired(struct timeout_link *l, void *arg)
{
    (void)arg;
    uring_drop((struct uconn *)(void *)conn_of_timeout(l));
}

/* --- accepting --------------------------------------------------------------- */

/* A connection closed unserved: counted as refused. */
static void refuse(int fd)
{
    if (!uring_has.direct_fds) {
        server_refuse(fd);
        return;
    }
    atomic_fetch_add_explicit(&server_counters->refused, 1, memory_order_relaxed);
    close_slot(fd);
}

/* fd: a registered slot (direct) or a descriptor of the process. */
static void add_conn(int fd)
{
    if (fd >= U.max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
        refuse(fd);
        return;
    }
    struct uconn *u = &U.conns[fd];
    memset(u, 0, sizeof *u); /* what a closed connection held is freed */
    conn_init(&u->c, uring_has.direct_fds ? -1 : fd);
    atomic_fetch_add_explicit(&server_counters->accepted, 1, memory_order_relaxed);
    u->fd = fd;
    u->pipe_r = u->pipe_w = -1;
    u->open = true;
    U.nconns++;
    uring_next(u, CONN_WANT_READ); /* the request may be there already */
}

/* The queue at the limit: descriptors of the process that no slot can take
 * (direct), or the core's shedding through its reserved descriptor. */
static void shed_queue(void)
{
    int fd;
    while ((fd = server_accept(U.srv->listen_fd)) >= 0) {
        if (uring_has.direct_fds || U.stopped)
            server_refuse(fd);
        else
            add_conn(fd);
    }
}

static void on_accept(const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE))
        U.accept_armed = false;
    if (cqe->res >= 0) {
        if (!U.stopped)
            add_conn(cqe->res);
        else /* raced with the stop */
            refuse(cqe->res);
    } else if (cqe->res == -EINVAL && U.multishot) {
        U.multishot = false; /* a kernel before 5.19: single-shot from now on */
    } else if (cqe->res == -EMFILE || cqe->res == -ENFILE) {
        /* A direct accept takes the connection before it looks for a
         * slot: with the table full, the kernel has closed it. */
        if (uring_has.direct_fds) {
            atomic_fetch_add_explicit(&server_counters->accepted, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&server_counters->refused, 1, memory_order_relaxed);
        }
        shed_queue();
        if (!U.accept_armed && !U.stopped)
            arm_listen_poll();
        return;
    }
    if (!U.accept_armed && !U.stopped)
        arm_accept();
}

/* --- the loop ---------------------------------------------------------------- */

static void drop_conns(bool idle_only)
{
    for (int i = 0; i < U.max_fd; i++) {
        struct uconn *u = &U.conns[i];
        if (u->open && !u->closing && (!idle_only || conn_is_idle(&u->c)))
            uring_drop(u);
    }
}

/* No new connections; idle ones close now, busy ones finish. A pending
 * accept or poll holds the listener open until cancelled; it is found by
 * its user_data, which no other operation shares. */
static void begin_stop(void)
{
    static const enum loop_op on_listener[] = {OP_ACCEPT, OP_LISTEN_POLL};
    U.stopped = true;
    for (size_t i = 0; i < sizeof on_listener / sizeof on_listener[0]; i++) {
        struct io_uring_sqe *sqe = uring_sqe(1);
        if (sqe) {
            io_uring_prep_cancel64(sqe, on_listener[i], IORING_ASYNC_CANCEL_ALL);
            set_loop_op(sqe, OP_IGNORE);
        }
    }
    server_close_listener(U.srv);
    drop_conns(true);
}

static void on_signals(const struct io_uring_cqe *cqe)
{
    server_let_signals_in(); /* the handlers run now */
    if (server_poll_signals() && !U.stopped)
        begin_stop();
    if (!(cqe->flags & IORING_CQE_F_MORE) && arm_signals() < 0 && !U.stopped)
        begin_stop(); /* cannot happen: no way left to hear a stop */
}

static void on_cqe(const struct io_uring_cqe *cqe)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    struct uconn *u = (struct uconn *)(uintptr_t)(ud & ~(uint64_t)OP_MASK);
    if (u) {
        uring_on_conn_cqe(u, (enum conn_op)(ud & OP_MASK), cqe);
        return;
    }
    switch ((enum loop_op)ud) {
    case OP_ACCEPT:
        on_accept(cqe);
        break;
    case OP_LISTEN_POLL:
        U.accept_armed = false;
        if (!U.stopped)
            arm_accept();
        break;
    case OP_SIGNALS:
        on_signals(cqe);
        break;
    default: /* OP_IGNORE: closes of slots, cancels on the listener */
        break;
    }
}

static void run(void)
{
    while (!uring_error() && reactor_going(U.stopped, U.nconns)) {
        if (uring_enter(reactor_wait_ms(U.stopped, &U.tq)) < 0)
            break;
        uring_reap(on_cqe);
        timeouts_expire(&U.tq, clock_now_ms(), on_expired, NULL);
    } /* what is left after the grace period is closed after the ring */
}

/* --- setup ---------------------------------------------------------------------- */

/* The probe before listening: the connection table, then a ring with a
 * registered file table of the same size. */
static int setup(char *why, size_t whysz)
{
    U.conns = reactor_table_new(sizeof *U.conns, 0, &U.max_fd);
    if (!U.conns) {
        snprintf(why, whysz, "io_uring unavailable: connection table: %s", strerror(errno));
        return -1;
    }
    return uring_ring_open(U.max_fd, why, whysz);
}

/* The accepted sockets inherit TCP_NODELAY (responses go out whole: Nagle
 * would only delay them); a registered slot cannot be given options. */
static int prepare_listener(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* The start-up line after "listening on" (tests and the harness read it). */
static void print_features(void)
{
    char line[512], zc[96] = "";
    uring_features_line(line, sizeof line);
    if (uring_has.send_zc && U.zc_min == SIZE_MAX)
        snprintf(zc, sizeof zc, "; send_zc unused on loopback (URING_ZC_MIN sets a size)");
    else if (uring_has.send_zc)
        snprintf(zc, sizeof zc, "; send_zc from %zu bytes", U.zc_min);
    printf("uring: features %s%s\n", line, zc);
    fflush(stdout);
}

static void teardown(void)
{
    uring_ring_close(); /* the kernel cancels what is left and closes the slots */
    for (int i = 0; i < U.max_fd; i++)
        if (U.conns[i].open)
            release(&U.conns[i]);
    uring_pipes_close();
    if (U.sigfd >= 0)
        close(U.sigfd);
    free(U.conns);
}

int main(int argc, char **argv)
{
    char err[256];
    if (uring_read_env(err, sizeof err) < 0) {
        fprintf(stderr, "uring: %s\n", err);
        return SERVER_EXIT_USAGE;
    }
    struct server s;
    server_version_note = uring_version_features;
    /* The ring before "listening on": a harness must be able to tell
     * "cannot run here" from a server that started. */
    int st = server_start_probed(&s, &MODEL, argc, argv, setup);
    if (st)
        return st;
    U.srv = &s;
    U.sigfd = -1;
    U.multishot = true;
    timeouts_init(&U.tq);
    if (prepare_listener(s.listen_fd) < 0 || arm_signals() < 0) {
        fprintf(stderr, "uring: setup: %s\n", strerror(errno));
        return 1;
    }
    uring_send_setup(&s);
    print_features();
    arm_accept();
    run();
    teardown();
    if (uring_error()) {
        fprintf(stderr, "uring: %s\n", uring_error());
        return 1;
    }
    return server_finish(&s);
}
