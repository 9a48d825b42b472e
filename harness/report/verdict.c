/* The answer first: a few generated sentences at the top of the report
 * (see report.h), from the points alone, and only what they prove.
 *
 * In this order: what is fair on any machine, server CPU per request at
 * each equal offered load; then the maximum sustainable rate, where a best
 * model is named only if its rate is at least every other model's lower
 * bound (loadgen's limit or the machine's noise came first for those),
 * else the bounded models are named as such and only the others ranked;
 * last the closed loop (requests per server CPU-second), where wrk decides
 * the utilisation: a model above the calibration server (which parses
 * nothing, so no model does less work per request) is reported as busier,
 * never as cheaper. Only the models compete (blocking, event-driven,
 * hybrid); a point that starved, had errors, failed, did not sustain its
 * load or is inconsistent (stats.h) is not ranked, and says so. A claim
 * needs the rounds: models whose rounds overlap the best's tie with it
 * (judge.h); with one round, models within VERDICT_MARGIN of the best tie,
 * and the first line says that. */
#include "report/verdict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "report/verdict_int.h"

/* Every closed-loop level measured (no idle connections), ascending. */
static int closed_levels(const struct report *r, int *levels, int max)
{
    int n = 0;
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        bool dup = m->kind != ROW_KIND_LOAD || m->mode != ROW_MODE_CLOSED || m->idle > 0 ||
                   n == max;
        for (int k = 0; k < n && !dup; k++)
            dup = levels[k] == (int)m->conns;
        if (!dup)
            levels[n++] = (int)m->conns;
    }
    qsort(levels, (size_t)n, sizeof *levels, util_cmp_int);
    return n;
}

/* Low, medium and high: the lowest level, the one nearest the geometric
 * middle, the highest. */
static void closed_answers(struct report *r)
{
    int lv[64], n = closed_levels(r, lv, 64);
    char label[192];
    if (n == 0) {
        verdict_say(r, "Closed loop: no level was measured in this run.");
        return;
    }
    if (n == 1) {
        snprintf(label, sizeof label, "At c=%d (the only closed-loop level)", lv[0]);
        verdict_answer(r, Q_CLOSED, lv[0], label, "");
        return;
    }
    int mid = -1;
    double centre = (log2(lv[0]) + log2(lv[n - 1])) / 2, best = 1e9;
    for (int i = 1; i + 1 < n; i++)
        if (fabs(log2(lv[i]) - centre) < best) {
            best = fabs(log2(lv[i]) - centre);
            mid = i;
        }
    int pick[3] = {0, mid, n - 1};
    const char *names[3] = {"Low", "Medium", "High"};
    for (int k = 0; k < 3; k++) {
        if (pick[k] < 0)
            continue;
        snprintf(label, sizeof label, "%s concurrency (c=%d, closed loop)", names[k],
                 lv[pick[k]]);
        verdict_answer(r, Q_CLOSED, lv[pick[k]], label, "");
    }
}

static void open_answers(struct report *r)
{
    char label[192];
    if (!r->open) {
        verdict_say(r, "Open loop: not in this run (--rates none).");
        return;
    }
    for (int e = 0; e < r->n_equal && verdict_mixed(r); e++) {
        char rate[32];
        util_format_rate(r->equal[e], rate, sizeof rate);
        snprintf(label, sizeof label, "The figure of merit of the mixed workload, the cheap "
                 "requests' p99 behind the expensive ones at %s req/s offered", rate);
        verdict_answer(r, Q_CHEAP, r->equal[e], label, "");
    }
    for (int e = 0; e < r->n_equal; e++) {
        char rate[32];
        util_format_rate(r->equal[e], rate, sizeof rate);
        snprintf(label, sizeof label, "Equal load, %s req/s offered (open loop)", rate);
        verdict_answer(r, Q_EQUAL, r->equal[e], label, "");
    }
    verdict_msr(r);
}

/* Models with no usable point at all: skipped or failed throughout. */
static void not_measured(struct report *r)
{
    char list[900] = "";
    for (int i = 0; i < r->n_head; i++) {
        const char *model = r->head[i].model, *why = "";
        if (verdict_measured(r, model))
            continue;
        for (size_t k = 0; k < r->points.n && !why[0]; k++) {
            const struct row *m = &r->points.v[k].med;
            if (strcmp(m->model, model) == 0)
                why = m->note[0] ? m->note : row_status_name(m->status);
        }
        char text[200];
        snprintf(text, sizeof text, "%s (%s: %.80s%s)", model, report_status(&r->head[i]),
                 why, strlen(why) > 80 ? "..." : "");
        verdict_append(list, sizeof list, "; ", text);
    }
    if (list[0])
        verdict_say(r, "Not measured: %s.", list);
}

/* Models with fewer rounds or closed-loop levels than meta.txt planned: a
 * run stopped early (Ctrl-C) still gets a report. */
static void partial(struct report *r)
{
    char repeat[32], conns[256], list[512] = "";
    report_meta(r, "repeat", repeat, sizeof repeat);
    report_meta(r, "conns", conns, sizeof conns);
    int rounds = atoi(repeat), lv[64], n = 0;
    for (char *save = NULL, *t = strtok_r(conns, ",", &save); t && n < 64;
         t = strtok_r(NULL, ",", &save))
        if (atoi(t) > 0)
            lv[n++] = atoi(t);
    for (int i = 0; i < r->n_head; i++) {
        const char *model = r->head[i].model;
        int seen = 0, levels = 0;
        for (size_t k = 0; k < r->points.n; k++)
            if (strcmp(r->points.v[k].med.model, model) == 0 &&
                r->points.v[k].rounds > seen)
                seen = r->points.v[k].rounds;
        for (int l = 0; l < n; l++)
            levels += stats_find(&r->points, model, lv[l]) != NULL;
        if (seen < rounds || (r->head[i].status != ROW_STATUS_SKIPPED && levels < n))
            verdict_append(list, sizeof list, ", ", model);
    }
    if (list[0])
        verdict_say(r, "Partial run: %s lack some of the planned rounds or levels (the run "
            "stopped early?); what was measured is used.", list);
}

static void intro(struct report *r)
{
    char noise[160] = "";
    int noisy = r->warn_kinds[WARN_NOISE].count;
    int rounds = 0;
    for (size_t i = 0; i < r->points.n; i++)
        rounds = r->points.v[i].rounds > rounds ? r->points.v[i].rounds : rounds;
    if (noisy)
        snprintf(noise, sizeof noise, " Other processes or steal took over 5%% of the "
                 "measured CPUs at %d point%s (warnings: noise).", noisy, noisy > 1 ? "s" : "");
    verdict_say(r, "%s%s%s First what is fair on any machine, server CPU per request at equal "
        "offered load; then the maximum sustainable rates; last the closed loop, whose "
        "utilisation wrk decides (requests per server CPU-second; on a small machine not a "
        "ranking to trust). Only the models compete; the calibration server (a fixed answer, "
        "parsing nothing) and the references give the scale.%s",
        !r->run.quick ? "" : "A --quick run (short levels and steps): a smoke "
        "test more than a measurement. ",
        rounds > 1 ? "Medians over the rounds; models whose rounds overlap tie." :
        "One round: differences under 10% are not claimed (those models tie); "
        "--repeat 3 gives claims.", noise, r->warn_kinds[WARN_INCONSISTENT].count ?
        " Some servers contradicted themselves (sustained a rate, failed a lower one): "
        "those points are left out of every claim (warnings: inconsistent)." : "");
}

void verdict_build(struct report *r)
{
    r->n_verdict = 0;
    intro(r);
    open_answers(r);
    closed_answers(r);
    not_measured(r);
    partial(r);
}
