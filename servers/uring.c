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
 * - Receiving (one multishot receive per connection), sending, zero-copy:
 *   uring_conn.c; bodies from a file, read through the ring into registered
 *   buffers and sent, never on the kernel's worker threads: uring_body.c.
 *   A small body the page cache does not hold is left to that path too
 *   (files_set_nowait), so the loop never waits for the disk.
 * - Closing (uring_conn.c): a shutdown and a cancel, the close at the last
 *   completion.
 * - Timeouts: the core's struct timeouts; the wait's own timeout is the
 *   nearest deadline.
 * - Signals: SIGTERM, SIGINT and SIGUSR1 stay blocked; a poll on a signalfd
 *   in the ring reports them, and only then are they let in. A wait with a
 *   signal mask would swap masks on every enter, and checking for pending
 *   signals each turn would cost a system call. The stop and its grace
 *   period are the core's (struct reactor_stop).
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
#include "files.h"
#include "uring.h"

static const struct server_model MODEL = {
    "uring",
    "io_uring: one enter per loop turn, multishot accept into registered "
    "descriptors, recv into provided buffers, send, zero-copy send, file "
    "reads into registered buffers",
    false, false};

/* --- submission ---------------------------------------------------------- */

static void arm_accept(struct uring_state *st)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return; /* re-armed after the next completion */
    int fd = st->srv->listen_fd;
    if (uring_has.direct_fds && st->multishot)
        io_uring_prep_multishot_accept_direct(sqe, fd, NULL, NULL, SOCK_NONBLOCK);
    else if (uring_has.direct_fds)
        io_uring_prep_accept_direct(sqe, fd, NULL, NULL, SOCK_NONBLOCK,
                                    IORING_FILE_INDEX_ALLOC);
    else if (st->multishot)
        io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    else
        io_uring_prep_accept(sqe, fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    uring_set_loop_op(sqe, OP_ACCEPT);
    st->accept_armed = true;
}

/* At the limit io_uring takes the descriptor (or slot) before it looks for
 * a connection, so every accept fails at once, queue or not: re-arming it
 * would spin. A poll on the listener waits for the next connection. */
static void arm_listen_poll(struct uring_state *st)
{
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return;
    io_uring_prep_poll_add(sqe, st->srv->listen_fd, POLLIN);
    uring_set_loop_op(sqe, OP_LISTEN_POLL);
    st->accept_armed = true;
}

/* A multishot poll on a signalfd of the signals server_start blocked. */
static int arm_signals(struct uring_state *st)
{
    if (st->sigfd < 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGUSR1);
        if ((st->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
            return -1;
    }
    struct io_uring_sqe *sqe = uring_sqe(1);
    if (!sqe)
        return -1;
    io_uring_prep_poll_multishot(sqe, st->sigfd, POLLIN);
    uring_set_loop_op(sqe, OP_SIGNALS);
    return 0;
}

/* --- closing --------------------------------------------------------------- */

static void on_expired(struct timeout_link *l, void *arg)
{
    uring_drop(arg, (struct uconn *)(void *)conn_of_timeout(l));
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
    uring_close_slot(fd);
}

/* fd: a registered slot (direct) or a descriptor of the process. */
static void add_conn(struct uring_state *st, int fd)
{
    if (fd >= st->max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
        refuse(fd);
        return;
    }
    struct uconn *u = &st->conns[fd];
    memset(u, 0, sizeof *u); /* what a closed connection held is freed */
    conn_init(&u->c, uring_has.direct_fds ? -1 : fd);
    atomic_fetch_add_explicit(&server_counters->accepted, 1, memory_order_relaxed);
    u->fd = fd;
    u->open = true;
    st->nconns++;
    uring_next(st, u, CONN_WANT_READ); /* the request may be there already */
}

/* The queue at the limit: descriptors of the process that no slot can take
 * (direct), or the core's shedding through its reserved descriptor. */
static void shed_queue(struct uring_state *st)
{
    int fd;
    while ((fd = server_accept(st->srv->listen_fd)) >= 0) {
        if (uring_has.direct_fds || st->stop.stopped)
            server_refuse(fd);
        else
            add_conn(st, fd);
    }
}

static void on_accept(struct uring_state *st, const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE))
        st->accept_armed = false;
    if (cqe->res >= 0) {
        if (!st->stop.stopped)
            add_conn(st, cqe->res);
        else /* raced with the stop */
            refuse(cqe->res);
    } else if (cqe->res == -EINVAL && st->multishot) {
        st->multishot = false; /* a kernel before 5.19: single-shot from now on */
    } else if (cqe->res == -EMFILE || cqe->res == -ENFILE) {
        /* A direct accept takes the connection before it looks for a
         * slot: with the table full, the kernel has closed it. */
        if (uring_has.direct_fds) {
            atomic_fetch_add_explicit(&server_counters->accepted, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&server_counters->refused, 1, memory_order_relaxed);
        }
        shed_queue(st);
        if (!st->accept_armed && !st->stop.stopped)
            arm_listen_poll(st);
        return;
    }
    if (!st->accept_armed && !st->stop.stopped)
        arm_accept(st);
}

/* --- the loop ---------------------------------------------------------------- */

static void drop_conns(struct uring_state *st, bool idle_only)
{
    for (int i = 0; i < st->max_fd; i++) {
        struct uconn *u = &st->conns[i];
        if (u->open && !u->closing && (!idle_only || conn_is_idle(&u->c)))
            uring_drop(st, u);
    }
}

/* The stop (reactor_stop's on_stop; the core closes the listener after
 * it): no new connections, idle ones close now, busy ones finish. A
 * pending accept or poll holds the listener open until cancelled; it is
 * found by its user_data, which no other operation shares. */
static void begin_stop(void *arg)
{
    static const enum loop_op on_listener[] = {OP_ACCEPT, OP_LISTEN_POLL};
    struct uring_state *st = arg;
    for (size_t i = 0; i < sizeof on_listener / sizeof on_listener[0]; i++) {
        struct io_uring_sqe *sqe = uring_sqe(1);
        if (sqe) {
            io_uring_prep_cancel64(sqe, on_listener[i], IORING_ASYNC_CANCEL_ALL);
            uring_set_loop_op(sqe, OP_IGNORE);
        }
    }
    drop_conns(st, true);
}

static void on_signals(struct uring_state *st, const struct io_uring_cqe *cqe)
{
    /* Cannot happen: the poll ended and cannot be armed again. With no way
     * left to hear a stop, the server stops as if told to. */
    if (!(cqe->flags & IORING_CQE_F_MORE) && arm_signals(st) < 0)
        raise(SIGTERM);
    server_let_signals_in(); /* the handlers run now */
    reactor_stop_poll(&st->stop);
}

static void on_cqe(void *arg, const struct io_uring_cqe *cqe)
{
    struct uring_state *st = arg;
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    struct uconn *u = (struct uconn *)(uintptr_t)(ud & ~(uint64_t)OP_MASK);
    if (u) {
        uring_on_conn_cqe(st, u, (enum conn_op)(ud & OP_MASK), cqe);
        return;
    }
    switch ((enum loop_op)ud) {
    case OP_ACCEPT:
        on_accept(st, cqe);
        break;
    case OP_LISTEN_POLL:
        st->accept_armed = false;
        if (!st->stop.stopped)
            arm_accept(st);
        break;
    case OP_SIGNALS:
        on_signals(st, cqe);
        break;
    default: /* OP_IGNORE: closes of slots, cancels on the listener */
        break;
    }
}

static void run(struct uring_state *st)
{
    while (!uring_error() && reactor_stop_going(&st->stop, st->nconns)) {
        if (uring_enter(reactor_stop_wait_ms(&st->stop, &st->tq)) < 0)
            break;
        uring_reap(on_cqe, st);
        for (struct conn *c; (c = conn_backend_granted());) /* got a database connection */
            uring_next(st, (struct uconn *)(void *)c, conn_backend_ready(c));
        timeouts_expire(&st->tq, clock_now_ms(), on_expired, st);
    } /* what is left after the grace period is closed after the ring */
}

/* --- setup ---------------------------------------------------------------------- */

/* The model's one state, passed to every function from here on; only the
 * probe, which the core calls without an argument, names it. */
static struct uring_state state;

/* The probe before listening: the connection table, then a ring with a
 * registered file table of the same size. */
static int setup(char *why, size_t whysz)
{
    struct uring_state *st = &state;
    st->conns = reactor_table_new(sizeof *st->conns, 0, &st->max_fd);
    if (!st->conns) {
        snprintf(why, whysz, "io_uring unavailable: connection table: %s", strerror(errno));
        return -1;
    }
    return uring_ring_open(st->max_fd, why, whysz);
}

/* The accepted sockets inherit TCP_NODELAY (responses go out whole: Nagle
 * would only delay them); a registered slot cannot be given options. */
static int prepare_listener(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* The start-up line after "listening on" (tests and the harness read it). */
static void print_features(struct uring_state *st)
{
    char line[512], zc[96] = "";
    uring_features_line(line, sizeof line);
    if (uring_has.send_zc && st->zc_min == SIZE_MAX)
        snprintf(zc, sizeof zc, "; send_zc unused on loopback (URING_ZC_MIN sets a size)");
    else if (uring_has.send_zc)
        snprintf(zc, sizeof zc, "; send_zc from %zu bytes", st->zc_min);
    printf("uring: features %s%s\n", line, zc);
    fflush(stdout);
}

static void teardown(struct uring_state *st)
{
    uring_ring_close(); /* the kernel cancels what is left and closes the slots */
    for (int i = 0; i < st->max_fd; i++)
        if (st->conns[i].open)
            uring_release(st, &st->conns[i]);
    if (st->sigfd >= 0)
        close(st->sigfd);
    free(st->conns);
}

int main(int argc, char **argv)
{
    char err[256];
    struct uring_state *st = &state;
    if (uring_read_env(st, err, sizeof err) < 0) {
        fprintf(stderr, "uring: %s\n", err);
        return SERVER_EXIT_USAGE;
    }
    struct server s;
    server_version_note = uring_version_features;
    /* A small body not in the page cache is read through the ring (as a
     * large one), never by the core inside the loop. */
    files_set_nowait(true);
    /* The ring before "listening on": a harness must be able to tell
     * "cannot run here" from a server that started. */
    int rc = server_start_probed(&s, &MODEL, argc, argv, setup);
    if (rc)
        return rc;
    st->srv = &s;
    st->stop = (struct reactor_stop){.srv = &s, .on_stop = begin_stop, .arg = st};
    st->sigfd = -1;
    st->multishot = true;
    timeouts_init(&st->tq);
    uring_body_init(st);
    if (prepare_listener(s.listen_fd) < 0 || arm_signals(st) < 0) {
        fprintf(stderr, "uring: setup: %s\n", strerror(errno));
        return 1;
    }
    uring_send_setup(st, &s);
    conn_backend_drive(true);
    print_features(st);
    arm_accept(st);
    run(st);
    teardown(st);
    if (uring_error()) {
        fprintf(stderr, "uring: %s\n", uring_error());
        return 1;
    }
    return server_finish(&s);
}
