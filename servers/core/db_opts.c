/* The servers' database options: see db.h. */
#include "db.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

struct db_options db_options = {NULL, DB_CONNS_DEFAULT, false, 0};

void db_usage(FILE *to)
{
    fprintf(to,
            "  --db URI             PostgreSQL to query for /db and /queries?q=N, a libpq\n"
            "                       URI or conninfo (e.g. 'host=/tmp/pg dbname=hello_world');\n"
            "                       without it they answer 503\n"
            "  --db-conns N         database connections per process (default %d);\n"
            "                       requests wait for one in FIFO order\n"
            "  --db-api sync|async  async (default): event loops drive libpq's\n"
            "                       non-blocking API; sync: they block in it\n"
            "  --db-delay-ms D      the database sleeps D ms in each statement (pg_sleep)\n",
            DB_CONNS_DEFAULT);
}

static int number(const char *prog, const char *opt, const char *arg, long min, long max,
                  int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        fprintf(stderr, "%s: %s: expected a number from %ld to %ld, got '%s'\n", prog, opt,
                min, max, arg);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int db_option(const char *prog, int ch, const char *arg)
{
    char *err = NULL;
    PQconninfoOption *info;
    switch (ch) {
    case 0x100:
        if (!(info = PQconninfoParse(arg, &err))) {
            fprintf(stderr, "%s: --db: not a libpq URI or conninfo: %s", prog,
                    err ? err : "out of memory\n");
            PQfreemem(err);
            return -1;
        }
        PQconninfoFree(info);
        db_options.uri = arg;
        return 0;
    case 0x101:
        return number(prog, "--db-conns", arg, 1, 4096, &db_options.conns);
    case 0x102:
        if (strcmp(arg, "sync") && strcmp(arg, "async")) {
            fprintf(stderr, "%s: --db-api: expected sync or async, got '%s'\n", prog, arg);
            return -1;
        }
        db_options.sync_api = !strcmp(arg, "sync");
        return 0;
    default:
        return number(prog, "--db-delay-ms", arg, 0, 60000, &db_options.delay_ms);
    }
}
