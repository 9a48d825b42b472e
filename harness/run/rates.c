/* The open-loop part of a model's round (see opts.h and search.h):
 *
 *   --rates LIST  one step per offered rate
 *   --rates auto  equal load (the same offered rates for every server: a
 *                 share of the calibration server's sustainable rate), the
 *                 maximum-sustainable-rate search, then 50% and 80% of the
 *                 rate found, each step a row; the search's result is a
 *                 kind=msr row.
 *
 * The calibration server runs first (run.c orders it so): until its
 * sustainable rate is known, the equal-load rates given in % are not. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hosts/hosts.h"
#include "run/run_ctx.h"
#include "run/search.h"
#include "run/step_rules.h"
#include "results/stats.h"
#include "base/spawn.h"
#include "base/util.h"

/* Where a step's corrected histogram goes (an .hgrm for HdrHistogram's
 * plotter, beside wrk2's or Hyperfoil's): DIR/hgrm/MODEL-STEP-RATE-CONNSc-
 * rROUND.hgrm (-qQ before -r: the queries workload's q), a try measured
 * again overwriting the first. NULL when the folder cannot be made. */
static const char *hgrm_path(const struct run_ctx *c, const struct model *m, int round,
                             double rate, enum row_step step, char *path, size_t len)
{
    if (snprintf(path, len, "%s/hgrm", c->dir) >= (int)len - 64)
        return NULL; /* no room for the name */
    if (mkdir(path, 0755) && errno != EEXIST) {
        fprintf(stderr, "harness: mkdir %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char q[16] = ""; /* queries: the further q's steps beside the first's */
    if (c->wl.db_queries > 0)
        snprintf(q, sizeof q, "-q%d", c->wl.db_queries);
    int n = snprintf(path, len, "%s/hgrm/%s-%s-%.0f-%dc%s-r%d.hgrm", c->dir, m->name,
                     row_step_name(step), rate, c->cfg.rate_conns, q, round);
    return n < (int)len ? path : NULL;
}

/* One open-loop step (run_ctx.h). */
int rates_step(struct run_ctx *c, struct sut *s, const struct model *m, int round,
               double rate, enum row_step step, struct row **out)
{
    char why[512], first[256], hgrm[PATH_MAX];
    enum row_status status;
    struct row *r = run_new_row(c, m, round);
    c->cfg.hgrm = hgrm_path(c, m, round, rate, step, hgrm, sizeof hgrm);
    measure_open(s, &c->cfg, rate, step, r);
    if (step_late_failure(r) && !spawn_interrupted) {
        snprintf(first, sizeof first, "measured twice: the first try had a send lag "
                 "p99 of %.0f us with loadgen at %.0f%% CPU", r->lag_p99_us, r->cli_cpu_pct);
        c->n_rows--; /* replaced, with the load hosts' own rows of it */
        if (c->cfg.hosts)
            hosts_unrecord(c->cfg.hosts);
        r = run_new_row(c, m, round);
        measure_open(s, &c->cfg, rate, step, r);
        row_note(r, "%s", first);
    }
    c->cfg.hgrm = NULL;
    progress_step(&c->progress, r, c->plan.est_open_step_s);
    *out = r;
    if (spawn_interrupted)
        return -1;
    return run_restart(c, s, m, r, why, sizeof why, &status);
}

/* The kind=msr row: what the search found (step_msr_row), from the steps
 * rows[from..) (a workload's further search: its own steps only). */
static void msr_row(struct run_ctx *c, const struct model *m, int round,
                    const struct search *se, int from)
{
    const struct row *at = step_sustained_at(c->rows + from, c->n_rows - from, m->name,
                                             se->lo);
    const struct row *noise = step_noisy_bound(c->rows + from, c->n_rows - from, m->name,
                                               se->hi);
    struct row *r = run_new_row(c, m, round);
    r->conns = c->o->rate_conns;
    step_msr_row(r, se, at, noise);
}

static int search_steps(struct run_ctx *c, struct sut *s, const struct model *m,
                        int round, struct search *se)
{
    for (double rate; (rate = search_next(se)) > 0 && !spawn_interrupted;) {
        struct row *r;
        int rc = rates_step(c, s, m, round, rate, ROW_STEP_SEARCH, &r);
        search_record(se, rate, row_sustained(r), step_generator_limited(r));
        if (rc)
            return -1;
    }
    return spawn_interrupted ? -1 : 0;
}

/* Equal-load steps; each also tells the search something. */
static int equal_steps(struct run_ctx *c, struct sut *s, const struct model *m,
                       int round, struct search *se)
{
    for (int i = 0; i < c->o->n_equal && c->equal[i] > 0; i++) {
        struct row *r;
        int rc = rates_step(c, s, m, round, c->equal[i], ROW_STEP_EQUAL, &r);
        search_record(se, c->equal[i], row_sustained(r),
                      step_generator_limited(r));
        if (rc)
            return -1;
    }
    return 0;
}

/* The calibration server's MSR fixes the equal-load rates given in %
 * (those in req/s are set from the start: run.c). */
static void set_equal_rates(struct run_ctx *c, double msr)
{
    for (int i = 0; msr > 0 && i < c->o->n_equal; i++)
        if (c->o->equal[i].pct && c->equal[i] == 0)
            c->equal[i] = msr * c->o->equal[i].value / 100;
}

/* --rates auto: equal load, the MSR search, 50% and 80% of the MSR. -1
 * when the server is gone for good or the run was interrupted. */
static int open_auto(struct run_ctx *c, struct sut *s, const struct model *m, int round)
{
    struct search se;
    struct row *r;
    search_init(&se, step_search_start(c->rows, c->n_rows), c->o->search_precision);
    bool calibrating = m->kind == MODEL_CALIBRATION && c->o->n_equal > 0 &&
                       c->equal[c->o->n_equal - 1] == 0;
    if (!calibrating && equal_steps(c, s, m, round, &se))
        return -1;
    if (search_steps(c, s, m, round, &se))
        return -1;
    msr_row(c, m, round, &se, 0);
    if (calibrating) {
        set_equal_rates(c, se.lo);
        struct search unused = se;
        if (equal_steps(c, s, m, round, &unused))
            return -1;
    }
    if (se.lo > 0 && !c->o->quick &&
        (rates_step(c, s, m, round, se.lo / 2, ROW_STEP_CAP50, &r) ||
         rates_step(c, s, m, round, se.lo * 0.8, ROW_STEP_CAP80, &r)))
        return -1;
    return 0;
}

int rates_search(struct run_ctx *c, struct sut *s, const struct model *m, int round,
                 double start, double *msr)
{
    struct search se;
    int from = c->n_rows;
    search_init(&se, start, c->o->search_precision);
    int rc = search_steps(c, s, m, round, &se);
    if (rc == 0 || !spawn_interrupted)
        msr_row(c, m, round, &se, from);
    *msr = se.lo;
    return rc;
}

/* Measures the step rows[i] once more; the new row takes its place, its
 * note saying what the first try found. With load hosts, each host's own
 * rows of both tries stay in results.csv (details of the merged point).
 * -1 when the server is gone for good or the run was interrupted. */
static int measure_again(struct run_ctx *c, struct sut *s, const struct model *m,
                         int round, int i)
{
    struct row old = c->rows[i], *r;
    char rate[32];
    int rc = rates_step(c, s, m, round, old.offered_rps, old.step, &r);
    util_format_rate(old.offered_rps, rate, sizeof rate);
    row_note(r, "measured again: the server sustained a rate and failed a lower one in "
             "this round; the first try at %s req/s %s (achieved %.0f req/s, p99 %.2f ms)",
             rate, row_sustained(&old) ? "was sustained" : "was not", old.achieved_rps,
             old.lat_p99_us / 1000);
    c->rows[i] = *r;
    c->n_rows--;
    return rc;
}

/* The round's msr row, when the step at its rate is no longer sustained
 * (measured again): the search's result is in doubt. */
static void msr_in_doubt(struct run_ctx *c, const struct model *m)
{
    for (int i = 0; i < c->n_rows; i++) {
        struct row *r = &c->rows[i];
        if (r->kind != ROW_KIND_MSR || strcmp(r->model, m->name) || r->offered_rps <= 0 ||
            step_sustained_at(c->rows, c->n_rows, m->name, r->offered_rps))
            continue;
        row_flag(r, ROW_FLAG_INCONSISTENT);
        row_note(r, "the step at this rate was not sustained when measured again");
    }
}

/* A server that sustained a rate and failed a lower one in this round
 * contradicts itself (stats.h): the highest such sustained step and the
 * lowest such failed one are measured again, and what still contradicts is
 * flagged inconsistent, so that no claim rests on it. */
static void check_consistency(struct run_ctx *c, struct sut *s, const struct model *m,
                              int round)
{
    size_t hi, lo;
    if (spawn_interrupted ||
        !stats_contradiction(c->rows, (size_t)c->n_rows, m->name, &hi, &lo))
        return;
    if (measure_again(c, s, m, round, (int)hi) == 0)
        measure_again(c, s, m, round, (int)lo);
    if (stats_mark_inconsistent(c->rows, (size_t)c->n_rows))
        fprintf(stderr, "harness: %s contradicted itself in round %d, also when measured "
                "again: its open-loop points are flagged inconsistent\n", m->name, round);
    msr_in_doubt(c, m);
}

int rates_measure(struct run_ctx *c, struct sut *s, const struct model *m, int round)
{
    struct row *r;
    int rc = 0;
    if (c->o->rates_mode == RATES_AUTO)
        rc = open_auto(c, s, m, round);
    else if (c->o->rates_mode == RATES_LIST)
        for (int i = 0; i < c->o->n_rates && !rc; i++)
            rc = rates_step(c, s, m, round, c->o->rates[i], ROW_STEP_RATE, &r);
    if (rc == 0) /* not with the server gone */
        check_consistency(c, s, m, round);
    return rc;
}
