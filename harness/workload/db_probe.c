/* The database's count of its clients (see db_probe.h). */
#include "workload/db_probe.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

#define DB_PROBE_SQL "SELECT count(*) FROM pg_stat_activity " \
                     "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"

struct db_probe {
    PGconn *conn;
};

struct db_probe *db_probe_open(const char *uri, char *err, size_t errlen)
{
    struct db_probe *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* The URI (or conninfo) expanded from dbname, then bounds of its own: a
     * stopped or saturated PostgreSQL must not stall the load it samples
     * beside (libpq: later keywords override the expanded ones). */
    const char *const keys[] = {"dbname", "connect_timeout", "options", NULL};
    const char *const values[] = {uri, "2", "-c statement_timeout=500", NULL};
    p->conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(p->conn) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(p->conn));
        db_probe_close(p);
        return NULL;
    }
    return p;
}

static long count(PGconn *c)
{
    PGresult *res = PQexec(c, DB_PROBE_SQL);
    long n = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

long db_probe_clients(struct db_probe *p)
{
    if (!p)
        return -1;
    long n = count(p->conn);
    if (n < 0 && PQstatus(p->conn) != CONNECTION_OK) {
        PQreset(p->conn);
        n = PQstatus(p->conn) == CONNECTION_OK ? count(p->conn) : -1;
    }
    return n;
}

void db_probe_close(struct db_probe *p)
{
    if (!p)
        return;
    PQfinish(p->conn);
    free(p);
}
