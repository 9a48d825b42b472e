/* --workload db and --workload queries: requests that wait on a real
 * database, TechEmpower's single- and multiple-query tests (issue 23).
 * Every model is started with --db URI of a throw-away PostgreSQL cluster
 * (tests/pgcluster.py serve: initdb into a temporary directory, World
 * loaded, stopped and deleted at the end and on Ctrl-C), --db-conns,
 * --db-delay-ms and --db-api; the cluster runs pinned to --db-cpus (the
 * load CPUs by default) in a CPU cgroup of its own, never the server's.
 * Where it cannot start, w->skip says why and every row is skipped with it.
 * The references cannot query it: their rows say "not applicable". The
 * calibration server answers a stored JSON row (--json), or q of them. */
#include "workloads/workloads.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cgroup.h"
#include "base/spawn.h"
#include "base/util.h"

#define DB_START_TIMEOUT_MS 60000 /* initdb and the World table: seconds */
#define DB_ROW "{\"id\":3217,\"randomNumber\":2149}" /* the calibration's stored row */

static const char *const options[] = {"db-conns", "db-delay-ms", "db-api", "db-cpus",
                                      "db-queries", NULL};
static struct cgroup db_cg;
static bool db_cg_ok;

static int arg(struct opts *o, const char *name, const char *a, char *err, size_t errlen)
{
    double v = 0;
    int rc = 0;
    if (!strcmp(name, "db-api")) {
        if (strcmp(a, "sync") && strcmp(a, "async")) {
            snprintf(err, errlen, "--db-api %s: expected sync or async", a);
            return -1;
        }
        o->db_sync = !strcmp(a, "sync");
    } else if (!strcmp(name, "db-cpus")) {
        if (util_cpuset_parse(a, &o->db_cpus) || CPU_COUNT(&o->db_cpus) == 0) {
            snprintf(err, errlen, "--db-cpus %s: expected a CPU list like 1 or 0-3,6", a);
            return -1;
        }
        o->db_cpus_given = true;
    } else if (!strcmp(name, "db-conns")) {
        rc = opts_whole_arg(name, a, 1, 4096, &v, err, errlen);
        o->db_conns = (int)v;
    } else if (!strcmp(name, "db-delay-ms")) {
        rc = opts_whole_arg(name, a, 0, 60000, &v, err, errlen);
        o->db_delay_ms = (int)v;
    } else {
        rc = opts_whole_arg(name, a, 1, 500, &v, err, errlen);
        o->db_queries = (int)v;
    }
    return rc;
}

static void defaults(struct opts *o, bool chosen)
{
    (void)chosen;
    if (!o->db_conns)
        o->db_conns = 8;
    if (!o->db_queries)
        o->db_queries = 20;
    if (!o->db_cpus_given)
        o->db_cpus = o->client_cpus;
}

static void usage(FILE *f)
{
    fprintf(f,
"  --db-conns N         db, queries: database connections per server process [8]\n"
"  --db-delay-ms D      db, queries: PostgreSQL sleeps D ms in each statement [0]\n"
"  --db-api sync|async  db, queries: event models drive libpq's non-blocking API\n"
"                       (async) or block their loop in it (sync) [async]\n"
"  --db-cpus LIST       db, queries: PostgreSQL's CPUs [the load CPUs]\n"
"  --db-queries N       queries: q of /queries?q=N, 1 to 500 [20]\n");
}

/* Reads "uri: ..." (or "unavailable: ...") from the cluster's keeper. */
static int read_uri(int fd, struct workload *w)
{
    char buf[1024];
    size_t n = 0;
    while (n < sizeof buf - 1 && !memchr(buf, '\n', n)) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, DB_START_TIMEOUT_MS) <= 0)
            break;
        ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!strncmp(buf, "uri: ", 5)) {
        snprintf(w->db_uri, sizeof w->db_uri, "%.500s", buf + 5);
        return 0;
    }
    snprintf(w->skip, sizeof w->skip, "PostgreSQL cannot run here: %.400s",
             n ? buf : "its cluster did not start within 60 s");
    return -1;
}

/* The cluster, before any server; a failure is every row's skip reason. */
static void start_cluster(struct workload *w, const struct opts *o)
{
    char err[512], maxconn[16], name[64];
    int p[2];
    snprintf(maxconn, sizeof maxconn, "%d", o->db_conns * 64 + 10 > 1000 ? 1000
             : o->db_conns * 64 + 10); /* fork: a pool per child, some at once */
    char *argv[] = {"python3", C10K_SOURCE_ROOT "/tests/pgcluster.py", "serve",
                    "--max-connections", maxconn, NULL};
    snprintf(name, sizeof name, "c10k-%d-postgresql", (int)getpid());
    db_cg_ok = cgroup_create(&db_cg, name, err, sizeof err) == 0;
    if (pipe2(p, O_CLOEXEC)) {
        snprintf(w->skip, sizeof w->skip, "pipe: %s", strerror(errno));
        return;
    }
    struct spawn_spec sp = {.argv = argv, .cpus = &o->db_cpus,
                            .cgroup = db_cg_ok ? &db_cg : NULL, .stdout_fd = p[1],
                            .stderr_fd = -1};
    pid_t pid = spawn_child(&sp, err, sizeof err);
    close(p[1]);
    w->db_cg = db_cg_ok ? &db_cg : NULL;
    if (pid < 0)
        snprintf(w->skip, sizeof w->skip, "PostgreSQL: %.400s", err);
    else
        w->db_pid = pid;
    if (pid > 0)
        read_uri(p[0], w);
    close(p[0]);
}

static int prepare(struct workload *w, const struct opts *o, char *err, size_t errlen)
{
    bool queries = !strcmp(w->name, "queries");
    if (queries)
        snprintf(w->path, sizeof w->path, "/queries?q=%d", o->db_queries);
    else
        snprintf(w->path, sizeof w->path, "/db");
    /* The calibration server answers stored rows: the floor of all but the database. */
    size_t row = strlen(DB_ROW), n = queries ? (size_t)o->db_queries : 1;
    if (!(w->calibration_json = malloc(n * (row + 1) + 2))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *p = w->calibration_json;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : queries ? "[" : "", DB_ROW);
    strcpy(p, queries ? "]" : "");
    w->body_size = (long)strlen(w->calibration_json);
    start_cluster(w, o);
    snprintf(w->db_args[0], sizeof w->db_args[0], "%d", o->db_conns);
    snprintf(w->db_args[1], sizeof w->db_args[1], "%d", o->db_delay_ms);
    const char *args[] = {"--db", w->db_uri, "--db-conns", w->db_args[0], "--db-delay-ms",
                          w->db_args[1], "--db-api", o->db_sync ? "sync" : "async", NULL};
    memcpy(w->server_args, args, sizeof args);
    return 0;
}

static void describe(struct workload *w, const struct opts *o)
{
    char cpus[128];
    util_cpuset_format(&o->db_cpus, cpus, sizeof cpus);
    char limit[64] = "none (D = 0)";
    if (o->db_delay_ms > 0) { /* Little's law: N connections, each busy D ms per query */
        w->db_limit_rps = o->db_conns * 1000.0 / o->db_delay_ms /
                          (!strcmp(w->name, "queries") ? o->db_queries : 1);
        snprintf(limit, sizeof limit, "%.0f req/s per process (db-conns / D / q)",
                 w->db_limit_rps);
    }
    snprintf(w->detail, sizeof w->detail, "%s: GET %s from PostgreSQL (World, 10,000 rows), "
             "--db-conns %d per process, --db-delay-ms %d, --db-api %s; PostgreSQL on CPUs "
             "%s%s; Little's law limit %s", w->name, w->path, o->db_conns, o->db_delay_ms,
             o->db_sync ? "sync" : "async", cpus,
             db_cg_ok ? " in a cgroup of its own" : " (no cgroup)", limit);
}

static void finish(struct workload *w)
{
    char note[256];
    if (w->db_pid > 0)
        spawn_stop(w->db_pid, 30000, NULL, note, sizeof note); /* it deletes the cluster */
    w->db_pid = 0;
    free(w->calibration_json);
    w->calibration_json = NULL;
    if (db_cg_ok)
        cgroup_remove(&db_cg);
    db_cg_ok = false;
    w->db_cg = NULL;
}

#define DB_WORKLOAD(ident, wname, whelp, wusage)                                      \
    const struct workload_ops ident = {                                                 \
        .name = wname, .help = whelp, .options = options, .arg = arg,                   \
        .defaults = defaults, .usage = wusage, .prepare = prepare,                      \
        .describe = describe, .finish = finish,                                         \
        .refs_not_applicable = "not applicable: a reference server cannot query "      \
                               "PostgreSQL"}

DB_WORKLOAD(workload_db, "db", "db: GET /db, one World row from PostgreSQL as JSON", usage);
DB_WORKLOAD(workload_queries, "queries",
            "queries: GET /queries?q=N (--db-queries), N rows by N queries",
            NULL); /* the options are db's, said once */
