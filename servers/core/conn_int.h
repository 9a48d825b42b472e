/* Between conn.c and conn_backend.c only. */
#ifndef CONN_INT_H
#define CONN_INT_H

#include "conn.h"
#include "http_parse.h"

#define CONN_IN_CAP BUFPOOL_IN_CAP   /* request head at the start of buf */
#define CONN_OUT_CAP BUFPOOL_OUT_CAP /* response head after it */

/* The answer in the output area goes out now (state CONN_WRITE). */
void conn_send_answer(struct conn *c, int status);

/* For a /db or /queries request: 0 when req is not one; the status of an
 * answer made now (sync face, or an error); -1 when c now waits in
 * CONN_BACKEND. */
int conn_backend_begin(struct conn *c, const struct http_request *req, bool keep_alive);

#endif
