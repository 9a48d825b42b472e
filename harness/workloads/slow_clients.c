/* Many slow clients, the C10K situation (--workload slow-clients): the
 * clients are far away and mostly idle, so concurrency comes from their
 * number, not from a loop that saturates the server. Each step is one
 * open-loop loadgen run on --slow-conns connections, each offering
 * --slow-rate req/s (offered = conns x rate), step "slow" in results.csv,
 * for long enough that each sends a few requests (OPTS_SLOW_REQS_*);
 * the report plots p99 and server CPU per request against the connections.
 * A step that needs more descriptors than this process may open is a
 * skipped row saying so. */
#include "workloads/workloads.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/spawn.h"
#include "base/util.h"
#include "run/run_ctx.h"

static const char *const options[] = {"slow-conns", "slow-rate", NULL};

static int arg(struct opts *o, const char *name, const char *a, char *err, size_t errlen)
{
    if (strcmp(name, "slow-rate") == 0)
        return opts_double_arg(name, a, 0.01, 1000, &o->slow_rate, err, errlen);
    o->n_slow = opts_parse_list(a, o->slow_conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (o->n_slow > 0)
        return 0;
    snprintf(err, errlen, "--slow-conns %s: expected up to %d counts from 1 to %d, "
             "comma-separated", a, OPTS_MAX_LIST, OPTS_MAX_CONNS);
    return -1;
}

/* Concurrency from the number of clients: no saturating closed loop and no
 * rate search unless asked for. */
static void defaults(struct opts *o, bool chosen)
{
    if (o->slow_rate <= 0)
        o->slow_rate = OPTS_DEFAULT_SLOW_RATE;
    if (!chosen)
        return;
    if (o->n_slow == 0)
        o->n_slow = opts_parse_list(o->quick ? OPTS_QUICK_SLOW_CONNS : OPTS_DEFAULT_SLOW_CONNS,
                                    o->slow_conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (!o->conns_given) {
        o->conns_given = true;
        o->n_conns = 0;
    }
    if (!o->rates_given)
        o->rates_mode = RATES_NONE;
}

static void usage(FILE *f)
{
    fprintf(f,
"  --slow-conns LIST    slow-clients: connection counts, each a step [%s;\n"
"                       quick %s; steps beyond the descriptor limit are skipped]\n"
"  --slow-rate R        slow-clients: req/s each connection offers [%g]\n",
            OPTS_DEFAULT_SLOW_CONNS, OPTS_QUICK_SLOW_CONNS, OPTS_DEFAULT_SLOW_RATE);
}

static void describe(struct workload *w, const struct opts *o)
{
    char rate[32], extra[96];
    util_format_rate(o->slow_rate, rate, sizeof rate);
    snprintf(extra, sizeof extra, "; many slow clients, each offering %s req/s", rate);
    file_workload_describe(w, extra);
}

/* Descriptors beyond one per connection: loadgen's own (64) and the
 * server's listener, files and logs. */
#define SLOW_FDS_SPARE 128

static long nofile_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) ? 1024 : (long)rl.rlim_cur;
}

static struct row *slow_row(struct run_ctx *c, const struct model *m, int round, int conns)
{
    struct row *r = run_new_row(c, m, round);
    r->mode = ROW_MODE_OPEN;
    r->step = ROW_STEP_SLOW;
    r->conns = conns;
    r->offered_rps = conns * c->o->slow_rate;
    return r;
}

static void slow_not_measured(struct run_ctx *c, const struct model *m, int round,
                              enum row_status status, const char *why)
{
    for (int i = 0; i < c->o->n_slow; i++) {
        struct row *r = slow_row(c, m, round, c->o->slow_conns[i]);
        r->status = status;
        row_note(r, "%s", why);
        progress_step(&c->progress, r, 0);
    }
}

static void slow_measure(struct run_ctx *c, struct sut *s, const struct model *m, int round)
{
    long nofile = nofile_limit();
    struct measure_cfg saved = c->cfg;
    double per_conn_s = 1 / c->o->slow_rate;
    if (!c->o->quick && c->cfg.rate_warmup_s < OPTS_SLOW_REQS_WARMUP * per_conn_s)
        c->cfg.rate_warmup_s = OPTS_SLOW_REQS_WARMUP * per_conn_s;
    if (!c->o->quick && c->cfg.rate_duration_s < OPTS_SLOW_REQS_WINDOW * per_conn_s)
        c->cfg.rate_duration_s = OPTS_SLOW_REQS_WINDOW * per_conn_s;
    for (int i = 0; i < c->o->n_slow && !spawn_interrupted; i++) {
        int conns = c->o->slow_conns[i];
        struct row *r;
        if (conns + SLOW_FDS_SPARE > nofile) {
            r = slow_row(c, m, round, conns);
            r->status = ROW_STATUS_SKIPPED;
            row_note(r, "%d connections need %d descriptors; the limit here is %ld "
                     "(RLIMIT_NOFILE)", conns, conns + SLOW_FDS_SPARE, nofile);
            progress_step(&c->progress, r, 0);
            continue;
        }
        c->cfg.rate_conns = conns;
        int rc = rates_step(c, s, m, round, conns * c->o->slow_rate, ROW_STEP_SLOW, &r);
        if (rc)
            break;
    }
    c->cfg = saved;
}

const struct workload_ops workload_slow_clients = {
    .name = "slow-clients",
    .help = "slow-clients: many connections each offering a few req/s\n"
            "(--slow-conns, --slow-rate), no closed loop or rate search\n"
            "unless asked for",
    .options = options,
    .arg = arg,
    .defaults = defaults,
    .usage = usage,
    .serves_path = true,
    .prepare = file_workload_prepare,
    .describe = describe,
    .steps = slow_measure,
    .not_measured = slow_not_measured,
};
