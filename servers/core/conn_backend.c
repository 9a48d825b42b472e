/* Requests that wait on the database: the connection's side of db.h (see
 * conn.h, "requests that wait on the database"). */
#include <string.h>

#include "bufpool.h"
#include "conn_int.h"
#include "db_answer.h"
#include "response.h"

/* This thread's loop drives db.h's completion face. A thread that never said
 * so (a blocking model's process or thread, threadpool's workers) blocks in
 * the synchronous face, as it may. */
static _Thread_local bool driven;

void conn_backend_drive(bool on)
{
    driven = on;
}

/* The answer to r, in c's output area: the head, and the JSON behind it
 * when it fits (one send), else sent from r->json (conn_send_iov). */
static int answer(struct conn *c, bool keep_alive, bool head_only, int status,
                  const char *fields)
{
    char *out = c->buf + CONN_IN_CAP;
    struct db_req *r = c->db;
    size_t n = 0;
    c->keep_alive = keep_alive && status == 200;
    if (status == 200)
        n = db_answer_head(out, CONN_OUT_CAP, r, c->keep_alive);
    if (n == 0) { /* an error, or (cannot happen) a head too long */
        status = status == 200 ? 500 : status;
        n = response_error(out, CONN_OUT_CAP, status, fields, head_only, false);
        c->keep_alive = false;
    } else if (!head_only && n + r->len <= CONN_OUT_CAP) {
        memcpy(out + n, r->json, r->len);
        n += r->len;
    } else if (!head_only) {
        c->body = (struct respond_body){.len = (off_t)r->len};
    }
    c->out_off = 0;
    c->out_len = (uint32_t)n;
    return status;
}

static int failed_answer(struct conn *c, bool head_only)
{
    return answer(c, false, head_only, 503, "Retry-After: 1\r\n");
}

int conn_backend_begin(struct conn *c, const struct http_request *req, bool keep_alive)
{
    int n;
    bool array, head_only = req->method == HTTP_HEAD;
    if ((req->method != HTTP_GET && !head_only) || req->chunked ||
        !db_route(req->target, req->target_len, &n, &array))
        return 0;
    if (!(c->db = db_req_new(n, array, c)))
        return answer(c, false, head_only, 500, NULL);
    c->head_only = head_only;
    c->keep_alive = keep_alive; /* for the answer */
    if (c->handoff || !driven || db_options.sync_api) {
        if (db_run_sync(c->db) != 200)
            return failed_answer(c, head_only);
        return answer(c, keep_alive, head_only, 200, NULL);
    }
    c->state = CONN_BACKEND;
    if (db_start(c->db) != DB_DONE)
        return -1;
    c->state = CONN_READ_HEAD;
    return failed_answer(c, head_only);
}

int conn_backend_wait(struct conn *c, int *events)
{
    int fd = c->db ? db_fd(c->db) : -1;
    *events = fd < 0 ? 0 : c->db->flushing ? DB_READ | DB_WRITE : DB_READ;
    if (fd >= 0 && c->db->reopened) {
        *events |= DB_NEW;
        c->db->reopened = false;
    }
    return fd;
}

enum conn_want conn_backend_ready(struct conn *c)
{
    if (c->state != CONN_BACKEND || !c->db)
        return CONN_CLOSE;
    if (db_ready(c->db) != DB_DONE)
        return CONN_WANT_BACKEND;
    int st = c->db->status == 200 ? answer(c, c->keep_alive, c->head_only, 200, NULL)
                                  : failed_answer(c, c->head_only);
    conn_send_answer(c, st);
    return CONN_WANT_WRITE;
}

struct conn *conn_backend_granted(void)
{
    struct db_req *r = db_granted();
    return r ? r->w.owner : NULL;
}
