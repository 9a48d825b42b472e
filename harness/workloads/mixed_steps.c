/* The mixed workload's baseline (its steps hook): after the open loop, one
 * open-loop step per equal-load rate (those every model gets, --equal-load)
 * with the URL list of the mix's cheap requests alone (mixed.c), offered at
 * the cheap share of that rate (rate x --mix's cheap % / 100), step
 * "alone" in results.csv: the cheap requests arrive exactly as often as in
 * the mix, only without the expensive ones, so that the report can set the
 * cheap p99 in the mix against the same requests' p99 alone (issue 22).
 * These rows are a baseline, never an equal-load or MSR figure: the
 * verdict, the headline, the plots and the consistency check leave them
 * out. With --rates LIST or none there are no equal-load rates, and no
 * alone steps. */
#include <stdio.h>

#include "run/run_ctx.h"
#include "base/spawn.h"
#include "workloads/workloads.h"

/* The cheap share of the i-th equal-load rate (c->equal, 0 while not
 * known), req/s. */
static double alone_rate(const struct run_ctx *c, int i)
{
    /* the list's own share (pre-drawn: 93-97% for 95/5), so that the cheap
     * requests come exactly as often as in the mix */
    return c->equal[i] * (c->wl.cheap_share > 0 ? c->wl.cheap_share
                                                : c->o->mix_cheap_pct / 100.0);
}

static bool has_steps(const struct run_ctx *c)
{
    return c->o->rates_mode == RATES_AUTO && c->wl.urls_alone;
}

int mixed_alone_count(const struct opts *o)
{
    return o->rates_mode == RATES_AUTO ? o->n_equal : 0;
}

void mixed_alone_not_measured(struct run_ctx *c, const struct model *m, int round,
                              enum row_status status, const char *why)
{
    for (int i = 0; has_steps(c) && i < c->o->n_equal; i++) {
        if (c->equal[i] <= 0) /* no rate to name: the msr row says why */
            continue;
        struct row *r = run_new_row(c, m, round);
        r->mode = ROW_MODE_OPEN;
        r->step = ROW_STEP_ALONE;
        r->conns = c->o->rate_conns;
        r->offered_rps = alone_rate(c, i);
        r->status = status;
        row_note(r, "%s", why);
        progress_step(&c->progress, r, 0);
    }
}

void mixed_alone_steps(struct run_ctx *c, struct sut *s, const struct model *m, int round)
{
    if (!has_steps(c))
        return;
    struct measure_cfg saved = c->cfg;
    c->cfg.urls = c->wl.urls_alone;
    for (int i = 0; i < c->o->n_equal && !spawn_interrupted; i++) {
        struct row *r;
        if (c->equal[i] <= 0) /* the calibration server found no rate */
            continue;
        if (rates_step(c, s, m, round, alone_rate(c, i), ROW_STEP_ALONE, &r))
            break;
    }
    c->cfg = saved;
}
