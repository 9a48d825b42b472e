/* The warnings of a report, computed once into struct report (see
 * report.h): one per point and problem, and per kind a summary line (how
 * many points, which models, where, how to read them) that the pages show
 * first, each expandable to its points. */
#include "report/warn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/models.h"
#include "base/util.h"

static const struct {
    const char *name, *title, *advice;
} kinds[WARN_KINDS] = {
    [WARN_FAILURE] = {"failed", "failed, crashed or skipped",
                      "those points have no figures; the note says why"},
    [WARN_LOST] = {"lost", "lost or invented responses, restarts",
                   "the server's count and the generator's disagree, or it stopped "
                   "answering: read the note"},
    [WARN_INCONSISTENT] = {"inconsistent", "the server contradicted itself",
                           "it sustained a rate and failed a lower one in the same round"
                           " (harness run measures both again first): these points are "
                           "left out of every claim of the verdict; repeat the run"},
    [WARN_STARVED] = {"starved", "starved connections",
                      "most connections waited unanswered: req/s and p99 describe the "
                      "few that were served"},
    [WARN_ERRORS] = {"errors", "load errors and refused connections",
                     "the figures count only the answered requests"},
    [WARN_UNSUSTAINED] = {"unsustained", "offered load not sustained",
                          "the server fell behind the offered rate or the p99 SLO"},
    [WARN_CLIENT_BOUND] = {"client-bound", "client-bound (the load generator was the busy "
                           "side)", "read req/CPU-s or server CPU per request, not req/s"},
    [WARN_NOISE] = {"noise", "steal or other processes over 5% of the measured CPUs",
                    "less trustworthy: repeat the run (--repeat 3)"},
    [WARN_HIGH_CV] = {"high-cv", "rounds differ by over 5% (CV of req/s)",
                      "read the medians with their error bars"},
};

const char *warn_name(enum warn_kind k) { return kinds[k].name; }
const char *warn_title(enum warn_kind k) { return kinds[k].title; }
const char *warn_advice(enum warn_kind k) { return kinds[k].advice; }

static void add(struct report *r, enum warn_kind kind, const struct stats_point *p,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add(struct report *r, enum warn_kind kind, const struct stats_point *p,
                const char *fmt, ...)
{
    if (r->n_warn == r->cap_warn) {
        size_t cap = r->cap_warn ? 2 * r->cap_warn : 64;
        struct report_warning *w = realloc(r->warn, cap * sizeof *w);
        if (!w) {
            r->warn_oom = true;
            return;
        }
        r->warn = w;
        r->cap_warn = cap;
    }
    struct report_warning *w = &r->warn[r->n_warn++];
    va_list ap;
    w->kind = kind;
    w->point = p;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
}

/* "epoll at c=256", "epoll at 2672 req/s offered (equal)"... */
static void where(const struct row *m, char *out, size_t outlen)
{
    char rate[32];
    util_format_rate(m->offered_rps, rate, sizeof rate);
    if (m->kind == ROW_KIND_MSR)
        snprintf(out, outlen, "%s, sustainable-rate search (%.0f connections)", m->model,
                 m->conns);
    else if (stats_open(m) && m->step == ROW_STEP_SLOW)
        snprintf(out, outlen, "%s, %.0f slow clients (%s req/s offered)", m->model,
                 m->conns, rate);
    else if (stats_open(m))
        snprintf(out, outlen, "%s at %s req/s offered (%s)", m->model, rate,
                 row_step_name(m->step));
    else if (m->kind == ROW_KIND_MEMORY)
        snprintf(out, outlen, "%s, %.0f idle connections", m->model, m->idle);
    else if (m->idle > 0)
        snprintf(out, outlen, "%s at c=%.0f with %.0f idle", m->model, m->conns, m->idle);
    else
        snprintf(out, outlen, "%s at c=%.0f", m->model, m->conns);
}

/* What an open-loop point has to say; true when nothing else applies.
 * Search steps are expected to fail near the limit: only a crash or a
 * restart among them is a warning. */
static bool open_point(struct report *r, const struct stats_point *p, const char *at)
{
    const struct row *m = &p->med;
    char rate[32];
    if (row_has_flag(m, ROW_FLAG_INCONSISTENT))
        add(r, WARN_INCONSISTENT, p, "%s: %s", at, m->kind == ROW_KIND_MSR ?
            "the search's result is in doubt: a step of the same round failed below a "
            "rate that was sustained" : row_sustained(m) ? "sustained, while a lower rate "
            "failed in the same round" : "not sustained, while a higher rate was sustained "
            "in the same round");
    if (m->kind == ROW_KIND_MSR) {
        util_format_rate(m->offered_rps, rate, sizeof rate);
        if (row_has_flag(m, ROW_FLAG_LOWER_BOUND) && row_has_flag(m, ROW_FLAG_NOISY))
            add(r, WARN_NOISE, p, "%s: at least %s req/s: the machine's noise ended the "
                "search (%s)", at, rate, m->note);
        else if (row_has_flag(m, ROW_FLAG_LOWER_BOUND))
            add(r, WARN_CLIENT_BOUND, p, "%s: at least %s req/s: loadgen reached its own "
                "limit first, so the server's is higher", at, rate);
        if (row_has_flag(m, ROW_FLAG_NONE_SUSTAINED))
            add(r, WARN_UNSUSTAINED, p, "%s: %s", at, m->note);
        return m->status == ROW_STATUS_OK;
    }
    if (!stats_open(m))
        return false;
    if (m->step == ROW_STEP_SEARCH)
        return m->status != ROW_STATUS_CRASHED && !row_has_flag(m, ROW_FLAG_RESTARTED);
    if (m->status != ROW_STATUS_OK)
        return false;
    if (row_has_flag(m, ROW_FLAG_CLIENT_BOUND))
        add(r, WARN_CLIENT_BOUND, p, "%s: loadgen at %.0f%% CPU, send lag p99 %.0f us: the"
            " generator was the busy side", at, m->cli_cpu_pct, m->lag_p99_us);
    if (!row_sustained(m)) {
        util_format_rate(m->achieved_rps, rate, sizeof rate);
        add(r, WARN_UNSUSTAINED, p, "%s: not sustained: achieved %s req/s, p99 %.2f ms, "
            "%.0f errors", at, rate, m->lat_p99_us / 1000, row_errors(m));
    }
    return false; /* the checks of every point apply too */
}

static void closed_point(struct report *r, const struct stats_point *p, const char *at)
{
    const struct row *m = &p->med;
    if (row_has_flag(m, ROW_FLAG_IDLE_PARTIAL))
        add(r, WARN_ERRORS, p, "%s: only %.0f of %.0f idle connections were answered%s", at,
            m->idle_open, m->idle,
            m->idle_open * 2 < m->idle ? ": no memory per connection reported" : "");
    if (row_has_flag(m, ROW_FLAG_STARVED))
        add(r, WARN_STARVED, p, "%s: on average %.1f of %.0f connections were being served"
            " (req/s x mean latency); wrk reports no error for the others", at,
            m->req_per_s * m->lat_mean_us / 1e6, m->conns);
    if (row_has_flag(m, ROW_FLAG_CLIENT_BOUND) && !stats_open(m))
        add(r, WARN_CLIENT_BOUND, p, "%s: wrk at %.0f%% CPU, server at %.0f%%: the client"
            " was the busy side", at, m->cli_cpu_pct, m->srv_cpu_pct);
}

static void point_warnings(struct report *r, const struct stats_point *p)
{
    const struct row *m = &p->med;
    char at[128];
    where(m, at, sizeof at);
    if (open_point(r, p, at))
        return;
    if (m->status != ROW_STATUS_OK) {
        add(r, WARN_FAILURE, p, "%s: %s%s%s", at, row_status_name(m->status),
            m->note[0] ? ": " : "", m->note);
        return;
    }
    closed_point(r, p, at);
    if (row_has_flag(m, ROW_FLAG_COUNT_MISMATCH) ||
        row_has_flag(m, ROW_FLAG_STOPPED_ANSWERING) || row_has_flag(m, ROW_FLAG_RESTARTED))
        add(r, WARN_LOST, p, "%s: %s", at, m->note);
    if (row_errors(m) > 0 || row_has_flag(m, ROW_FLAG_REFUSED))
        add(r, WARN_ERRORS, p, "%s: errors connect %.0f, read %.0f, write %.0f, status "
            "%.0f, timeout %.0f; server refused %.0f", at, m->err_connect, m->err_read,
            m->err_write, m->err_status, m->err_timeout,
            m->srv_refused > 0 ? m->srv_refused : 0);
    if (row_disturbed(m))
        add(r, WARN_NOISE, p, "%s: steal %.1f%%, other processes %.1f%% of the measured"
            " CPUs", at, m->steal_pct, m->other_pct);
    if (row_has_flag(m, ROW_FLAG_HIGH_CV))
        add(r, WARN_HIGH_CV, p, "%s: req/s varied by %.1f%% (CV) over %d rounds (%.0f to"
            " %.0f)", at, p->rps_cv_pct, p->ok_rounds, p->rps_min, p->rps_max);
}

static void append(char *out, size_t outlen, const char *sep, const char *text)
{
    size_t n = strlen(out);
    if (n < outlen)
        snprintf(out + n, outlen - n, "%s%s", n ? sep : "", text);
}

static bool touches(const struct report *r, enum warn_kind k, const char *model)
{
    for (size_t i = 0; i < r->n_warn; i++)
        if (r->warn[i].kind == k && strcmp(r->warn[i].point->med.model, model) == 0)
            return true;
    return false;
}

/* Which models a kind touches: "every server", "every event-driven and
 * hybrid model" for the categories it touches whole (two models or more),
 * then the others by name. */
static void touched_models(const struct report *r, enum warn_kind k, char *out,
                           size_t outlen)
{
    static const char *cats[] = {"blocking", "event-driven", "hybrid", "calibration",
                                 "reference"};
    bool whole[5], all = true;
    int n_whole = 0;
    for (int c = 0; c < 5; c++) {
        int n_cat = 0, n_hit = 0;
        for (int h = 0; h < r->n_head; h++)
            if (strcmp(r->head[h].category, cats[c]) == 0) {
                n_cat++;
                n_hit += touches(r, k, r->head[h].model);
            }
        whole[c] = n_hit > 1 && n_hit == n_cat && c != 3;
        n_whole += whole[c] && c < 3;
        all &= n_hit == n_cat;
    }
    out[0] = '\0';
    if (all && r->n_head > 1) {
        snprintf(out, outlen, "every server");
        return;
    }
    for (int c = 0, done = 0; c < 3; c++)
        if (whole[c]) {
            append(out, outlen, done == 0 ? "" : done + 1 == n_whole ? " and " : ", ",
                   done == 0 ? "every " : "");
            append(out, outlen, "", cats[c]);
            if (++done == n_whole)
                append(out, outlen, "", " model");
        }
    if (whole[4])
        append(out, outlen, ", ", "every reference");
    for (int h = 0; h < r->n_head; h++) {
        int c = 0;
        while (c < 5 && strcmp(r->head[h].category, cats[c]))
            c++;
        if ((c == 5 || !whole[c]) && touches(r, k, r->head[h].model))
            append(out, outlen, ", ", r->head[h].model);
    }
}

/* Where a kind occurs: the closed-loop levels and the open-loop steps. */
static void touched_points(const struct report *r, enum warn_kind k, char *out,
                           size_t outlen)
{
    static const struct { enum row_step step; const char *words; } steps[] = {
        {ROW_STEP_EQUAL, "equal load"}, {ROW_STEP_RATE, "the listed rates"},
        {ROW_STEP_SEARCH, "the search"}, {ROW_STEP_CAP50, "50% of the MSR"},
        {ROW_STEP_CAP80, "80% of the MSR"},
    };
    char levels[256] = "", open[256] = "", text[64];
    bool memory = false, msr = false;
    int conns[64], n = 0;
    for (size_t i = 0; i < r->n_warn; i++) {
        const struct row *m = &r->warn[i].point->med;
        bool dup = r->warn[i].kind != k || m->kind != ROW_KIND_LOAD ||
                   m->mode != ROW_MODE_CLOSED || n == 64;
        for (int c = 0; c < n && !dup; c++)
            dup = conns[c] == (int)m->conns;
        if (!dup)
            conns[n++] = (int)m->conns;
    }
    qsort(conns, (size_t)n, sizeof *conns, util_cmp_int);
    for (int c = 0; c < n; c++) {
        snprintf(text, sizeof text, "%s%d", c ? "" : "c=", conns[c]);
        append(levels, sizeof levels, ", ", text);
    }
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
        for (size_t i = 0; i < r->n_warn; i++)
            if (r->warn[i].kind == k && stats_open(&r->warn[i].point->med) &&
                r->warn[i].point->med.step == steps[s].step) {
                append(open, sizeof open, ", ", steps[s].words);
                break;
            }
    for (size_t i = 0; i < r->n_warn; i++) {
        memory |= r->warn[i].kind == k && r->warn[i].point->med.kind == ROW_KIND_MEMORY;
        msr |= r->warn[i].kind == k && r->warn[i].point->med.kind == ROW_KIND_MSR;
    }
    out[0] = '\0';
    if (levels[0]) {
        append(out, outlen, "", "at ");
        append(out, outlen, "", levels);
    }
    if (msr)
        append(open, sizeof open, ", ", "the maximum found");
    if (open[0]) {
        append(out, outlen, " and ", "in the open loop (");
        append(out, outlen, "", open);
        append(out, outlen, "", ")");
    }
    if (memory)
        append(out, outlen, " and ", "with idle connections (memory)");
}

int warn_collect(struct report *r)
{
    for (size_t i = 0; i < r->points.n; i++)
        point_warnings(r, &r->points.v[i]);
    if (r->warn_oom)
        return -1;
    for (int k = 0; k < WARN_KINDS; k++) {
        struct report_warn_kind *s = &r->warn_kinds[k];
        s->count = 0;
        for (size_t i = 0; i < r->n_warn; i++)
            s->count += r->warn[i].kind == (enum warn_kind)k;
        touched_models(r, (enum warn_kind)k, s->models, sizeof s->models);
        touched_points(r, (enum warn_kind)k, s->where, sizeof s->where);
        snprintf(s->line, sizeof s->line, "%d point%s (%s)%s%s: %s", s->count,
                 s->count == 1 ? "" : "s", s->models, s->where[0] ? " " : "", s->where,
                 kinds[k].advice);
    }
    return 0;
}

void warn_free(struct report *r)
{
    free(r->warn);
    r->warn = NULL;
    r->n_warn = r->cap_warn = 0;
}
