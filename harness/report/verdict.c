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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "results/judge.h"
#include "base/models.h"
#include "options/opts.h"
#include "base/util.h"

#define VERDICT_MARGIN 0.10

enum question { Q_CLOSED, Q_EQUAL, Q_MSR };

struct cand {
    const char *model;
    struct judge_figure f;
};

static void say(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct report *r, const char *fmt, ...)
{
    va_list ap;
    if (r->n_verdict == REPORT_VERDICT_LINES)
        return;
    va_start(ap, fmt);
    vsnprintf(r->verdict[r->n_verdict++], sizeof r->verdict[0], fmt, ap);
    va_end(ap);
}

static void append(char *out, size_t outlen, const char *sep, const char *text)
{
    size_t n = strlen(out);
    if (n < outlen)
        snprintf(out + n, outlen - n, "%s%s", n ? sep : "", text);
}

static bool is_model(const char *category)
{
    return model_category_rank(category) < 3;
}

static bool good(const struct stats_point *p)
{
    return p && p->ok_rounds > 0 && p->med.requests > 0;
}

/* A step not sustained while loadgen sent late on a CPU that steal or other
 * processes took: what failed may be the machine, not the server. */
static bool late_in_noise(const struct row *r)
{
    return row_has_flag(r, ROW_FLAG_CLIENT_BOUND) && row_disturbed(r);
}

/* A model's figure for a question, or rounds = 0 with why it has none
 * (NULL: not measured there). */
static struct judge_figure figure_of(const struct report *r, const char *model,
                                     enum question q, double param, const char **why)
{
    struct judge_figure none = {-1, -1, -1, 0};
    const struct stats_point *p;
    *why = NULL;
    if (q == Q_CLOSED) {
        p = stats_find(&r->points, model, (int)param);
        if (p && !good(p))
            *why = p->med.status != ROW_STATUS_OK ? row_status_name(p->med.status)
                                                  : "no response";
        else if (p && row_has_flag(&p->med, ROW_FLAG_STARVED))
            *why = "starved";
        else if (p && (row_errors(&p->med) > 0 || row_has_flag(&p->med, ROW_FLAG_REFUSED)))
            *why = "errors";
        return p && !*why ? judge_eff(p) : none;
    }
    if (q == Q_EQUAL) {
        p = stats_find_open(&r->points, model, ROW_KIND_LOAD, ROW_STEP_EQUAL, param);
        if (p && row_has_flag(&p->med, ROW_FLAG_INCONSISTENT))
            *why = "inconsistent";
        else if (p && !(good(p) && row_sustained(&p->med)))
            *why = p->med.status != ROW_STATUS_OK ? row_status_name(p->med.status)
                   : late_in_noise(&p->med) ? "not sustained; loadgen late amid noise"
                                            : "not sustained";
        return p && !*why ? judge_cpu(p) : none;
    }
    p = stats_find_open(&r->points, model, ROW_KIND_MSR, ROW_STEP_NONE, -1);
    if (p && row_has_flag(&p->med, ROW_FLAG_INCONSISTENT))
        *why = "inconsistent";
    else if (p && (p->ok_rounds == 0 || p->med.offered_rps <= 0))
        *why = p->ok_rounds ? "none sustained" : row_status_name(p->med.status);
    else if (p && row_has_flag(&p->med, ROW_FLAG_LOWER_BOUND))
        *why = "a lower bound";
    return p && !*why ? judge_msr(p) : none;
}

static void format_value(enum question q, double v, char *out, size_t outlen)
{
    if (q == Q_EQUAL)
        snprintf(out, outlen, "%.1f µs", v);
    else
        util_format_rate(v, out, outlen);
}

/* ", 0.64x the calibration server's 99.2k, 1.82x nginx's 34.6k" */
static void versus(const struct report *r, enum question q, double param, double v,
                   bool calibration, char *out, size_t outlen)
{
    out[0] = '\0';
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        const char *why;
        if (is_model(h->category) ||
            (!calibration && strcmp(h->category, "calibration") == 0))
            continue;
        struct judge_figure f = figure_of(r, h->model, q, param, &why);
        const struct stats_point *msr =
            stats_find_open(&r->points, h->model, ROW_KIND_MSR, ROW_STEP_NONE, -1);
        bool bound = q == Q_MSR && why && strcmp(why, "a lower bound") == 0;
        if (bound) /* the calibration's MSR is often loadgen's limit: say so */
            f = judge_msr(msr);
        if (f.rounds == 0 || f.med <= 0)
            continue;
        char val[32], text[160];
        format_value(q, f.med, val, sizeof val);
        snprintf(text, sizeof text, ", %.2fx %s%s's %s%s", v / f.med,
                 strcmp(h->category, "calibration") ? "" : "the ",
                 strcmp(h->category, "calibration") ? h->model : "calibration server",
                 bound ? ">= " : "", val);
        append(out, outlen, "", text);
    }
}

static int better_first;   /* 1: higher is better; -1: lower (qsort has no context) */

static int cand_order(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->f.med != y->f.med)
        return (x->f.med < y->f.med ? 1 : -1) * better_first;
    return strcmp(x->model, y->model);
}

/* With one round: within margin of the best. A sustainable rate is only
 * known to the search's precision (a factor 2 in a --quick run, which
 * only doubles), so that is its margin. */
static bool tied(const struct judge_figure *best, const struct judge_figure *o,
                 enum question q, double margin)
{
    enum judge j = judge_rounds(best, o);
    if (j != JUDGE_ONE_ROUND)
        return j == JUDGE_OVERLAP;
    return q == Q_EQUAL ? o->med <= best->med * (1 + margin)
                        : o->med * (1 + margin) >= best->med;
}

static double margin_of(const struct report *r, enum question q)
{
    if (q != Q_MSR)
        return VERDICT_MARGIN;
    return r->run.quick ? OPTS_QUICK_SEARCH_PRECISION : OPTS_SEARCH_PRECISION;
}

/* A model with at least one usable point: the others are listed once, as
 * not measured, rather than as unranked at every question. */
static bool measured(const struct report *r, const char *model)
{
    for (size_t k = 0; k < r->points.n; k++)
        if (strcmp(r->points.v[k].med.model, model) == 0 && r->points.v[k].ok_rounds > 0)
            return true;
    return false;
}

/* The models' figures for q, best first; the unranked ones listed. */
static int candidates(const struct report *r, enum question q, double param,
                      struct cand *c, char *unranked, size_t ulen)
{
    int n = 0;
    unranked[0] = '\0';
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        const char *why;
        if (!is_model(h->category))
            continue;
        struct judge_figure f = figure_of(r, h->model, q, param, &why);
        if (f.rounds > 0) {
            c[n].model = h->model;
            c[n++].f = f;
        } else if (why && (q != Q_MSR || strcmp(why, "a lower bound")) &&
                   measured(r, h->model)) {
            char text[96];
            snprintf(text, sizeof text, "%s (%s)", h->model, why);
            append(unranked, ulen, ", ", text);
        }
    }
    better_first = q == Q_EQUAL ? -1 : 1;
    qsort(c, (size_t)n, sizeof *c, cand_order);
    return n;
}

static const char *const verbs[] = {
    [Q_CLOSED] = "serves the most requests per server CPU-second",
    [Q_EQUAL] = "needs the least server CPU per request",
    [Q_MSR] = "sustains the highest rate",
};

/* " a, b tie with it (their rounds overlap)." for the models of c[1..n)
 * that tie with c[0], or "". */
static void ties_of(const struct report *r, enum question q, const struct cand *c, int n,
                    char *out, size_t outlen)
{
    char ties[512] = "", why[64];
    int n_ties = 0;
    bool by_margin = false;
    double margin = margin_of(r, q);
    out[0] = '\0';
    for (int i = 1; i < n; i++)
        if (tied(&c[0].f, &c[i].f, q, margin)) {
            append(ties, sizeof ties, ", ", c[i].model);
            by_margin |= judge_rounds(&c[0].f, &c[i].f) == JUDGE_ONE_ROUND;
            n_ties++;
        }
    if (!by_margin)
        snprintf(why, sizeof why, "their rounds overlap");
    else if (margin >= 1) /* a --quick search only doubles */
        snprintf(why, sizeof why, "within the search's factor %.0f, one round", 1 + margin);
    else
        snprintf(why, sizeof why, "within %.0f%%, one round", margin * 100);
    if (n_ties)
        snprintf(out, outlen, " %s tie%s with it (%s).", ties, n_ties == 1 ? "s" : "", why);
}

/* The calibration server's figure for q, or rounds = 0. */
static struct judge_figure calibration_of(const struct report *r, enum question q,
                                          double param)
{
    struct judge_figure none = {-1, -1, -1, 0};
    const char *why;
    for (int i = 0; i < r->n_head; i++)
        if (strcmp(r->head[i].category, "calibration") == 0)
            return figure_of(r, r->head[i].model, q, param, &why);
    return none;
}

/* A model "better" than the calibration server, which parses nothing: in
 * the closed loop that is utilisation (wrk kept it busier, more requests
 * per wake-up), at equal load the machine's noise; never a win. */
static bool beats_calibration(const struct report *r, enum question q, double param,
                              double v, char *out, size_t outlen)
{
    struct judge_figure cal = calibration_of(r, q, param);
    char cv[32];
    if (q == Q_MSR || cal.rounds == 0 || (q == Q_CLOSED ? v <= cal.med : v >= cal.med))
        return false;
    format_value(q, cal.med, cv, sizeof cv);
    snprintf(out, outlen, q == Q_CLOSED ? ", above the calibration server's %s: "
             "utilisation, not efficiency (the calibration server parses nothing, so no "
             "model does less work per request; wrk kept this one busier, with more "
             "requests per wake-up: equal load above says what a request costs)" :
             ", below the calibration server's %s, which parses nothing: the machine's "
             "noise (repeat the run), not a cheaper server", cv);
    return true;
}

/* One sentence: label: best, its figure, how far from the calibration
 * server and the references, who ties with it, who is not ranked. */
static void answer(struct report *r, enum question q, double param, const char *label,
                   const char *extra)
{
    struct cand c[REPORT_MAX_MODELS];
    char unranked[1024], val[32], vs[512], cal[400] = "", tail[1100] = "", tie[640];
    int n = candidates(r, q, param, c, unranked, sizeof unranked);
    if (unranked[0])
        snprintf(tail, sizeof tail, " Not ranked: %s.", unranked);
    if (n == 0) {
        say(r, "%s: no model %s.%s%s", label, q == Q_CLOSED ? "served it without "
            "starving or errors" : q == Q_EQUAL ? "sustained it" : "has a sustainable "
            "rate that ranks (none below loadgen's limit or the machine's noise)", extra, tail);
        return;
    }
    ties_of(r, q, c, n, tie, sizeof tie);
    format_value(q, c[0].f.med, val, sizeof val);
    bool beats = beats_calibration(r, q, param, c[0].f.med, cal, sizeof cal);
    versus(r, q, param, c[0].f.med, !beats, vs, sizeof vs);
    say(r, "%s: %s %s, %s%s%s%s.%s%s%s", label, c[0].model,
        beats && q == Q_CLOSED ? "had the most requests per server CPU-second" : verbs[q], val,
        q == Q_MSR ? " req/s" : q == Q_CLOSED ? " req/CPU-s" : "", cal, vs, tie, extra, tail);
}

static int cmp_int(const void *a, const void *b)
{
    return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

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
    qsort(levels, (size_t)n, sizeof *levels, cmp_int);
    return n;
}

/* Low, medium and high: the lowest level, the one nearest the geometric
 * middle, the highest. */
static void closed_answers(struct report *r)
{
    int lv[64], n = closed_levels(r, lv, 64);
    char label[96];
    if (n == 0) {
        say(r, "Closed loop: no level was measured in this run.");
        return;
    }
    if (n == 1) {
        snprintf(label, sizeof label, "At c=%d (the only closed-loop level)", lv[0]);
        answer(r, Q_CLOSED, lv[0], label, "");
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
        answer(r, Q_CLOSED, lv[pick[k]], label, "");
    }
}

/* Loadgen's CPU per request over the server's at the models' sustained
 * equal-load points: median, lowest and highest; false when none. */
static bool client_ratio(const struct report *r, double *med, double *lo, double *hi)
{
    double v[256];
    int n = 0;
    for (size_t i = 0; i < r->points.n && n < 256; i++) {
        const struct row *m = &r->points.v[i].med;
        if (stats_open(m) && m->step == ROW_STEP_EQUAL && is_model(m->category) &&
            row_sustained(m) && m->srv_cpu_us_per_req > 0 && m->cli_cpu_us_per_req > 0)
            v[n++] = m->cli_cpu_us_per_req / m->srv_cpu_us_per_req;
    }
    if (n == 0)
        return false;
    *med = stats_median(v, n); /* sorts v */
    *lo = v[0];
    *hi = v[n - 1];
    return true;
}

/* Why loadgen's limit comes first here, with this run's figures. */
static void client_cost(const struct report *r, char *out, size_t outlen)
{
    double med, lo, hi;
    out[0] = '\0';
    if (strcmp(r->run.load_hosts, "?") || !client_ratio(r, &med, &lo, &hi))
        return;
    snprintf(out, outlen, " At equal load loadgen used %.2fx the server's CPU per request "
             "(%.2fx to %.2fx): on loopback each request's write runs the server's TCP "
             "receive in loadgen's context, so the fastest servers cannot be saturated "
             "from this machine; --load-hosts removes that limit.", med, lo, hi);
}

/* The models whose sustainable rate is a lower bound: at loadgen's limit
 * into names, at the machine's noise (the scale's too) into noisy, either
 * into all; the lowest and highest of the models' bounds. */
static void bounds_of(const struct report *r, char *names, size_t nlen, char *noisy,
                      size_t ylen, char *all, size_t alen, double *low, double *high)
{
    *low = *high = -1;
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        if (h->msr <= 0 || !h->msr_lower_bound)
            continue;
        if (h->msr_noisy)
            append(noisy, ylen, ", ", strcmp(h->category, "calibration") ?
                   h->model : "the calibration server");
        if (!is_model(h->category))
            continue;
        if (!h->msr_noisy)
            append(names, nlen, ", ", h->model);
        append(all, alen, ", ", h->model);
        *low = *low < 0 || h->msr < *low ? h->msr : *low;
        *high = h->msr > *high ? h->msr : *high;
    }
}

/* No best model: the best measured rate is below another model's lower
 * bound. Those reached a limit first and stay unordered; the others are
 * ranked among themselves. */
static void msr_unordered(struct report *r, const char *label, const struct cand *c, int n,
                          double low, double high, const char *bounds, const char *after)
{
    char list[1024] = "", tie[640], vs[512], lo[32], hi[32], v[32], text[96];
    for (int i = 0; i < n; i++) {
        util_format_rate(c[i].f.med, v, sizeof v);
        snprintf(text, sizeof text, "%s %s", c[i].model, v);
        append(list, sizeof list, ", ", text);
    }
    ties_of(r, Q_MSR, c, n, tie, sizeof tie);
    versus(r, Q_MSR, 0, c[0].f.med, true, vs, sizeof vs);
    util_format_rate(low, lo, sizeof lo);
    util_format_rate(high, hi, sizeof hi);
    util_format_rate(c[0].f.med, v, sizeof v);
    say(r, "%s: no best model can be named. %s reached a limit of this machine first (lower"
        " bounds %s%s%s%s req/s, above %s's %s, the highest rate measured to a server's own "
        "limit): their order is unknown here, and load hosts (--load-hosts) would settle it."
        " Measured to their own limit, best first: %s (%s: %s).%s%s", label, bounds,
        strcmp(lo, hi) ? "from " : "of ", lo, strcmp(lo, hi) ? " up to " : "",
        strcmp(lo, hi) ? hi : "", c[0].model, v, list, c[0].model, vs[0] ? vs + 2 :
        "no scale", tie, after);
}

static void msr_answer(struct report *r)
{
    char label[96], bounds[512] = "", noisy[256] = "", extra[1400] = "", cost[400];
    char all[640] = "", noise[400] = "", unranked[1024], tail[1100] = "";
    double low, high;
    struct cand c[REPORT_MAX_MODELS];
    bounds_of(r, bounds, sizeof bounds, noisy, sizeof noisy, all, sizeof all, &low, &high);
    client_cost(r, cost, sizeof cost);
    if (noisy[0])
        snprintf(noise, sizeof noise, " The machine's noise (steal, a late loadgen that was "
                 "not busy) ended the search for %s: a lower bound, not ranked; repeat the "
                 "run.", noisy);
    int n = candidates(r, Q_MSR, 0, c, unranked, sizeof unranked);
    if (unranked[0])
        snprintf(tail, sizeof tail, " Not ranked: %s.", unranked);
    snprintf(label, sizeof label, "Maximum sustainable rate (p99 <= %s ms)", r->run.slo_ms);
    if (n > 0 && high > c[0].f.med) {
        snprintf(extra, sizeof extra, "%s%s%s", cost, noise, tail);
        msr_unordered(r, label, c, n, low, high, all, extra);
        return;
    }
    if (bounds[0]) {
        char lo[32];
        util_format_rate(low, lo, sizeof lo);
        snprintf(extra, sizeof extra, " Loadgen's own limit came first for %s (at least "
                 "%s req/s): their order is unknown here, load hosts (--load-hosts) would "
                 "settle it.%s", bounds, lo, cost);
    }
    snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s", noise);
    answer(r, Q_MSR, 0, label, extra);
}

static void open_answers(struct report *r)
{
    char label[96];
    if (!r->open) {
        say(r, "Open loop: not in this run (--rates none).");
        return;
    }
    for (int e = 0; e < r->n_equal; e++) {
        char rate[32];
        util_format_rate(r->equal[e], rate, sizeof rate);
        snprintf(label, sizeof label, "Equal load, %s req/s offered (open loop)", rate);
        answer(r, Q_EQUAL, r->equal[e], label, "");
    }
    msr_answer(r);
}

/* Models with no usable point at all: skipped or failed throughout. */
static void not_measured(struct report *r)
{
    char list[900] = "";
    for (int i = 0; i < r->n_head; i++) {
        const char *model = r->head[i].model, *why = "";
        if (measured(r, model))
            continue;
        for (size_t k = 0; k < r->points.n && !why[0]; k++) {
            const struct row *m = &r->points.v[k].med;
            if (strcmp(m->model, model) == 0)
                why = m->note[0] ? m->note : row_status_name(m->status);
        }
        char text[200];
        snprintf(text, sizeof text, "%s (%s: %.80s%s)", model, report_status(&r->head[i]),
                 why, strlen(why) > 80 ? "..." : "");
        append(list, sizeof list, "; ", text);
    }
    if (list[0])
        say(r, "Not measured: %s.", list);
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
            append(list, sizeof list, ", ", model);
    }
    if (list[0])
        say(r, "Partial run: %s lack some of the planned rounds or levels (the run "
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
    say(r, "%s%s%s First what is fair on any machine, server CPU per request at equal "
        "offered load; then the maximum sustainable rates; last the closed loop, whose "
        "utilisation wrk decides (requests per server CPU-second; on 2 cores not a ranking "
        "to trust). Only the models compete; the calibration server (a fixed answer, "
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
