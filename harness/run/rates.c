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
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hosts/hosts.h"
#include "run/run_ctx.h"
#include "run/search.h"
#include "base/spawn.h"
#include "base/util.h"

/* A failed step says nothing about the server when loadgen itself was
 * saturated (its CPU, not only a late send: a lag with an idle loadgen is
 * the machine's noise, kept as a flag on the row). */
static bool generator_limited(const struct row *r)
{
    return row_has_flag(r, ROW_FLAG_CLIENT_BOUND) &&
           r->cli_cpu_pct >= CLIENT_BUSY_FRACTION * 100.0 * (r->threads > 0 ? r->threads : 1);
}

/* Not sustained with a late loadgen that was not busy: the machine may
 * have interfered (another process, the sampler, steal), not the server or
 * the generator's capacity. Such a step is measured once more. */
static bool late_failure(const struct row *r)
{
    return r->status == ROW_STATUS_OK && !row_sustained(r) &&
           row_has_flag(r, ROW_FLAG_CLIENT_BOUND) && !generator_limited(r);
}

/* ... and the machine did interfere: steal or other processes over 5% of
 * the measured CPUs (measure_flags.c). */
static bool noisy_failure(const struct row *r)
{
    return late_failure(r) && row_disturbed(r);
}

/* Whether a row's offered rate is the rate asked for: loadgen reports it
 * to a tenth of a request per second, the search's rates differ by 10%. */
static bool same_rate(double offered, double rate)
{
    return fabs(offered - rate) < 0.5;
}

/* One open-loop step (run_ctx.h). */
int rates_step(struct run_ctx *c, struct sut *s, const struct model *m, int round,
               double rate, enum row_step step, struct row **out)
{
    char why[512], first[256];
    enum row_status status;
    struct row *r = run_new_row(c, m, round);
    measure_open(s, &c->cfg, rate, step, r);
    if (late_failure(r) && !spawn_interrupted) {
        snprintf(first, sizeof first, "measured twice: the first try had a send lag "
                 "p99 of %.0f us with loadgen at %.0f%% CPU", r->lag_p99_us, r->cli_cpu_pct);
        c->n_rows--; /* replaced, with the load hosts' own rows of it */
        if (c->cfg.hosts)
            hosts_unrecord(c->cfg.hosts);
        r = run_new_row(c, m, round);
        measure_open(s, &c->cfg, rate, step, r);
        row_note(r, "%s", first);
    }
    progress_step(&c->progress, r, c->plan.est_open_step_s);
    *out = r;
    if (spawn_interrupted)
        return -1;
    return run_restart(c, s, m, r, why, sizeof why, &status);
}

/* The step that failed at the search's upper bound, when its failure was
 * the machine's noise both times it was measured (noisy_failure): then the
 * rate found is a lower bound, not the server's limit. */
static const struct row *noisy_bound(const struct run_ctx *c, const struct model *m,
                                     double hi)
{
    for (int i = c->n_rows - 1; i >= 0 && hi > 0; i--) {
        const struct row *r = &c->rows[i];
        if (r->kind == ROW_KIND_LOAD && same_rate(r->offered_rps, hi) &&
            strcmp(r->model, m->name) == 0 && noisy_failure(r))
            return r;
    }
    return NULL;
}

/* The kind=msr row: what the search found. */
static void msr_row(struct run_ctx *c, const struct model *m, int round,
                    const struct search *se, const struct row *at)
{
    const struct row *noise = noisy_bound(c, m, se->hi);
    struct row *r = run_new_row(c, m, round);
    char lo[32], hi[32];
    r->kind = ROW_KIND_MSR;
    r->mode = ROW_MODE_OPEN;
    r->conns = c->o->rate_conns;
    r->offered_rps = se->lo;
    if (at) { /* the figures of the highest sustained step */
        r->achieved_rps = at->achieved_rps;
        r->lat_p99_us = at->lat_p99_us;
        r->srv_cpu_us_per_req = at->srv_cpu_us_per_req;
        r->srv_cpu_pct = at->srv_cpu_pct;
        r->cli_cpu_pct = at->cli_cpu_pct;
    }
    util_format_rate(se->lo, lo, sizeof lo);
    util_format_rate(se->hi, hi, sizeof hi);
    if (se->lo == 0) {
        row_flag(r, ROW_FLAG_NONE_SUSTAINED);
        row_note(r, "no rate down to %s req/s was sustained", hi);
    } else if (se->hi == 0)
        row_note(r, "sustained %s req/s; the search ended there", lo);
    else
        row_note(r, "sustained %s req/s, not %s req/s", lo, hi);
    if (se->limited && se->lo > 0) {
        row_flag(r, ROW_FLAG_LOWER_BOUND);
        row_flag(r, ROW_FLAG_CLIENT_BOUND);
        row_note(r, "the search stopped at loadgen's own limit: the server may "
                 "sustain more");
    } else if (noise && se->lo > 0) {
        row_flag(r, ROW_FLAG_LOWER_BOUND);
        row_flag(r, ROW_FLAG_NOISY);
        row_note(r, "%s req/s failed twice with loadgen late but not busy, steal %.0f%% "
                 "and other processes %.0f%% of the CPUs: the machine's noise, not the "
                 "server; a lower bound, repeat the run", hi,
                 noise->steal_pct > 0 ? noise->steal_pct : 0,
                 noise->other_pct > 0 ? noise->other_pct : 0);
    }
}

/* The highest sustained step at rate lo among this round's rows. */
static const struct row *sustained_at(const struct run_ctx *c, const struct model *m,
                                      double lo)
{
    for (int i = 0; i < c->n_rows; i++)
        if (same_rate(c->rows[i].offered_rps, lo) && row_sustained(&c->rows[i]) &&
            c->rows[i].kind == ROW_KIND_LOAD && strcmp(c->rows[i].model, m->name) == 0)
            return &c->rows[i];
    return NULL;
}

static int search_steps(struct run_ctx *c, struct sut *s, const struct model *m,
                        int round, struct search *se)
{
    for (double rate; (rate = search_next(se)) > 0 && !spawn_interrupted;) {
        struct row *r;
        int rc = rates_step(c, s, m, round, rate, ROW_STEP_SEARCH, &r);
        search_record(se, rate, row_sustained(r), generator_limited(r));
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
                      generator_limited(r));
        if (rc)
            return -1;
    }
    return 0;
}

/* The calibration server's MSR fixes the equal-load rates given in %. */
static void set_equal_rates(struct run_ctx *c, const struct model *m, double msr)
{
    bool from_msr = m->kind == MODEL_CALIBRATION && msr > 0;
    for (int i = 0; i < c->o->n_equal; i++)
        if (!c->o->equal[i].pct)
            c->equal[i] = c->o->equal[i].value;
        else if (from_msr && c->equal[i] == 0)
            c->equal[i] = msr * c->o->equal[i].value / 100;
}

/* Where a search starts without equal-load steps: half of the best
 * closed-loop throughput of this round, or 1000 req/s. */
static double search_start(const struct run_ctx *c)
{
    double best = 0;
    for (int i = 0; i < c->n_rows; i++)
        if (c->rows[i].mode == ROW_MODE_CLOSED && c->rows[i].req_per_s > best)
            best = c->rows[i].req_per_s;
    return best > 0 ? best / 2 : 1000;
}

/* --rates auto: equal load, the MSR search, 50% and 80% of the MSR. */
static void open_auto(struct run_ctx *c, struct sut *s, const struct model *m,
                      int round)
{
    struct search se;
    struct row *r;
    search_init(&se, search_start(c), c->o->search_precision);
    set_equal_rates(c, m, 0);
    bool calibrating = m->kind == MODEL_CALIBRATION && c->o->n_equal > 0 &&
                       c->equal[c->o->n_equal - 1] == 0;
    if (!calibrating && equal_steps(c, s, m, round, &se))
        return;
    if (search_steps(c, s, m, round, &se))
        return;
    msr_row(c, m, round, &se, sustained_at(c, m, se.lo));
    if (calibrating) {
        set_equal_rates(c, m, se.lo);
        struct search unused = se;
        if (equal_steps(c, s, m, round, &unused))
            return;
    }
    if (se.lo > 0 && !c->o->quick &&
        (rates_step(c, s, m, round, se.lo / 2, ROW_STEP_CAP50, &r) ||
                      rates_step(c, s, m, round, se.lo * 0.8, ROW_STEP_CAP80, &r)))
        return;
}

void rates_measure(struct run_ctx *c, struct sut *s, const struct model *m,
                          int round)
{
    struct row *r;
    if (c->o->rates_mode == RATES_AUTO)
        open_auto(c, s, m, round);
    else if (c->o->rates_mode == RATES_LIST)
        for (int i = 0; i < c->o->n_rates; i++)
            if (rates_step(c, s, m, round, c->o->rates[i], ROW_STEP_RATE, &r))
                return;
}

