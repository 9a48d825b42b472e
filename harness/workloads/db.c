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
#include "report/html.h"
#include "report/markdown.h"

#define DB_START_TIMEOUT_MS 60000 /* initdb and the World table: seconds */

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
        size_t len = strlen(a);
        int n = len && a[len - 1] == ',' ? -1 /* "1,5,": the list parser's end */
                : opts_parse_list(a, o->db_queries, OPTS_MAX_DB_QUERIES, 1, 500);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
                n = o->db_queries[i] == o->db_queries[j] ? -1 : n;
        if (n <= 0) {
            snprintf(err, errlen, "--db-queries %s: expected up to %d different whole "
                     "numbers from 1 to 500, like 1,5,20", a, OPTS_MAX_DB_QUERIES);
            return -1;
        }
        o->n_db_queries = n;
    }
    return rc;
}

static void defaults(struct opts *o, bool chosen)
{
    (void)chosen;
    if (!o->db_conns)
        o->db_conns = 8;
    if (!o->n_db_queries) { /* TechEmpower's single, few and many queries */
        static const int q[] = {1, 5, 20};
        memcpy(o->db_queries, q, sizeof q);
        o->n_db_queries = 3;
    }
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
"  --db-queries LIST    queries: q of /queries?q=N, each 1 to 500, at most %d; the\n"
"                       first for the closed and open loop, each further one a\n"
"                       sustainable-rate search of its own (msr rows) [1,5,20]\n",
            OPTS_MAX_DB_QUERIES);
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
    snprintf(w->path, sizeof w->path, "/db");
    w->db_delay_ms = o->db_delay_ms;
    /* The calibration server answers stored rows: the floor of all but the database. */
    if (queries ? db_workload_set_q(w, o->db_queries[0])
                : !(w->calibration_json = db_calibration_body(false, 1))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->body_size = (long)strlen(w->calibration_json);
    if (!queries && o->db_delay_ms > 0)
        w->db_limit_rps = o->db_conns * 1000.0 / o->db_delay_ms;
    start_cluster(w, o);
    if (w->db_uri[0] && !w->skip[0]) { /* the database's own count of its clients */
        char why[256];
        if (!(w->db_probe = db_probe_open(w->db_uri, why, sizeof why)))
            fprintf(stderr, "harness: db_conns_peak not measured: %s\n", why);
    }
    snprintf(w->db_args[0], sizeof w->db_args[0], "%d", o->db_conns);
    snprintf(w->db_args[1], sizeof w->db_args[1], "%d", o->db_delay_ms);
    const char *args[] = {"--db", w->db_uri, "--db-conns", w->db_args[0], "--db-delay-ms",
                          w->db_args[1], "--db-api", o->db_sync ? "sync" : "async", NULL};
    memcpy(w->server_args, args, sizeof args);
    return 0;
}

static void describe(struct workload *w, const struct opts *o)
{
    char cpus[128], qs[64] = "";
    util_cpuset_format(&o->db_cpus, cpus, sizeof cpus);
    bool queries = !strcmp(w->name, "queries");
    for (int i = 0; queries && i < o->n_db_queries; i++)
        snprintf(qs + strlen(qs), sizeof qs - strlen(qs), "%s%d", i ? ", " : "",
                 o->db_queries[i]);
    char limit[192] = "none (D = 0)";
    if (o->db_delay_ms > 0) /* Little's law: N connections, each busy D ms per query */
        snprintf(limit, sizeof limit, "db-conns / D / q per process (%.0f req/s at q = %d), "
                 "per row from the connections PostgreSQL counted (db_conns_peak)",
                 w->db_limit_rps, queries ? o->db_queries[0] : 1);
    snprintf(w->detail, sizeof w->detail, "%s: GET %s%s%s%s from PostgreSQL (World, 10,000 "
             "rows), --db-conns %d per process, --db-delay-ms %d, --db-api %s; PostgreSQL on "
             "CPUs %s%s; Little's law limit %s", w->name, w->path,
             queries ? " (q = " : "", qs, !queries ? "" : o->n_db_queries < 2 ? ")"
             : o->rates_mode == RATES_AUTO ? "; further q: a sustainable-rate search each)"
             : "; further q: not measured, their searches need --rates auto)", o->db_conns, o->db_delay_ms, o->db_sync ? "sync" : "async", cpus,
             db_cg_ok ? " in a cgroup of its own" : " (no cgroup)", limit);
}

static void finish(struct workload *w)
{
    char note[256];
    db_probe_close(w->db_probe); /* first: its connection must not hold the shutdown */
    w->db_probe = NULL;
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

/* The section is db's hook alone: it draws both workloads' (the report calls
 * every workload's hook). */
#define DB_WORKLOAD(ident, wname, whelp, wusage, whtml, wmarkdown, wopen)             \
    const struct workload_ops ident = {                                                 \
        .name = wname, .help = whelp, .options = options, .arg = arg,                   \
        .defaults = defaults, .usage = wusage, .prepare = prepare,                      \
        .describe = describe, .finish = finish, .steps = db_steps,                      \
        .not_measured = db_not_measured, .open_steps = wopen, .html_section = whtml,    \
        .markdown_section = wmarkdown,                                                  \
        .refs_not_applicable = "not applicable: a reference server cannot query "      \
                               "PostgreSQL"}

DB_WORKLOAD(workload_db, "db", "db: GET /db, one World row from PostgreSQL as JSON", usage,
            html_db, markdown_db, NULL);
DB_WORKLOAD(workload_queries, "queries",
            "queries: GET /queries?q=N (--db-queries), N rows by N queries",
            NULL, NULL, NULL, db_open_steps); /* the options are db's, said once */
