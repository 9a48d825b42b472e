/* Between libuv.c and libuv_db.c only. */
#ifndef LIBUV_INT_H
#define LIBUV_INT_H

#include <stdbool.h>
#include <uv.h>

#include "reactor.h"

/* What a send that did not finish at once needs; allocated only then. */
struct lsend {
    uv_write_t write;   /* what uv_try_write left of the head and cached body */
    size_t write_len;   /* bytes in that write */
    uv_poll_t writable; /* waits for room, on dup_fd */
    int dup_fd;         /* a dup of the socket, -1 until the first wait */
};

struct lconn {
    uv_tcp_t tcp;       /* the socket: libuv closes it */
    struct conn c;
    uv_poll_t *db;      /* while a request waits on the database: the
                           handle of its socket (libuv_db.c) */
    int db_events;      /* what db was started for (UV_READABLE, ...) */
    struct lsend *send; /* while a response needs more than uv_try_write */
    uint8_t handles;    /* handles still to close before freeing */
    bool reading;       /* uv_read_start is in effect */
    bool writing;       /* a uv_write is in flight */
    bool closing;       /* dropped: handles are closing */
};

uv_loop_t *libuv_loop(void);
void lconn_proceed(struct lconn *lc, enum conn_want w);
void lconn_drop(struct lconn *lc);
bool lconn_set_reading(struct lconn *lc, bool on);
/* libuv_db.c */
void db_unwatch(struct lconn *lc);
bool db_watch(struct lconn *lc);
void db_step(struct lconn *lc);
void db_close_all(void);

#endif
