/* The database client's two faces over one pool: see db.h. */
#include "db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "server.h"

struct db_link {
    PGconn *pg;                /* NULL: closed, reopened on the next take */
};

/* One pool and its connections: the process's (sync face, locked) or an
 * event loop's (completion face, one per thread). */
struct db_side {
    struct db_pool pool;
    struct db_link *links;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct db_req *granted, *granted_tail; /* loop's: queued ones given a link */
};

static struct db_side *sync_side;
static pthread_once_t sync_once = PTHREAD_ONCE_INIT;
static _Thread_local struct db_side *loop_side;
static _Atomic int64_t failed_ms = -DB_RETRY_MS; /* last failed connect */
static _Atomic bool down_said;                   /* the failure was printed */

static struct db_side *side_new(void)
{
    struct db_side *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->links = calloc((size_t)db_options.conns, sizeof *s->links);
    if (!s->links || db_pool_init(&s->pool, db_options.conns) < 0) {
        free(s->links);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    return s;
}

static void sync_side_init(void)
{
    sync_side = side_new();
}

/* --- connections ------------------------------------------------------------ */

/* The statement every query runs; with --db-delay-ms the database itself
 * sleeps in it, so the wait is the database's and the server's CPU is not
 * touched. */
static void statement(char *sql, size_t n)
{
    if (db_options.delay_ms > 0)
        snprintf(sql, n, "SELECT w.id, w.randomnumber FROM world w, pg_sleep(%d / 1000.0) "
                 "WHERE w.id = $1", db_options.delay_ms);
    else
        snprintf(sql, n, "SELECT id, randomnumber FROM world WHERE id = $1");
}

static void link_close(struct db_link *l)
{
    if (l->pg)
        PQfinish(l->pg);
    l->pg = NULL;
}

/* A connection that failed is closed; a failed connect also holds further
 * attempts back for DB_RETRY_MS, so that a database that is down costs a
 * 503 and not a connect per request. */
static int link_failed(struct db_link *l, const char *what)
{
    if (!strcmp(what, "connect"))
        failed_ms = clock_now_ms();
    if (!atomic_exchange(&down_said, true))
        fprintf(stderr, "%s: database: %s: %s", server_name(), what,
                l->pg ? PQerrorMessage(l->pg) : "out of memory\n");
    link_close(l);
    return -1;
}

/* Opens l if it is closed or broken: 0 if it was open, 1 if it is new
 * (a new socket, perhaps with the number of the one closed before), or -1
 * (the request gets 503). */
static int link_open(struct db_link *l, bool nonblocking)
{
    if (l->pg && PQstatus(l->pg) == CONNECTION_OK)
        return 0;
    link_close(l);
    if (!db_options.uri || clock_now_ms() - failed_ms < DB_RETRY_MS)
        return -1;
    char sql[160];
    statement(sql, sizeof sql);
    l->pg = PQconnectdb(db_options.uri);
    if (!l->pg || PQstatus(l->pg) != CONNECTION_OK)
        return link_failed(l, "connect");
    PGresult *res = PQprepare(l->pg, "world", sql, 1, NULL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok)
        return link_failed(l, "prepare");
    if (nonblocking && PQsetnonblocking(l->pg, 1) != 0)
        return link_failed(l, "PQsetnonblocking");
    if (atomic_exchange(&down_said, false))
        fprintf(stderr, "%s: database: connected again\n", server_name());
    return 1;
}

/* --- requests ------------------------------------------------------------------ */

static int random_id(void)
{
    static _Thread_local uint32_t x;
    if (!x)
        x = (uint32_t)clock_now_ms() ^ (uint32_t)(uintptr_t)&x ^ 0x9e3779b9u;
    x ^= x << 13; /* xorshift32: cheap, per thread, no lock */
    x ^= x >> 17;
    x ^= x << 5;
    return (int)(x % DB_ROWS) + 1;
}

struct db_req *db_req_new(int n, bool array, void *owner)
{
    struct db_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->queries = n;
    r->array = array;
    r->w.owner = owner;
    r->w.slot = -1;
    r->cap = 2 + (size_t)n * 40; /* {"id":10000,"randomNumber":10000}, */
    if (!(r->json = malloc(r->cap))) {
        free(r);
        return NULL;
    }
    if (array)
        r->json[r->len++] = '[';
    return r;
}

/* Appends the one row of a result as TechEmpower's object. */
static bool append_row(struct db_req *r, PGresult *res)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
        PQnfields(res) != 2)
        return false;
    int n = snprintf(r->json + r->len, r->cap - r->len, "%s{\"id\":%s,\"randomNumber\":%s}",
                     r->done > 0 ? "," : "", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    if (n < 0 || (size_t)n >= r->cap - r->len - 1)
        return false;
    r->len += (size_t)n;
    return true;
}

static void finish_json(struct db_req *r)
{
    if (r->array)
        r->json[r->len++] = ']';
}

/* --- the synchronous face ------------------------------------------------------ */

static bool query_sync(struct db_req *r, PGconn *pg)
{
    char id[16];
    snprintf(id, sizeof id, "%d", random_id());
    const char *vals[1] = {id};
    PGresult *res = PQexecPrepared(pg, "world", 1, vals, NULL, NULL, 0);
    bool ok = append_row(r, res);
    PQclear(res);
    return ok;
}

int db_run_sync(struct db_req *r)
{
    pthread_once(&sync_once, sync_side_init);
    struct db_side *s = sync_side;
    if (!s)
        return r->status = 503;
    pthread_mutex_lock(&s->mu);
    db_pool_take(&s->pool, &r->w);
    while (r->w.slot < 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    struct db_link *l = &s->links[r->w.slot];
    r->status = 200;
    if (link_open(l, false) < 0)
        r->status = 503;
    for (; r->status == 200 && r->done < r->queries; r->done++) {
        if (query_sync(r, l->pg))
            continue;
        link_failed(l, "query");
        /* A connection from before a restart of the database fails at its
         * first use: the request's first query is tried once more on a new
         * one. */
        if (r->done > 0 || r->retried || link_open(l, false) < 0 || !query_sync(r, l->pg))
            r->status = 503;
        r->retried = true;
    }
    if (r->status == 200)
        finish_json(r);
    pthread_mutex_lock(&s->mu);
    if (db_pool_give(&s->pool, r->w.slot))
        pthread_cond_broadcast(&s->cv);
    r->w.slot = -1;
    pthread_mutex_unlock(&s->mu);
    return r->status;
}

/* --- the completion face -------------------------------------------------------- */

static struct db_side *loop(void)
{
    if (!loop_side)
        loop_side = side_new();
    return loop_side;
}

/* The request is over: its connection goes to the oldest waiter. */
static int finish(struct db_req *r, int status)
{
    struct db_side *s = loop_side;
    r->status = status;
    if (status == 200)
        finish_json(r);
    struct db_waiter *w = db_pool_give(&s->pool, r->w.slot);
    r->w.slot = -1;
    if (w) {
        struct db_req *next = (struct db_req *)(void *)w; /* w is first */
        next->granted = true;
        next->next_granted = NULL;
        if (s->granted_tail)
            s->granted_tail->next_granted = next;
        else
            s->granted = next;
        s->granted_tail = next;
    }
    return DB_DONE;
}

static int send_next(struct db_req *r);

/* As in db_run_sync, a first query that fails is tried once more on a new
 * connection (one from before a restart of the database fails at its first
 * use). */
static int fail(struct db_req *r, const char *what)
{
    struct db_link *l = &loop_side->links[r->w.slot];
    if (l->pg)
        link_failed(l, what);
    if (r->done > 0 || r->retried)
        return finish(r, 503);
    r->retried = true;
    r->sent = r->flushing = false;
    return send_next(r);
}

static int flush(struct db_req *r, PGconn *pg)
{
    int f = PQflush(pg);
    if (f < 0)
        return fail(r, "PQflush");
    r->flushing = f == 1;
    return f ? DB_READ | DB_WRITE : DB_READ;
}

static int send_next(struct db_req *r)
{
    struct db_link *l = &loop_side->links[r->w.slot];
    if (r->done == 0 && !r->sent) {
        int opened = link_open(l, true);
        if (opened < 0)
            return finish(r, 503);
        r->reopened |= opened == 1;
    }
    char id[16];
    snprintf(id, sizeof id, "%d", random_id());
    const char *vals[1] = {id};
    if (!PQsendQueryPrepared(l->pg, "world", 1, vals, NULL, NULL, 0))
        return fail(r, "PQsendQueryPrepared");
    r->sent = true;
    r->got_row = false;
    return flush(r, l->pg);
}

int db_start(struct db_req *r)
{
    struct db_side *s = loop();
    r->async = true;
    if (!s)
        return r->status = 503, DB_DONE;
    if (db_pool_take(&s->pool, &r->w) < 0)
        return 0;
    return send_next(r);
}

int db_fd(const struct db_req *r)
{
    if (r->w.slot < 0 || !loop_side)
        return -1;
    PGconn *pg = loop_side->links[r->w.slot].pg;
    return pg ? PQsocket(pg) : -1;
}

int db_ready(struct db_req *r)
{
    if (r->status)
        return DB_DONE;
    if (r->w.slot < 0)
        return 0; /* still queued for a connection */
    if (!r->sent)
        return send_next(r); /* granted */
    PGconn *pg = loop_side->links[r->w.slot].pg;
    if (!PQconsumeInput(pg))
        return fail(r, "PQconsumeInput");
    if (r->flushing) {
        int ev = flush(r, pg);
        if (ev != DB_READ)
            return ev;
    }
    while (!PQisBusy(pg)) {
        PGresult *res = PQgetResult(pg);
        if (!res) { /* this statement's results are all in */
            if (!r->got_row)
                return fail(r, "query");
            if (++r->done == r->queries)
                return finish(r, 200);
            return send_next(r);
        }
        bool ok = !r->got_row && append_row(r, res);
        PQclear(res);
        if (!ok)
            return fail(r, "query result");
        r->got_row = true;
    }
    return DB_READ;
}

struct db_req *db_granted(void)
{
    struct db_side *s = loop_side;
    struct db_req *r = s ? s->granted : NULL;
    if (r) {
        if (!(s->granted = r->next_granted))
            s->granted_tail = NULL;
        r->granted = false;
    }
    return r;
}

static void ungrant(struct db_side *s, struct db_req *r)
{
    struct db_req **at = &s->granted, *prev = NULL;
    while (*at && *at != r) {
        prev = *at;
        at = &(*at)->next_granted;
    }
    if (!*at)
        return;
    *at = r->next_granted;
    if (s->granted_tail == r)
        s->granted_tail = prev;
}

/* This thread's completion-face pool closed and freed: its connections and
 * memory. For a loop whose thread ends (reuseport's reactors), once it has
 * no request left; the next request of the thread would open a new one. */
void db_loop_close(void)
{
    struct db_side *s = loop_side;
    if (!s)
        return;
    for (int i = 0; i < db_options.conns; i++)
        link_close(&s->links[i]);
    db_pool_free(&s->pool);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->links);
    free(s);
    loop_side = NULL;
}

void db_req_free(struct db_req *r)
{
    if (!r)
        return;
    struct db_side *s = loop_side;
    if (r->async && s && !r->status) {
        if (r->granted)
            ungrant(s, r);
        if (r->w.slot < 0)
            db_pool_cancel(&s->pool, &r->w);
        else if (r->sent) /* abandoned in flight: its answer is not awaited */
            link_close(&s->links[r->w.slot]);
        if (r->w.slot >= 0)
            finish(r, 503);
    }
    free(r->json);
    free(r);
}
