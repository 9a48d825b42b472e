/* harness compare RUN_A RUN_B (see compare.h). */
#include "report/compare.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/html.h"
#include "results/judge.h"
#include "report/report.h"
#include "base/util.h"

#define CMP_MAX 4096
#define CMP_MAX_NC 32

enum unit { U_RATE, U_MS, U_US };

struct cmp_row {
    char model[32], point[80];
    const char *figure;
    struct judge_figure a, b;
    bool higher_better, a_bound, b_bound; /* bound: an MSR that is a lower bound */
    bool inconsistent;     /* a side's point is (stats.h): no claim rests on it */
    enum unit unit;
};

struct cmp {
    struct cmp_row rows[CMP_MAX];
    int n, rounds_a, rounds_b;
    char only_a[512], only_b[512];
    struct {
        char what[160], models[512];
    } nc[CMP_MAX_NC];                     /* points at different loads */
    int n_nc;
};

static const char *verdict_of(const struct cmp_row *c)
{
    enum judge j = judge_rounds(&c->b, &c->a);
    if (c->inconsistent)
        return "no judgement (inconsistent)";
    if (j == JUDGE_ONE_ROUND)
        return "no judgement (1 round)";
    if (j == JUDGE_OVERLAP)
        return "within noise";
    return (j == JUDGE_HIGHER) == c->higher_better ? "faster" : "slower";
}

static void add(struct cmp *c, const char *model, const char *point, const char *figure,
                struct judge_figure a, struct judge_figure b, bool higher, enum unit unit)
{
    if (a.rounds == 0 || b.rounds == 0 || c->n == CMP_MAX)
        return;
    struct cmp_row *r = &c->rows[c->n++];
    snprintf(r->model, sizeof r->model, "%s", model);
    snprintf(r->point, sizeof r->point, "%s", point);
    r->figure = figure;
    r->a = a;
    r->b = b;
    r->higher_better = higher;
    r->unit = unit;
    r->a_bound = r->b_bound = r->inconsistent = false;
}

static const struct stats_point *find_closed(const struct report *r, const char *model,
                                             double conns, double idle)
{
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        if (strcmp(m->model, model) == 0 && m->kind == ROW_KIND_LOAD &&
            m->mode == ROW_MODE_CLOSED && m->conns == conns &&
            (m->idle > 0 ? m->idle : 0) == (idle > 0 ? idle : 0))
            return &r->points.v[i];
    }
    return NULL;
}

static void closed_rows(struct cmp *c, const struct report *a, const struct report *b,
                        const char *model)
{
    for (size_t i = 0; i < a->points.n; i++) {
        const struct stats_point *pa = &a->points.v[i];
        const struct row *m = &pa->med;
        if (strcmp(m->model, model) || m->kind != ROW_KIND_LOAD || m->mode != ROW_MODE_CLOSED)
            continue;
        const struct stats_point *pb = find_closed(b, model, m->conns, m->idle);
        char point[80];
        if (m->idle > 0)
            snprintf(point, sizeof point, "c=%.0f idle=%.0f", m->conns, m->idle);
        else
            snprintf(point, sizeof point, "c=%.0f", m->conns);
        add(c, model, point, "req/s", judge_rps(pa), judge_rps(pb), true, U_RATE);
        add(c, model, point, "p99 ms", judge_p99(pa), judge_p99(pb), false, U_MS);
        add(c, model, point, "req/CPU-s", judge_eff(pa), judge_eff(pb), true, U_RATE);
    }
}

/* Two open-loop points are the same point when offered at the same rate
 * (loadgen reports it to a tenth of a req/s) on the same connections. */
static bool same_load(const struct row *a, const struct row *b)
{
    return fabs(a->offered_rps - b->offered_rps) <= 0.5 + 1e-4 * a->offered_rps &&
           a->conns == b->conns;
}

/* B's point of model and step at A's load; NULL when none. *other: B's
 * point of that step at another load (the k-th of its kind, as A's is). */
static const struct stats_point *match_open(const struct report *b, const struct row *m,
                                            int k, const struct stats_point **other)
{
    int seen = 0;
    *other = NULL;
    for (size_t i = 0; i < b->points.n; i++) {
        const struct stats_point *p = &b->points.v[i];
        if (strcmp(p->med.model, m->model) || !stats_open(&p->med) || p->med.step != m->step)
            continue;
        if (same_load(m, &p->med))
            return p;
        if (seen++ == k)
            *other = p;
    }
    return NULL;
}

/* "equal load at 9975 req/s in A, 12.2k in B" once per pair of rates,
 * with the models it concerns: listed, never divided. */
static void not_comparable(struct cmp *c, const char *model, const struct row *a,
                           const struct row *b)
{
    static const char *const what[] = {[ROW_STEP_EQUAL] = "equal load",
        [ROW_STEP_CAP50] = "50% of the MSR", [ROW_STEP_CAP80] = "80% of the MSR",
        [ROW_STEP_RATE] = "rate", [ROW_STEP_SLOW] = "slow clients",
        [ROW_STEP_ALONE] = "cheap requests alone"};
    char ra[32], rb[32], text[160];
    util_format_rate(a->offered_rps, ra, sizeof ra);
    util_format_rate(b->offered_rps, rb, sizeof rb);
    snprintf(text, sizeof text, "%s at %s req/s (%.0f connections) in A, %s req/s (%.0f) in "
             "B", what[a->step] ? what[a->step] : "step", ra, a->conns, rb, b->conns);
    int i = 0;
    while (i < c->n_nc && strcmp(c->nc[i].what, text))
        i++;
    if (i == c->n_nc) {
        if (c->n_nc == CMP_MAX_NC)
            return;
        snprintf(c->nc[c->n_nc].what, sizeof c->nc[0].what, "%s", text);
        c->nc[c->n_nc++].models[0] = '\0';
    }
    size_t n = strlen(c->nc[i].models);
    snprintf(c->nc[i].models + n, sizeof c->nc[i].models - n, "%s%s", n ? ", " : "", model);
}

/* The rows from before on set a point of A against one of B of which one
 * is inconsistent (stats.h): shown, never judged. */
static void mark_inconsistent(struct cmp *c, int before, const struct stats_point *pa,
                              const struct stats_point *pb)
{
    bool bad = (pa && row_has_flag(&pa->med, ROW_FLAG_INCONSISTENT)) ||
               (pb && row_has_flag(&pb->med, ROW_FLAG_INCONSISTENT));
    for (int i = before; i < c->n; i++)
        c->rows[i].inconsistent = bad;
}

static void open_point_rows(struct cmp *c, const char *model, const struct stats_point *pa,
                            const struct stats_point *pb)
{
    char point[80], ra[32];
    const struct row *m = &pa->med;
    util_format_rate(m->offered_rps, ra, sizeof ra);
    if (m->step == ROW_STEP_CAP50 || m->step == ROW_STEP_CAP80)
        snprintf(point, sizeof point, "%s of MSR, %s req/s",
                 m->step == ROW_STEP_CAP50 ? "50%" : "80%", ra);
    else
        snprintf(point, sizeof point, "%s %s req/s", m->step == ROW_STEP_EQUAL ? "equal" :
                 row_step_name(m->step), ra);
    int before = c->n;
    if (m->step != ROW_STEP_EQUAL)
        add(c, model, point, "p99 ms", judge_p99(pa), judge_p99(pb), false, U_MS);
    if (m->step != ROW_STEP_CAP50 && m->step != ROW_STEP_CAP80)
        add(c, model, point, "CPU us/req", judge_cpu(pa), judge_cpu(pb), false, U_US);
    mark_inconsistent(c, before, pa, pb);
}

/* Open-loop points of A against B's at the same offered rate and
 * connections (equal load, --rates LIST, 50% and 80% of the MSR); those of
 * a step B has at another rate only are listed as not comparable. */
static void open_rows(struct cmp *c, const struct report *a, const struct report *b,
                      const char *model)
{
    int k[ROW_STEP_COUNT] = {0};
    for (size_t i = 0; i < a->points.n; i++) {
        const struct stats_point *pa = &a->points.v[i], *other;
        const struct row *m = &pa->med;
        if (strcmp(m->model, model) || !stats_open(m) || m->step == ROW_STEP_SEARCH ||
            m->step == ROW_STEP_SLOW || m->step == ROW_STEP_NONE)
            continue;
        const struct stats_point *pb = match_open(b, m, k[m->step]++, &other);
        if (pb)
            open_point_rows(c, model, pa, pb);
        else if (other && other->ok_rounds && pa->ok_rounds)
            not_comparable(c, model, m, &other->med);
    }
    const struct stats_point *ma =
        stats_find_open(&a->points, model, ROW_KIND_MSR, ROW_STEP_NONE, -1);
    const struct stats_point *mb =
        stats_find_open(&b->points, model, ROW_KIND_MSR, ROW_STEP_NONE, -1);
    int before = c->n;
    add(c, model, "msr", "req/s", judge_msr(ma), judge_msr(mb), true, U_RATE);
    if (c->n > before) {
        c->rows[before].a_bound = row_has_flag(&ma->med, ROW_FLAG_LOWER_BOUND);
        c->rows[before].b_bound = row_has_flag(&mb->med, ROW_FLAG_LOWER_BOUND);
    }
    mark_inconsistent(c, before, ma, mb);
}

static int max_rounds(const struct report *r)
{
    int n = 0;
    for (size_t i = 0; i < r->points.n; i++)
        n = r->points.v[i].ok_rounds > n ? r->points.v[i].ok_rounds : n;
    return n;
}

static bool has_model(const struct report *r, const char *model)
{
    for (int i = 0; i < r->n_head; i++)
        if (strcmp(r->head[i].model, model) == 0)
            return true;
    return false;
}

static void build(struct cmp *c, const struct report *a, const struct report *b)
{
    c->n = c->n_nc = 0;
    c->only_a[0] = c->only_b[0] = '\0';
    c->rounds_a = max_rounds(a);
    c->rounds_b = max_rounds(b);
    for (int i = 0; i < a->n_head; i++) {
        const char *model = a->head[i].model;
        if (!has_model(b, model)) {
            size_t n = strlen(c->only_a);
            snprintf(c->only_a + n, sizeof c->only_a - n, "%s%s", n ? ", " : "", model);
            continue;
        }
        closed_rows(c, a, b, model);
        open_rows(c, a, b, model);
    }
    for (int i = 0; i < b->n_head; i++)
        if (!has_model(a, b->head[i].model)) {
            size_t n = strlen(c->only_b);
            snprintf(c->only_b + n, sizeof c->only_b - n, "%s%s", n ? ", " : "",
                     b->head[i].model);
        }
}

static void value(const struct judge_figure *f, enum unit u, bool bound, char *out,
                  size_t outlen)
{
    char v[32];
    if (u == U_RATE && f->med == 0) /* an MSR where nothing was sustained */
        snprintf(v, sizeof v, "none");
    else if (u == U_RATE)
        util_format_rate(f->med, v, sizeof v);
    else
        snprintf(v, sizeof v, u == U_MS ? "%.2f" : "%.1f", f->med);
    snprintf(out, outlen, "%s%s", bound ? ">= " : "", v);
}

static void ratio(const struct cmp_row *r, char *out, size_t outlen)
{
    if (r->a.med > 0)
        snprintf(out, outlen, "%.2f", r->b.med / r->a.med);
    else
        snprintf(out, outlen, "-");
}

/* What the table rests on, in words (both pages). */
static void preamble(const struct cmp *c, char *out, size_t outlen)
{
    int one = c->rounds_a < 2 ? c->rounds_a : c->rounds_b;
    snprintf(out, outlen, "B/A: the ratio of the medians (A: %d round%s, B: %d round%s). A "
             "figure is faster or slower only when the rounds of the two runs do not overlap"
             " (faster: more req/s or req/CPU-s, a higher sustainable rate, a lower p99, "
             "less CPU per request), within noise when they do.%s",
             c->rounds_a, c->rounds_a == 1 ? "" : "s", c->rounds_b,
             c->rounds_b == 1 ? "" : "s",
             c->rounds_a < 2 || c->rounds_b < 2 ?
             (one == 0 ? " A run has no usable round." :
              " A run has one round: no judgement is possible; run both with --repeat 3.")
             : "");
}

static void counts(const struct cmp *c, char *out, size_t outlen)
{
    static const char *words[] = {"faster", "slower", "within noise",
                                  "no judgement (1 round)", "no judgement (inconsistent)"};
    int n[5] = {0};
    for (int i = 0; i < c->n; i++)
        for (int k = 0; k < 5; k++)
            n[k] += strcmp(verdict_of(&c->rows[i]), words[k]) == 0;
    snprintf(out, outlen, "%d figures: %d faster, %d slower, %d within noise, %d not judged "
             "(one round)%s", c->n, n[0], n[1], n[2], n[3], n[4] ? "" : ".");
    if (n[4]) {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, ", %d not judged (a server contradicted itself "
                 "there: inconsistent).", n[4]);
    }
}

/* The points offered at different loads in A and B, in words; "" when
 * none. */
static void incomparable(const struct cmp *c, char *out, size_t outlen)
{
    out[0] = '\0';
    for (int i = 0; i < c->n_nc; i++) {
        size_t n = strlen(out);
        snprintf(out + n, outlen - n, "%s%s: %s", i ? "; " : "Not comparable (offered at "
                 "different rates or connections, so never divided): ", c->nc[i].what,
                 c->nc[i].models);
    }
    if (c->n_nc) {
        size_t n = strlen(out);
        snprintf(out + n, outlen - n, ". Equal-load rates in %% follow each run's calibration"
                 " server, and 50%%/80%% each server's own maximum: give both runs the same "
                 "--equal-load in req/s (as the README's A/B does) or the same --rates LIST,"
                 " with the same --rate-conns.");
    }
}

static void markdown(FILE *f, const struct cmp *c, const char *a, const char *b)
{
    char text[1024];
    fprintf(f, "# harness compare\n\nA: %s\nB: %s\n\n", a, b);
    preamble(c, text, sizeof text);
    fprintf(f, "%s\n\n| model | point | figure | A | B | B/A | verdict |\n"
               "|---|---|---|---:|---:|---:|---|\n", text);
    for (int i = 0; i < c->n; i++) {
        const struct cmp_row *r = &c->rows[i];
        char va[40], vb[40], q[16];
        value(&r->a, r->unit, r->a_bound, va, sizeof va);
        value(&r->b, r->unit, r->b_bound, vb, sizeof vb);
        ratio(r, q, sizeof q);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", r->model, r->point, r->figure,
                va, vb, q, verdict_of(r));
    }
    counts(c, text, sizeof text);
    fprintf(f, "\n%s\n", text);
    char nc[CMP_MAX_NC * 700];
    incomparable(c, nc, sizeof nc);
    if (nc[0])
        fprintf(f, "%s\n", nc);
    if (c->only_a[0])
        fprintf(f, "Only in A: %s.\n", c->only_a);
    if (c->only_b[0])
        fprintf(f, "Only in B: %s.\n", c->only_b);
}

static int html(const char *path, const struct cmp *c, const char *a, const char *b)
{
    char text[1024];
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>c10k-lab: "
          "harness compare</title><style>body{font-family:system-ui,sans-serif;"
          "max-width:1200px;margin:1em auto;padding:0 1em;color:#222}table{border-collapse:"
          "collapse;font-size:13px}th,td{border-bottom:1px solid #ddd;padding:3px 8px;"
          "text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
          "th{background:#eef0f3}.l{text-align:left}.faster td{background:#e3f4e1}"
          ".slower td{background:#fbe0dd}</style></head><body>\n<h1>harness compare</h1>\n"
          "<p>A: ", f);
    html_esc(f, a);
    fputs("<br>B: ", f);
    html_esc(f, b);
    preamble(c, text, sizeof text);
    fputs("</p>\n<p>", f);
    html_esc(f, text);
    fputs("</p>\n<table><tr><th class=l>model</th><th class=l>point</th><th class=l>figure"
          "</th><th>A</th><th>B</th><th>B/A</th><th class=l>verdict</th></tr>\n", f);
    for (int i = 0; i < c->n; i++) {
        const struct cmp_row *r = &c->rows[i];
        const char *v = verdict_of(r);
        char va[40], vb[40], q[16];
        value(&r->a, r->unit, r->a_bound, va, sizeof va);
        value(&r->b, r->unit, r->b_bound, vb, sizeof vb);
        ratio(r, q, sizeof q);
        fprintf(f, "<tr class=\"%s\"><td class=l>%s</td><td class=l>%s</td><td class=l>%s"
                   "</td><td>", strchr(v, ' ') ? "" : v, r->model, r->point, r->figure);
        html_esc(f, va);
        fputs("</td><td>", f);
        html_esc(f, vb);
        fprintf(f, "</td><td>%s</td><td class=l>%s</td></tr>\n", q, v);
    }
    counts(c, text, sizeof text);
    fprintf(f, "</table>\n<p>%s</p>\n", text);
    char nc[CMP_MAX_NC * 700];
    incomparable(c, nc, sizeof nc);
    if (nc[0]) {
        fputs("<p>", f);
        html_esc(f, nc);
        fputs("</p>\n", f);
    }
    fputs("</body></html>\n", f);
    return ferror(f) | fclose(f) ? -1 : 0;
}

/* One line for a directory that is not a run: missing, or no results.csv. */
static int load_run(struct report *r, const char *dir)
{
    char err[512], path[PATH_MAX];
    struct stat st;
    if (stat(dir, &st)) {
        fprintf(stderr, "harness: compare: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "harness: compare: %s: not a directory\n", dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (access(path, R_OK)) {
        fprintf(stderr, "harness: compare: %s: no results.csv (not a run directory)\n", dir);
        return -1;
    }
    if (report_load(r, dir, err, sizeof err)) {
        fprintf(stderr, "harness: compare: %s\n", err);
        return -1;
    }
    return 0;
}

int compare_command(const char *run_a, const char *run_b, const char *html_out)
{
    static struct report a, b;
    static struct cmp c;
    char path[PATH_MAX];
    if (load_run(&a, run_a))
        return 2;
    if (load_run(&b, run_b)) {
        report_free(&a);
        return 2;
    }
    build(&c, &a, &b);
    markdown(stdout, &c, run_a, run_b);
    snprintf(path, sizeof path, "%s/compare.html", run_b);
    if (!html_out)
        html_out = path;
    int rc = 0;
    if (html(html_out, &c, run_a, run_b)) {
        fprintf(stderr, "harness: compare: write %s: %s\n", html_out, strerror(errno));
        rc = 1;
    } else {
        fprintf(stderr, "harness: compare: %s\n", html_out);
    }
    report_free(&a);
    report_free(&b);
    return rc;
}
