/* The open-loop steps' decisions (see step_rules.h). */
#include "run/step_rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* A failed step says nothing about the server when loadgen itself was
 * saturated (its CPU, not only a late send: a lag with an idle loadgen is
 * the machine's noise, kept as a flag on the row). */
bool step_generator_limited(const struct row *r)
{
    return row_generator_limited(r); /* the rule the report's consistency check uses */
}

/* Not sustained with a late loadgen that was not busy: the machine may
 * have interfered (another process, the sampler, steal), not the server or
 * the generator's capacity. Such a step is measured once more. */
bool step_late_failure(const struct row *r)
{
    return r->status == ROW_STATUS_OK && !row_sustained(r) &&
           row_has_flag(r, ROW_FLAG_CLIENT_BOUND) && !step_generator_limited(r);
}

/* ... and the machine did interfere: steal or other processes over 5% of
 * the measured CPUs (measure_flags.c). */
bool step_noisy_failure(const struct row *r)
{
    return step_late_failure(r) && row_disturbed(r);
}

/* Whether a row's offered rate is the rate asked for: loadgen reports it
 * to a tenth of a request per second, the search's rates differ by 10%. */
static bool same_rate(double offered, double rate)
{
    return fabs(offered - rate) < 0.5;
}

double step_search_start(const struct row *rows, int n)
{
    double best = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].mode == ROW_MODE_CLOSED && rows[i].req_per_s > best)
            best = rows[i].req_per_s;
    return best > 0 ? best / 2 : 1000;
}

const struct row *step_noisy_bound(const struct row *rows, int n, const char *model,
                                   double hi)
{
    for (int i = n - 1; i >= 0 && hi > 0; i--) {
        const struct row *r = &rows[i];
        if (r->kind == ROW_KIND_LOAD && same_rate(r->offered_rps, hi) &&
            strcmp(r->model, model) == 0 && step_noisy_failure(r))
            return r;
    }
    return NULL;
}

void step_msr_row(struct row *r, const struct search *se, const struct row *at,
                  const struct row *noise)
{
    char lo[32], hi[32];
    r->kind = ROW_KIND_MSR;
    r->mode = ROW_MODE_OPEN;
    r->offered_rps = se->lo;
    if (at) { /* the figures of the highest sustained step */
        r->achieved_rps = at->achieved_rps;
        r->lat_p99_us = at->lat_p99_us;
        r->srv_cpu_us_per_req = at->srv_cpu_us_per_req;
        r->cli_cpu_us_per_req = at->cli_cpu_us_per_req;
        r->srv_cpu_pct = at->srv_cpu_pct;
        r->cli_cpu_pct = at->cli_cpu_pct;
        r->db_cpu_us_per_req = at->db_cpu_us_per_req;
        r->db_conns_peak = at->db_conns_peak;
        if (at->db_limit_rps > 0) /* the step's: from the connections counted there */
            r->db_limit_rps = at->db_limit_rps;
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

const struct row *step_sustained_at(const struct row *rows, int n, const char *model,
                                    double lo)
{
    for (int i = 0; i < n; i++)
        if (same_rate(rows[i].offered_rps, lo) && row_sustained(&rows[i]) &&
            rows[i].kind == ROW_KIND_LOAD && strcmp(rows[i].model, model) == 0)
            return &rows[i];
    return NULL;
}
