/* libuv: beyond the tutorials, the reactor handed to a library. libuv's own
 * loop drives the core through its completion-style interface (conn.h):
 * libuv reads, the core parses and answers, libuv sends. Its waits are
 * libuv's: a failed epoll_wait aborts inside libuv, which we cannot check.
 *
 * - Accepting: a uv_poll_t on the listening socket calls server_accept(), so
 *   the core counts connections and sheds them at EMFILE (uv_listen's own
 *   accept has a similar trick but counts nothing); each socket becomes a
 *   uv_tcp_t with uv_tcp_open().
 * - Reading: uv_read_start. Its alloc callback runs only when the socket is
 *   readable and takes the core's buffer then (conn_recv_space); the core
 *   gives it back when nothing is left buffered, so an idle keep-alive
 *   connection holds no buffer: it costs a uv_tcp_t and a struct conn.
 * - Writing: uv_try_write for the head and a cached body (one writev); what
 *   it leaves goes through uv_write, with reading stopped until it is done.
 * - File bodies: sendfile(2) from the loop, no copy through user space. Not
 *   uv_fs_sendfile: libuv 1.44.2 as Debian 12 ships it tries
 *   copy_file_range first, which a socket refuses with EINVAL, and then falls
 *   back to a pread/write loop on the thread pool (seen with strace): a copy
 *   through user space, a pool thread blocked in poll() for as long as a
 *   slow client reads, and -1 on an error midway, losing the count of what
 *   was sent. A uv_tcp_t has no "tell me when writable" call, so when the
 *   socket is full the model waits with a uv_poll_t on a dup() of the socket
 *   (libuv allows one handle per descriptor number), only while such a body
 *   is being sent.
 * - Timeouts: the core's struct timeouts (O(1) per event) behind one
 *   uv_timer_t, re-armed once per loop iteration from a uv_prepare_t.
 * - Signals: uv_signal_t. libuv's handlers replace the core's, so each
 *   callback forwards the signal to the handler the core had installed and
 *   then calls server_poll_signals(): the core's flags stay the one truth
 *   (server_stopping() is what keep-alive decisions read). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"
#include "libuv_int.h"

static const struct server_model MODEL = {
    .name = "libuv",
    .summary = "libuv's loop; read callbacks feed the core, uv_try_write/uv_write answer, "
               "file bodies by sendfile",
};

static struct {
    uv_loop_t *loop;
    uv_poll_t listener;
    uv_signal_t signals[3];
    struct sigaction core_sa[3]; /* the core's handlers, forwarded to */
    uv_timer_t tick;             /* expires header and idle timeouts */
    uv_prepare_t prepare;        /* re-arms tick before each wait */
    uv_timer_t stop_timer;       /* checks the grace period after SIGTERM */
    struct timeouts tq;
    int nconns;
    struct reactor_stop stop;    /* the core's stop and grace protocol */
    bool finished;
} L;

uv_loop_t *libuv_loop(void)
{
    return L.loop;
}

static const int SIGNALS[3] = {SIGTERM, SIGINT, SIGUSR1};


/* --- closing ------------------------------------------------------------- */

static void finish_if_done(void);

static void on_closed(uv_handle_t *h)
{
    struct lconn *lc = h->data;
    if (--lc->handles > 0)
        return;
    if (lc->send) {
        if (lc->send->dup_fd >= 0)
            close(lc->send->dup_fd);
        free(lc->send);
    }
    free(lc);
}

static void on_send_closed(uv_handle_t *h)
{
    struct lsend *s = h->data;
    close(s->dup_fd);
    free(s);
}

/* Between responses: the send state goes (its poll handle closes first). */
static void release_send(struct lconn *lc)
{
    struct lsend *s = lc->send;
    lc->send = NULL;
    if (s && s->dup_fd >= 0) {
        s->writable.data = s;
        uv_close((uv_handle_t *)&s->writable, on_send_closed);
    } else {
        free(s);
    }
}

void lconn_drop(struct lconn *lc)
{
    timeouts_remove(&L.tq, &lc->c.tq);
    if (lc->closing)
        return;
    db_unwatch(lc); /* before conn_detach: libpq may close its socket */
    lc->closing = true;
    conn_detach(&lc->c);
    L.nconns--;
    lc->handles = 1;
    /* Closing the stream cancels a pending uv_write; on_written sees that. */
    uv_close((uv_handle_t *)&lc->tcp, on_closed);
    if (lc->send && lc->send->dup_fd >= 0) {
        lc->handles++;
        uv_close((uv_handle_t *)&lc->send->writable, on_closed);
    } else if (!lc->writing) {
        release_send(lc);
    }
    finish_if_done();
}

static void on_expired(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    (void)arg;
    lconn_drop((struct lconn *)((char *)c - offsetof(struct lconn, c)));
}

/* --- reading ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct lconn *lc = h->data;
    char *p = NULL;
    size_t n = conn_recv_space(&lc->c, &p);
    *buf = uv_buf_init(n ? p : NULL, (unsigned)n); /* 0: libuv reports ENOBUFS */
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct lconn *lc = st->data;
    if (nread == 0) { /* EAGAIN: nothing came after all */
        conn_recv_unused(&lc->c);
        return;
    }
    lconn_proceed(lc, nread > 0 ? conn_received(&lc->c, nread) : CONN_CLOSE);
}

bool lconn_set_reading(struct lconn *lc, bool on)
{
    if (on == lc->reading)
        return true;
    lc->reading = on;
    if (!on)
        return uv_read_stop((uv_stream_t *)&lc->tcp) == 0;
    return uv_read_start((uv_stream_t *)&lc->tcp, on_alloc, on_read) == 0;
}

/* --- writing ------------------------------------------------------------- */

static struct lsend *send_state(struct lconn *lc)
{
    if (!lc->send && (lc->send = calloc(1, sizeof *lc->send)))
        lc->send->dup_fd = -1;
    return lc->send;
}

static void on_written(uv_write_t *req, int status)
{
    struct lconn *lc = req->data;
    lc->writing = false;
    if (lc->closing)
        return;
    lconn_proceed(lc, status == 0 ? conn_sent(&lc->c, lc->send->write_len) : CONN_CLOSE);
}

static bool start_write(struct lconn *lc, uv_buf_t *bufs, int n, enum conn_want *w)
{
    struct lsend *s = send_state(lc);
    *w = CONN_CLOSE;
    if (!s)
        return false;
    s->write.data = lc;
    s->write_len = 0;
    for (int i = 0; i < n; i++)
        s->write_len += bufs[i].len;
    if (uv_write(&s->write, (uv_stream_t *)&lc->tcp, bufs, (unsigned)n, on_written))
        return false;
    lc->writing = true;
    *w = CONN_WANT_WRITE;
    return true;
}

static void on_writable(uv_poll_t *h, int status, int events)
{
    (void)events;
    struct lconn *lc = h->data;
    uv_poll_stop(h);
    lconn_proceed(lc, status < 0 ? CONN_CLOSE : CONN_WANT_WRITE);
}

static bool wait_writable(struct lconn *lc)
{
    struct lsend *s = lc->send;
    if (s->dup_fd < 0) {
        s->dup_fd = fcntl(lc->c.fd, F_DUPFD_CLOEXEC, 0);
        if (s->dup_fd < 0)
            return false;
        if (uv_poll_init(L.loop, &s->writable, s->dup_fd) != 0) {
            close(s->dup_fd);
            s->dup_fd = -1;
            return false;
        }
        s->writable.data = lc;
    }
    return uv_poll_start(&s->writable, UV_WRITABLE, on_writable) == 0;
}

/* The socket is non-blocking: sendfile sends what fits and returns; a short
 * count means the socket is full, so wait for room before the next. */
static bool send_file(struct lconn *lc, int fd, off_t off, size_t len,
                      enum conn_want *w)
{
    ssize_t r = sendfile(lc->c.fd, fd, &off, len);
    if (r < 0 && errno != EAGAIN && errno != EINTR) {
        *w = CONN_CLOSE;
        return false;
    }
    *w = r >= 0 ? conn_sent(&lc->c, (size_t)r) : CONN_WANT_WRITE;
    if (*w != CONN_WANT_WRITE || (r >= 0 && (size_t)r == len))
        return false;
    if (!send_state(lc) || !wait_writable(lc)) {
        *w = CONN_CLOSE;
        return false;
    }
    return true;
}

/* Sends what the core has ready. True when the rest goes on asynchronously
 * (a callback calls lconn_proceed() later); else *w says what comes next. */
static bool send_some(struct lconn *lc, enum conn_want *w)
{
    struct iovec iov[2];
    int n = conn_send_iov(&lc->c, iov);
    if (n > 0) {
        uv_buf_t bufs[2];
        for (int i = 0; i < n; i++)
            bufs[i] = uv_buf_init(iov[i].iov_base, (unsigned)iov[i].iov_len);
        int r = uv_try_write((uv_stream_t *)&lc->tcp, bufs, (unsigned)n);
        if (r > 0) {
            *w = conn_sent(&lc->c, (size_t)r);
            return false;
        }
        if (r == UV_EAGAIN)
            return start_write(lc, bufs, n, w);
        *w = CONN_CLOSE;
        return false;
    }
    int fd;
    off_t off;
    size_t len;
    if (conn_send_file(&lc->c, &fd, &off, &len))
        return send_file(lc, fd, off, len, w);
    *w = CONN_CLOSE; /* cannot happen: the core wants to write but has nothing */
    return false;
}

/* --- the connection's course -------------------------------------------- */

void lconn_proceed(struct lconn *lc, enum conn_want w)
{
    bool pending = false;
    while (w == CONN_WANT_WRITE && !pending)
        pending = send_some(lc, &w);
    if (w == CONN_WANT_BACKEND) { /* the client's input waits meanwhile */
        if (!lconn_set_reading(lc, false) || !db_watch(lc))
            lconn_drop(lc);
        else
            conn_timeout_touch(&L.tq, &lc->c);
        return;
    }
    if (w == CONN_CLOSE || !lconn_set_reading(lc, !pending)) {
        lconn_drop(lc);
        return;
    }
    if (!pending)
        release_send(lc);
    conn_timeout_touch(&L.tq, &lc->c);
}

static void open_conn(int fd)
{
    struct lconn *lc = calloc(1, sizeof *lc);
    if (!lc || uv_tcp_init(L.loop, &lc->tcp) != 0) {
        free(lc);
        server_refuse(fd);
        return;
    }
    lc->tcp.data = lc;
    if (uv_tcp_open(&lc->tcp, fd) != 0) {
        server_refuse(fd);
        lc->handles = 1;
        uv_close((uv_handle_t *)&lc->tcp, on_closed);
        return;
    }
    conn_init(&lc->c, fd);
    L.nconns++;
    lconn_proceed(lc, CONN_WANT_READ);
}

static void on_listen_ready(uv_poll_t *h, int status, int events)
{
    (void)h, (void)events;
    int fd;
    if (status < 0)
        return;
    while ((fd = server_accept(L.stop.srv->listen_fd)) >= 0)
        open_conn(fd);
}

/* --- timeouts -------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    (void)t;
    timeouts_expire(&L.tq, clock_now_ms(), on_expired, NULL);
}

static void on_prepare(uv_prepare_t *p)
{
    (void)p;
    for (struct conn *c; (c = conn_backend_granted());) /* got a database connection */
        db_step((struct lconn *)(void *)((char *)c - offsetof(struct lconn, c)));
    int ms = timeouts_next_ms(&L.tq, clock_now_ms());
    if (ms < 0)
        uv_timer_stop(&L.tick);
    else
        uv_timer_start(&L.tick, on_tick, (uint64_t)ms, 0);
}

/* --- signals --------------------------------------------------------------- */

static void on_signal(uv_signal_t *h, int signum)
{
    const struct sigaction *core = &L.core_sa[h - L.signals];
    if (core->sa_handler != SIG_DFL && core->sa_handler != SIG_IGN)
        core->sa_handler(signum);
    reactor_stop_poll(&L.stop);
}

static int signals_start(void)
{
    for (int i = 0; i < 3; i++) {
        int rc;
        if (sigaction(SIGNALS[i], NULL, &L.core_sa[i]) < 0)
            return uv_translate_sys_error(errno);
        if ((rc = uv_signal_init(L.loop, &L.signals[i])) ||
            (rc = uv_signal_start(&L.signals[i], on_signal, SIGNALS[i])))
            return rc;
    }
    /* server_start blocked them for waits that install server_waitmask;
     * libuv's handlers write to its loop's pipe, so they may run any time. */
    server_unblock_signals();
    return 0;
}

/* --- stopping -------------------------------------------------------------- */

static void close_if_idle(uv_handle_t *h, void *all)
{
    if (h->type != UV_TCP || uv_is_closing(h))
        return;
    struct lconn *lc = h->data;
    if (all || (conn_is_idle(&lc->c) && !lc->writing))
        lconn_drop(lc);
}

/* Once stopped and the last connection is gone, closing the loop's own
 * handles lets uv_run return. */
static void finish_if_done(void)
{
    if (!L.stop.stopped || L.nconns > 0 || L.finished)
        return;
    L.finished = true;
    for (int i = 0; i < 3; i++)
        uv_close((uv_handle_t *)&L.signals[i], NULL);
    uv_close((uv_handle_t *)&L.tick, NULL);
    uv_close((uv_handle_t *)&L.prepare, NULL);
    uv_close((uv_handle_t *)&L.stop_timer, NULL);
    db_close_all();
}

static void on_stop_timer(uv_timer_t *t)
{
    (void)t;
    if (server_grace_over())
        uv_walk(L.loop, close_if_idle, (void *)1);
}

/* No new connections; idle ones close now, busy ones finish. The core
 * closes the listener after this. */
static void begin_stop(void *arg)
{
    (void)arg;
    uv_close((uv_handle_t *)&L.listener, NULL); /* leaves epoll before the close */
    uv_timer_start(&L.stop_timer, on_stop_timer, REACTOR_STOP_CHECK_MS, REACTOR_STOP_CHECK_MS);
    uv_walk(L.loop, close_if_idle, NULL);
    finish_if_done();
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    L.loop = uv_default_loop();
    L.stop = (struct reactor_stop){.srv = &s, .on_stop = begin_stop};
    timeouts_init(&L.tq);
    conn_backend_drive(true);
    int rc;
    if ((rc = uv_poll_init(L.loop, &L.listener, s.listen_fd)) ||
        (rc = uv_poll_start(&L.listener, UV_READABLE, on_listen_ready)) ||
        (rc = uv_timer_init(L.loop, &L.tick)) ||
        (rc = uv_timer_init(L.loop, &L.stop_timer)) ||
        (rc = uv_prepare_init(L.loop, &L.prepare)) ||
        (rc = uv_prepare_start(&L.prepare, on_prepare)) || (rc = signals_start())) {
        fprintf(stderr, "libuv: setup: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_run(L.loop, UV_RUN_DEFAULT);
    uv_loop_close(L.loop);
    return server_finish(&s);
}
