/* Run plan, time estimates and the progress line (see plan.h). */
#include "run/plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "options/workloads.h"

static double level_s(int warmup_s, int duration_s)
{
    return warmup_s + duration_s + PLAN_LEVEL_OVERHEAD_S;
}

static double open_step_s(double warmup_s, double duration_s)
{
    return warmup_s + duration_s + PLAN_OPEN_OVERHEAD_S;
}

/* Open-loop steps per model and round: the listed rates, or for auto the
 * equal-load rates, a typical search, and 50% and 80% of the MSR. */
static int open_steps(enum opts_rates mode, int n_rates, int n_equal, bool quick)
{
    return mode == RATES_LIST ? n_rates :
           mode == RATES_AUTO ? n_equal + (quick ? PLAN_QUICK_SEARCH_STEPS
                                                 : PLAN_SEARCH_STEPS + 2) : 0;
}

static double estimate(int n_models, int rounds, double per_round, bool memory)
{
    return n_models * (rounds * (per_round + PLAN_MODEL_OVERHEAD_S) +
                       (memory ? PLAN_MEMORY_S : 0));
}

double plan_estimate_default(int n_models, bool quick)
{
    int conns[OPTS_MAX_LIST];
    struct opts_load equal[OPTS_MAX_LIST];
    int n = opts_parse_list(quick ? OPTS_QUICK_CONNS : OPTS_DEFAULT_CONNS, conns,
                            OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    int n_equal = opts_parse_loads(OPTS_DEFAULT_EQUAL_LOAD, equal, OPTS_MAX_LIST);
    double level = quick ? level_s(OPTS_QUICK_WARMUP_S, OPTS_QUICK_DURATION_S)
                         : level_s(OPTS_DEFAULT_WARMUP_S, OPTS_DEFAULT_DURATION_S);
    double step = quick ? open_step_s(OPTS_QUICK_RATE_WARMUP_S, OPTS_QUICK_RATE_DURATION_S)
                        : open_step_s(OPTS_RATE_WARMUP_S, OPTS_DEFAULT_RATE_DURATION_S);
    return estimate(n_models, 1,
                    n * level + open_steps(RATES_AUTO, 0, n_equal, quick) * step, true);
}

void plan_build(struct plan *p, const struct opts *o,
                const struct model *const *models, int n_models)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < n_models && i < PLAN_MAX_MODELS; i++)
        p->models[p->n_models++] = models[i];
    int n_idle = o->n_idle ? o->n_idle : 1;
    for (int c = 0; c < o->n_conns; c++)
        for (int i = 0; i < n_idle; i++)
            p->levels[p->n_levels++] = (struct plan_level){
                o->conns[c], o->n_idle ? o->idle[i] : 0};
    p->rounds = o->repeat;
    p->memory_idle = o->memory_idle;
    /* queries: a search of its own at each further q (workloads/db_steps.c),
     * without equal-load steps to start from */
    int searches = o->rates_mode == RATES_AUTO && o->workload &&
                   !strcmp(o->workload->name, "queries") ? o->n_db_queries - 1 : 0;
    p->open_steps = open_steps(o->rates_mode, o->n_rates, o->n_equal, o->quick) +
                    o->n_slow + searches * (o->quick ? PLAN_QUICK_SEARCH_STEPS + 1
                                                     : PLAN_SEARCH_STEPS);
    p->steps = p->n_models * (p->rounds * (p->n_levels + p->open_steps) +
                              (p->memory_idle > 0));
    p->est_level_s = level_s(o->warmup_s, o->duration_s);
    p->est_open_step_s = open_step_s(o->rate_warmup_s, o->rate_duration_s);
    /* Slow-client steps last until each client has sent a few requests. */
    double per_conn = o->quick || o->slow_rate <= 0 ? 0 : 1 / o->slow_rate;
    double slow_s = open_step_s(fmax(o->rate_warmup_s, OPTS_SLOW_REQS_WARMUP * per_conn),
                                fmax(o->rate_duration_s, OPTS_SLOW_REQS_WINDOW * per_conn));
    p->est_total_s = estimate(p->n_models, p->rounds,
                              p->n_levels * p->est_level_s +
                                  (p->open_steps - o->n_slow) * p->est_open_step_s +
                                  o->n_slow * slow_s,
                              p->memory_idle > 0);
}

const struct model *plan_model(const struct plan *p, int round, int i)
{
    return p->models[(i + round) % p->n_models];
}

void progress_start(struct progress *pr, const struct plan *p)
{
    memset(pr, 0, sizeof *pr);
    pr->total = p->steps;
    pr->start = util_now();
    pr->est_total = p->est_total_s;
    pr->tty = isatty(STDOUT_FILENO);
}

static void describe(const struct row *r, char *out, size_t outlen)
{
    char rate[32];
    if (r->status != ROW_STATUS_OK && r->requests <= 0) {
        snprintf(out, outlen, "%s", row_status_name(r->status));
        return;
    }
    if (r->kind == ROW_KIND_MEMORY) {
        snprintf(out, outlen, "%.1f KiB per idle connection",
                 r->mem_per_idle_b / 1024.0);
        return;
    }
    /* The findings that change how the numbers read; the rest is in the
     * report. */
    static const enum row_flag marks[] = {ROW_FLAG_STARVED, ROW_FLAG_REFUSED,
                                          ROW_FLAG_COUNT_MISMATCH, ROW_FLAG_RESTARTED};
    char flags[64] = "";
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *name = row_flag_name(marks[i]);
        if (row_has_flag(r, marks[i]) && strlen(flags) + strlen(name) + 2 < sizeof flags)
            strcat(strcat(flags, " "), name);
    }
    util_format_rate(r->req_per_s, rate, sizeof rate);
    if (r->mode == ROW_MODE_OPEN)
        snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%s%s",
                 row_sustained(r) ? " sustained" : "",
                 row_has_flag(r, ROW_FLAG_CLIENT_BOUND) ? " client-bound" : "");
    snprintf(out, outlen, "%7s req/s  p99 %8.2f ms%s%s%s", rate, r->lat_p99_us / 1000.0,
             r->status != ROW_STATUS_OK ? "  " : "",
             r->status != ROW_STATUS_OK ? row_status_name(r->status) : "", flags);
}

void progress_step(struct progress *pr, const struct row *r, double est_s)
{
    char level[48], result[160], elapsed[16], left[16];
    double spent = util_now() - pr->start;
    pr->done++;
    pr->est_done += est_s;
    if (pr->done > pr->total) /* the plan's count is an estimate: searches vary */
        pr->total = pr->done;
    if (pr->est_done > pr->est_total)
        pr->est_total = pr->est_done;
    /* Scale what is left by how the finished steps compared. */
    double scale = pr->est_done > 0 ? spent / pr->est_done : 1;
    double remaining = (pr->est_total - pr->est_done) * (scale > 0.5 ? scale : 0.5);
    char rate[32];
    util_format_rate(r->offered_rps, rate, sizeof rate);
    if (r->kind == ROW_KIND_MEMORY)
        snprintf(level, sizeof level, "idle=%.0f", r->idle);
    else if (r->mode == ROW_MODE_OPEN)
        snprintf(level, sizeof level, "%s %s/s", row_step_name(r->step), rate);
    else if (r->idle > 0)
        snprintf(level, sizeof level, "c=%.0f idle=%.0f", r->conns, r->idle);
    else
        snprintf(level, sizeof level, "c=%.0f", r->conns);
    describe(r, result, sizeof result);
    util_format_duration(spent, elapsed, sizeof elapsed);
    util_format_duration(remaining > 0 ? remaining : 0, left, sizeof left);
    printf("[%3d/%d] %-12s %-16s %-36s  elapsed %s, left ~%s\n", pr->done, pr->total,
           r->model, level, result, elapsed, left);
    fflush(stdout);
}

/* With --rates auto and equal-load rates in %, the calibration server is
 * measured first (added if it was not asked for): its sustainable rate
 * fixes the equal-load rates of every other server. Returns the count. */
int plan_order_models(const struct opts *o, const struct model *const *in, int n,
                      const struct model **out, bool *added)
{
    const struct model *cal = NULL;
    bool pct = false;
    for (int i = 0; i < o->n_equal; i++)
        pct |= o->equal[i].pct;
    for (int i = 0; i < models_count(); i++)
        if (models_get(i)->kind == MODEL_CALIBRATION)
            cal = models_get(i);
    *added = false;
    if (o->rates_mode != RATES_AUTO || !pct || !cal) {
        memcpy(out, in, (size_t)n * sizeof *out);
        return n;
    }
    int k = 0;
    out[k++] = cal;
    *added = true;
    for (int i = 0; i < n && k < PLAN_MAX_MODELS; i++)
        if (in[i] != cal)
            out[k++] = in[i];
        else
            *added = false;
    return k;
}
