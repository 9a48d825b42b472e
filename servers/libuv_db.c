/* libuv: requests that wait on the database, with libuv's poll handles on
 * libpq's socket (see conn.h, "requests that wait on the database"). */
#include <stdlib.h>
#include <string.h>

#include "libuv_int.h"

/* --- waiting on the database ---------------------------------------------- */

/* A poll handle per database socket number, made at the first wait on that
 * number and kept until the loop ends: no allocation per request. libuv's
 * watcher holds only the number, so a new socket with the number (DB_NEW)
 * is polled by the same handle, started again. A handle is active only
 * while a request waits on its socket, for the request's whole course and
 * not per round trip: uv_poll_start begins with a stop, and each stop is an
 * EPOLL_CTL_DEL (libuv 1.44, src/unix/poll.c), so it starts once per
 * request and again only when the events or the socket change. Stopped
 * between requests, it leaves the number free for a client socket should
 * libpq close it (libuv allows one active handle per descriptor: uv_tcp_open
 * and uv_poll_init refuse a number an active handle has). libpq closes a
 * socket only inside conn_backend_ready, while its handle is active, which
 * libuv's documentation advises against; the handle is stopped or started
 * again before control goes back to the loop, so the loop never polls the
 * closed number. */
static uv_poll_t **polls; /* by descriptor number */
static int npolls;

/* fd's handle; NULL when out of memory or libuv refused it. */
static uv_poll_t *poll_of(int fd)
{
    if (fd >= npolls) {
        int n = npolls ? npolls : 64;
        while (n <= fd)
            n *= 2;
        uv_poll_t **p = realloc(polls, sizeof *p * (size_t)n);
        if (!p)
            return NULL;
        memset(p + npolls, 0, sizeof *p * (size_t)(n - npolls));
        polls = p;
        npolls = n;
    }
    if (!polls[fd]) {
        uv_poll_t *h = malloc(sizeof *h);
        if (!h || uv_poll_init(libuv_loop(), h, fd) != 0) {
            free(h);
            return NULL;
        }
        h->data = NULL;
        polls[fd] = h;
    }
    return polls[fd];
}

/* Stops the wait of lc's request, if any. */
void db_unwatch(struct lconn *lc)
{
    if (lc->db) {
        uv_poll_stop(lc->db);
        lc->db->data = NULL;
        lc->db = NULL;
    }
}

static void on_poll_closed(uv_handle_t *h)
{
    free(h);
}

/* The loop ends: every handle closes (the loop must have none left). */
void db_close_all(void)
{
    for (int fd = 0; fd < npolls; fd++)
        if (polls[fd])
            uv_close((uv_handle_t *)polls[fd], on_poll_closed);
    free(polls);
    polls = NULL;
    npolls = 0;
}

static void on_db_ready(uv_poll_t *h, int status, int events);

/* Waits for what libpq asks; nothing while queued for a connection (the
 * prepare callback resumes granted requests). False when out of memory or
 * libuv refused. */
bool db_watch(struct lconn *lc)
{
    int events, fd = conn_backend_wait(&lc->c, &events);
    int uv_events = (events & DB_READ ? UV_READABLE : 0) | (events & DB_WRITE ? UV_WRITABLE : 0);
    uv_poll_t *h = fd >= 0 ? poll_of(fd) : NULL;
    if (lc->db && lc->db != h) /* another socket (the old one closed) */
        db_unwatch(lc);
    if (fd < 0)
        return true;
    if (!h)
        return false;
    /* libuv stops a handle itself on POLLERR: active says it still waits */
    if (lc->db == h && lc->db_events == uv_events && !(events & DB_NEW) &&
        uv_is_active((uv_handle_t *)h))
        return true;
    lc->db = h;
    lc->db_events = uv_events;
    h->data = lc;
    return uv_poll_start(h, uv_events, on_db_ready) == 0;
}

void db_step(struct lconn *lc)
{
    enum conn_want w = conn_backend_ready(&lc->c);
    if (w != CONN_WANT_BACKEND)
        db_unwatch(lc);
    lconn_proceed(lc, w);
}

static void on_db_ready(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events; /* libpq finds out what happened itself */
    if (h->data)
        db_step(h->data);
}
