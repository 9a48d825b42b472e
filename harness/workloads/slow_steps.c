/* Many slow clients, the C10K situation (--workload slow-clients): the
 * clients are far away and mostly idle, so concurrency comes from their
 * number, not from a loop that saturates the server. Each step is one
 * open-loop loadgen run on --slow-conns connections, each offering
 * --slow-rate req/s (offered = conns x rate), step "slow" in results.csv,
 * for long enough that each sends a few requests (OPTS_SLOW_REQS_*);
 * the report plots p99 and server CPU per request against the connections.
 * The harness raised its descriptor limit for the widest step before it
 * started anything (its fds_needed hook); a step that needs more than it could
 * get is a skipped row naming the limit that stopped it. */
#include <stdio.h>
#include <sys/resource.h>

#include "run/run_ctx.h"
#include "base/spawn.h"
#include "workloads/workloads.h"

/* Descriptors beyond one per connection: loadgen's own (64) and the
 * server's listener, files and logs. */
#define SLOW_FDS_SPARE 128

static long nofile_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) ? 1024 : (long)rl.rlim_cur;
}

long slow_fds_needed(const struct opts *o)
{
    long most = 0;
    for (int i = 0; i < o->n_slow; i++)
        most = o->slow_conns[i] > most ? o->slow_conns[i] : most;
    return most + SLOW_FDS_SPARE;
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

void slow_not_measured(struct run_ctx *c, const struct model *m, int round,
                       enum row_status status, const char *why)
{
    for (int i = 0; i < c->o->n_slow; i++) {
        struct row *r = slow_row(c, m, round, c->o->slow_conns[i]);
        r->status = status;
        row_note(r, "%s", why);
        progress_step(&c->progress, r, 0);
    }
}

void slow_measure(struct run_ctx *c, struct sut *s, const struct model *m, int round)
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
            row_note(r, "%d connections need %d descriptors; RLIMIT_NOFILE is %s",
                     conns, conns + SLOW_FDS_SPARE, spawn_nofile_note());
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
