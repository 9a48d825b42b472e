/* libuv: requests that wait on the database, with libuv's poll handles on
 * libpq's socket (see conn.h, "requests that wait on the database"). */
#include <stdlib.h>

#include "libuv_int.h"

/* --- waiting on the database ---------------------------------------------- */

/* A poll handle watches libpq's socket; it stops before libpq may close
 * that socket (libuv must not poll a closed descriptor), and a new one is
 * made when a request's database connection changes. */
void db_unwatch(struct lconn *lc)
{
    if (lc->db) {
        lc->db->lc = NULL;
        uv_close((uv_handle_t *)&lc->db->poll, (uv_close_cb)free);
        lc->db = NULL;
    }
}

static void on_db_ready(uv_poll_t *h, int status, int events);

/* Waits for what libpq asks; nothing while queued for a connection (the
 * prepare callback resumes granted requests). False when out of memory. */
bool db_watch(struct lconn *lc)
{
    int events, fd = conn_backend_wait(&lc->c, &events);
    int uv_events = (events & DB_READ ? UV_READABLE : 0) | (events & DB_WRITE ? UV_WRITABLE : 0);
    if (lc->db && (lc->db->fd != fd || (events & DB_NEW))) /* a new socket */
        db_unwatch(lc);
    if (fd < 0)
        return true;
    if (!lc->db) {
        struct ldb *d = calloc(1, sizeof *d);
        if (!d || uv_poll_init(libuv_loop(), &d->poll, fd) != 0) {
            free(d);
            return false;
        }
        d->lc = lc;
        d->fd = fd;
        d->poll.data = d;
        lc->db = d;
    }
    return uv_poll_start(&lc->db->poll, uv_events, on_db_ready) == 0;
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
    struct ldb *d = h->data;
    uv_poll_stop(h);
    if (d->lc)
        db_step(d->lc);
}

