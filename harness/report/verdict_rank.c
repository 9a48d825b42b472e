/* The figures of a question, their ranking and the sentence that answers
 * it (see verdict_int.h and verdict.c). */
#include "report/verdict_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/models.h"
#include "base/util.h"
#include "options/opts.h"
#define VERDICT_MARGIN 0.10

void verdict_say(struct report *r, const char *fmt, ...)
{
    va_list ap;
    if (r->n_verdict == REPORT_VERDICT_LINES)
        return;
    va_start(ap, fmt);
    vsnprintf(r->verdict[r->n_verdict++], sizeof r->verdict[0], fmt, ap);
    va_end(ap);
}

void verdict_append(char *out, size_t outlen, const char *sep, const char *text)
{
    size_t n = strlen(out);
    if (n < outlen)
        snprintf(out + n, outlen - n, "%s%s", n ? sep : "", text);
}

bool verdict_is_model(const char *category)
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
    if (q == Q_EQUAL || q == Q_CHEAP) {
        p = stats_find_open(&r->points, model, ROW_KIND_LOAD, ROW_STEP_EQUAL, param);
        if (p && row_has_flag(&p->med, ROW_FLAG_INCONSISTENT))
            *why = "inconsistent";
        else if (p && !(good(p) && row_sustained(&p->med)))
            *why = p->med.status != ROW_STATUS_OK ? row_status_name(p->med.status)
                   : late_in_noise(&p->med) ? "not sustained; loadgen late amid noise"
                                            : "not sustained";
        if (p && !*why && q == Q_CHEAP)
            return judge_cheap_p99(p);
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
    else if (q == Q_CHEAP)
        snprintf(out, outlen, "%.2f ms", v);
    else
        util_format_rate(v, out, outlen);
}

/* ", 0.64x the calibration server's 99.2k, 1.82x nginx's 34.6k" */
void verdict_versus(const struct report *r, enum question q, double param, double v,
                   bool calibration, char *out, size_t outlen)
{
    out[0] = '\0';
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        const char *why;
        if (verdict_is_model(h->category) ||
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
        verdict_append(out, outlen, "", text);
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
    return q == Q_EQUAL || q == Q_CHEAP ? o->med <= best->med * (1 + margin)
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
bool verdict_measured(const struct report *r, const char *model)
{
    for (size_t k = 0; k < r->points.n; k++)
        if (strcmp(r->points.v[k].med.model, model) == 0 && r->points.v[k].ok_rounds > 0)
            return true;
    return false;
}

/* The models' figures for q, best first; the unranked ones listed. */
int verdict_candidates(const struct report *r, enum question q, double param,
                      struct cand *c, char *unranked, size_t ulen)
{
    int n = 0;
    unranked[0] = '\0';
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        const char *why;
        if (!verdict_is_model(h->category))
            continue;
        struct judge_figure f = figure_of(r, h->model, q, param, &why);
        if (f.rounds > 0) {
            c[n].model = h->model;
            c[n++].f = f;
        } else if (why && (q != Q_MSR || strcmp(why, "a lower bound")) &&
                   verdict_measured(r, h->model)) {
            char text[96];
            snprintf(text, sizeof text, "%s (%s)", h->model, why);
            verdict_append(unranked, ulen, ", ", text);
        }
    }
    better_first = q == Q_EQUAL || q == Q_CHEAP ? -1 : 1;
    qsort(c, (size_t)n, sizeof *c, cand_order);
    return n;
}

static const char *const verbs[] = {
    [Q_CLOSED] = "serves the most requests per server CPU-second",
    [Q_EQUAL] = "needs the least server CPU per request",
    [Q_MSR] = "sustains the highest rate",
    [Q_CHEAP] = "keeps the cheap requests' p99 lowest",
};

bool verdict_mixed(const struct report *r)
{
    for (size_t k = 0; k < r->points.n; k++)
        if (r->points.v[k].med.cheap_p99_us >= 0)
            return true;
    return false;
}

/* " a, b tie with it (their rounds overlap)." for the models of c[1..n)
 * that tie with c[0], or "". */
void verdict_ties(const struct report *r, enum question q, const struct cand *c, int n,
                    char *out, size_t outlen)
{
    char ties[512] = "", why[64];
    int n_ties = 0;
    bool by_margin = false;
    double margin = margin_of(r, q);
    out[0] = '\0';
    for (int i = 1; i < n; i++)
        if (tied(&c[0].f, &c[i].f, q, margin)) {
            verdict_append(ties, sizeof ties, ", ", c[i].model);
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
    if (q == Q_MSR || q == Q_CHEAP || cal.rounds == 0 ||
        (q == Q_CLOSED ? v <= cal.med : v >= cal.med))
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
void verdict_answer(struct report *r, enum question q, double param, const char *label,
                   const char *extra)
{
    struct cand c[REPORT_MAX_MODELS];
    char unranked[1024], val[32], vs[512], cal[400] = "", tail[1100] = "", tie[640];
    int n = verdict_candidates(r, q, param, c, unranked, sizeof unranked);
    if (unranked[0])
        snprintf(tail, sizeof tail, " Not ranked: %s.", unranked);
    if (n == 0) {
        verdict_say(r, "%s: no model %s.%s%s", label, q == Q_CLOSED ? "served it without "
            "starving or errors" : q == Q_EQUAL || q == Q_CHEAP ? "sustained it" : "has a sustainable "
            "rate that ranks (none below loadgen's limit or the machine's noise)", extra, tail);
        return;
    }
    verdict_ties(r, q, c, n, tie, sizeof tie);
    format_value(q, c[0].f.med, val, sizeof val);
    bool beats = beats_calibration(r, q, param, c[0].f.med, cal, sizeof cal);
    verdict_versus(r, q, param, c[0].f.med, !beats, vs, sizeof vs);
    verdict_say(r, "%s: %s %s, %s%s%s%s.%s%s%s", label, c[0].model,
        beats && q == Q_CLOSED ? "had the most requests per server CPU-second" : verbs[q], val,
        q == Q_MSR ? " req/s" : q == Q_CLOSED ? " req/CPU-s" : "", cal, vs, tie, extra, tail);
}

