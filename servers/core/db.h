/* The database client: TechEmpower's World table in PostgreSQL over libpq,
 * with one pool of --db-conns connections per process (db_pool.h: FIFO
 * waiting), and two faces so that a model file still shows only how it
 * waits:
 *
 * Synchronous (blocking models, threadpool's workers, any model under
 * --db-api sync): db_run_sync() takes a connection (blocking in FIFO order
 * while none is free), runs the request's queries one round trip each
 * (PQexecPrepared) and gives the connection back.
 *
 * Completion style, on libpq's non-blocking API (PQsendQueryPrepared,
 * PQflush, PQconsumeInput, PQisBusy, PQgetResult), for one event loop per
 * thread with its own pool:
 *
 *   int ev = db_start(r);        // DB_READ|DB_WRITE: wait on db_fd(r) for
 *                                // that; 0: queued for a connection;
 *                                // DB_DONE: r->status is final
 *   on readiness:  ev = db_ready(r);      // same results
 *   after each loop turn: while ((r = db_granted())) ev = db_ready(r);
 *                                // a queued request got its connection
 *
 * Each query is its own statement and round trip (no pipelining, no
 * batching), as TechEmpower requires. r->status is 200 with r->json the
 * body, or 503 when the database cannot be reached or failed: the
 * connection is then closed and reopened by a later request (not sooner
 * than DB_RETRY_MS after a failed attempt). Connecting is synchronous in
 * both faces (PQconnectdb: a Unix socket or loopback, once per connection,
 * not per request). */
#ifndef DB_H
#define DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "db_pool.h"

#define DB_ROWS 10000          /* World's ids are 1..DB_ROWS */
#define DB_QUERIES_MAX 500     /* /queries?q= is clamped to 1..500 */
#define DB_CONNS_DEFAULT 8
#define DB_RETRY_MS 100        /* after a failed connect, 503 at once for this long */
#define DB_READ 1
#define DB_WRITE 2
#define DB_NEW 4               /* with DB_READ|DB_WRITE: a new socket, see conn.h */
#define DB_DONE (-1)

struct db_options {
    const char *uri;           /* libpq conninfo or URI; NULL: /db is 503 */
    int conns;                 /* connections per pool */
    bool sync_api;             /* --db-api sync: event loops block in the driver */
    int delay_ms;              /* pg_sleep in each statement */
};
extern struct db_options db_options;

struct db_req {
    struct db_waiter w;        /* w.owner: the caller's (a struct conn) */
    int queries, done;
    bool array;                /* /queries answers a JSON array */
    bool async, sent, flushing, got_row, granted, retried;
    bool reopened;             /* its connection's socket is new since last asked */
    int status;                /* 0 while running, then 200 or 503 */
    char *json;
    size_t len, cap;
    struct db_req *next_granted;
};

/* A request for n rows (array: /queries), or NULL when out of memory. */
struct db_req *db_req_new(int n, bool array, void *owner);
/* Frees r; one still waiting or in flight gives its place up, and its
 * connection is closed (the answer of an abandoned query is not awaited). */
void db_req_free(struct db_req *r);
/* Closes this thread's completion-face pool (connections and memory): for
 * a loop thread that ends, after its last request. */
void db_loop_close(void);

int db_run_sync(struct db_req *r); /* returns r->status */

int db_start(struct db_req *r);
int db_ready(struct db_req *r);
int db_fd(const struct db_req *r);
struct db_req *db_granted(void);

/* Options: the servers' --db, --db-conns, --db-api, --db-delay-ms (db_opts.c).
 * db_option returns 0, or -1 after printing one line naming the option. */
int db_option(const char *prog, int ch, const char *arg);
void db_usage(FILE *to);
#define DB_LONGOPTS \
    {"db", required_argument, 0, 0x100}, \
    {"db-conns", required_argument, 0, 0x101}, \
    {"db-api", required_argument, 0, 0x102}, \
    {"db-delay-ms", required_argument, 0, 0x103}
#define DB_OPT_FIRST 0x100
#define DB_OPT_LAST 0x103

#endif
