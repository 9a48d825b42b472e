/* Rounds to points: medians, spread, merged flags (see stats.h). */
#include "results/stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/models.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double stats_median(double *v, int n)
{
    if (n <= 0)
        return -1;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double stats_cv_pct(const double *v, int n)
{
    double sum = 0, sq = 0;
    if (n < 2)
        return -1;
    for (int i = 0; i < n; i++)
        sum += v[i];
    double mean = sum / n;
    for (int i = 0; i < n; i++)
        sq += (v[i] - mean) * (v[i] - mean);
    return mean > 0 ? 100.0 * sqrt(sq / (n - 1)) / mean : -1;
}

/* Two columns of two rows equal (text, word or number). */
static bool same_column(const struct row *a, const struct row *b, enum row_column c)
{
    const struct column *col = csv_column(c);
    const char *x = (const char *)a + col->offset, *y = (const char *)b + col->offset;
    if (col->type == COL_STR)
        return strcmp(x, y) == 0;
    if (col->type == COL_NUM)
        return row_num(a, c) == row_num(b, c);
    return memcmp(x, y, sizeof(int)) == 0; /* a word: its enum */
}

/* Rounds of one point: equal in every KEY column of columns.def (model,
 * workload, kind, mode, step, host, connections, idle connections; a load
 * host's own rows are points of their own); open-loop steps at a fixed
 * rate (rate, equal, search) also the same offered rate. cap50 and cap80
 * steps and msr rows are one point per model whatever rate the rounds
 * found. */
static int same_point(const struct row *a, const struct row *b)
{
    for (int c = 0; c < ROW_COLUMNS; c++)
        if (csv_column(c)->rounds == ROUNDS_KEY && !same_column(a, b, c))
            return 0;
    bool by_rate = a->kind == ROW_KIND_LOAD && a->mode == ROW_MODE_OPEN &&
                   a->step != ROW_STEP_CAP50 && a->step != ROW_STEP_CAP80;
    return !by_rate || a->offered_rps == b->offered_rps;
}

bool stats_per_host(const struct row *m)
{
    return m->host[0] && strcmp(m->host, "all") != 0;
}

bool stats_open(const struct row *m)
{
    return m->mode == ROW_MODE_OPEN && m->kind == ROW_KIND_LOAD;
}

bool stats_rate_step(const struct row *m)
{
    return stats_open(m) && m->step != ROW_STEP_SLOW && m->step != ROW_STEP_ALONE;
}

/* A step the consistency check reads: a rate step, the load from here or
 * merged (not one host's share). */
static bool checked_step(const struct row *m)
{
    return stats_rate_step(m) && !stats_per_host(m) && m->status == ROW_STATUS_OK &&
           m->offered_rps > 0;
}

static bool failed_by_server(const struct row *m)
{
    return checked_step(m) && !row_sustained(m) && !row_generator_limited(m);
}

static bool same_round(const struct row *a, const struct row *b)
{
    return strcmp(a->model, b->model) == 0 && a->round == b->round &&
           strcmp(a->host, b->host) == 0;
}

/* Whether step a contradicts step b: one sustained, the other failed at a
 * lower rate (loadgen reports the rate to a tenth of a req/s). */
static bool contradicts(const struct row *a, const struct row *b)
{
    if (!same_round(a, b) || a->conns != b->conns || a->db_queries != b->db_queries)
        return false; /* another q of /queries is another request */
    if (checked_step(a) && row_sustained(a))
        return failed_by_server(b) && b->offered_rps < a->offered_rps - 0.5;
    return failed_by_server(a) && checked_step(b) && row_sustained(b) &&
           a->offered_rps < b->offered_rps - 0.5;
}

bool stats_contradiction(const struct row *rows, size_t n, const char *model, size_t *hi,
                         size_t *lo)
{
    bool found = false;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            const struct row *s = &rows[i], *f = &rows[j];
            if (strcmp(s->model, model) || !row_sustained(s) || !contradicts(s, f))
                continue;
            if (!found || s->offered_rps > rows[*hi].offered_rps ||
                (s->offered_rps == rows[*hi].offered_rps &&
                 f->offered_rps < rows[*lo].offered_rps)) {
                *hi = i;
                *lo = j;
            }
            found = true;
        }
    return found;
}

size_t stats_mark_inconsistent(struct row *rows, size_t n)
{
    size_t flagged = 0;
    for (size_t i = 0; i < n; i++) {
        bool bad = false;
        for (size_t j = 0; j < n && !bad; j++)
            bad = contradicts(&rows[i], &rows[j]);
        if (!bad)
            continue;
        for (size_t k = 0; k < n; k++) /* the round's sustainable rate too */
            if (rows[k].kind == ROW_KIND_MSR && same_round(&rows[k], &rows[i]) &&
                !row_has_flag(&rows[k], ROW_FLAG_INCONSISTENT)) {
                row_flag(&rows[k], ROW_FLAG_INCONSISTENT);
                flagged++;
            }
        if (!row_has_flag(&rows[i], ROW_FLAG_INCONSISTENT)) {
            row_flag(&rows[i], ROW_FLAG_INCONSISTENT);
            flagged++;
        }
    }
    return flagged;
}

/* Median of one column over the rounds in use (value -1 = not measured). */
static double median_of(const struct row *const *use, int n, enum row_column c)
{
    double v[256];
    int k = 0;
    for (int i = 0; i < n && k < 256; i++)
        if (row_num(use[i], c) >= 0)
            v[k++] = row_num(use[i], c);
    return stats_median(v, k);
}

/* A round's flags (in the order raised), its status if worse (enum
 * row_status is in order of severity), its note if new. */
static void merge_text(struct stats_point *p, const struct row *r)
{
    for (int i = 0; i < r->flags.n; i++)
        row_flag(&p->med, r->flags.order[i]);
    if (r->status > p->med.status)
        p->med.status = r->status;
    if (r->note[0] && !strstr(p->med.note, r->note))
        row_note(&p->med, "%s%s", p->rounds > 1 ? "round: " : "", r->note);
}

static void summarise(struct stats_point *p, const struct row *const *all, int n)
{
    const struct row *use[256];
    double rps[256];
    int k = 0;
    p->rounds = n;
    for (int i = 0; i < n && i < 256; i++)
        if (all[i]->status == ROW_STATUS_OK)
            use[k++] = all[i];
    p->ok_rounds = k;
    p->med = *all[0];
    p->med.flags = (struct row_flags){0};
    p->med.note[0] = '\0';
    p->med.status = k ? ROW_STATUS_OK : all[0]->status;
    for (int i = 0; i < n; i++)
        merge_text(p, all[i]);
    for (int c = 0; c < ROW_COLUMNS; c++) /* the MEDIAN columns of columns.def */
        if (csv_column(c)->rounds == ROUNDS_MEDIAN) {
            double v = median_of(use, k, c);
            memcpy((char *)&p->med + csv_column(c)->offset, &v, sizeof v);
        }
    if (k == 0) /* the rate asked for still names the point (an open step that crashed) */
        p->med.offered_rps = all[0]->offered_rps;
    /* The spread of the point's main figure: req/s, or for msr rows the
     * sustainable rate; and of the server CPU per request. */
    bool msr = p->med.kind == ROW_KIND_MSR;
    p->rps_min = p->rps_max = p->cpu_min = p->cpu_max = p->p99_min = p->p99_max = -1;
    p->cheap_min = p->cheap_max = -1;
    for (int i = 0; i < k; i++) {
        double cheap = use[i]->cheap_p99_us;
        if (cheap >= 0 && (p->cheap_min < 0 || cheap < p->cheap_min))
            p->cheap_min = cheap;
        if (cheap > p->cheap_max)
            p->cheap_max = cheap;
        rps[i] = msr ? use[i]->offered_rps : use[i]->req_per_s;
        double cpu = use[i]->srv_cpu_us_per_req, p99 = use[i]->lat_p99_us;
        if (p99 >= 0 && (p->p99_min < 0 || p99 < p->p99_min))
            p->p99_min = p99;
        if (p99 > p->p99_max)
            p->p99_max = p99;
        if (p->rps_min < 0 || rps[i] < p->rps_min)
            p->rps_min = rps[i];
        if (rps[i] > p->rps_max)
            p->rps_max = rps[i];
        if (cpu >= 0 && (p->cpu_min < 0 || cpu < p->cpu_min))
            p->cpu_min = cpu;
        if (cpu > p->cpu_max)
            p->cpu_max = cpu;
    }
    p->rps_cv_pct = stats_cv_pct(rps, k);
    if (p->rps_cv_pct > STATS_CV_PCT)
        row_flag(&p->med, ROW_FLAG_HIGH_CV);
}

/* Within a model: memory, closed-loop levels, msr, open-loop steps. */
static int kind_rank(const struct row *m)
{
    return m->kind == ROW_KIND_MEMORY ? 0 : m->kind == ROW_KIND_MSR ? 2 :
           m->mode == ROW_MODE_OPEN ? 3 : 1;
}

static int point_order(const void *a, const void *b)
{
    const struct row *x = &((const struct stats_point *)a)->med;
    const struct row *y = &((const struct stats_point *)b)->med;
    int c = model_category_rank(x->category) - model_category_rank(y->category);
    if (c)
        return c;
    if ((c = (int)x->round - (int)y->round)) /* round holds first appearance */
        return c;
    if ((c = kind_rank(x) - kind_rank(y)))
        return c;
    if (x->offered_rps != y->offered_rps)
        return x->offered_rps < y->offered_rps ? -1 : 1;
    if (x->idle != y->idle)
        return x->idle < y->idle ? -1 : 1;
    if (x->conns != y->conns)
        return x->conns < y->conns ? -1 : 1;
    /* By the step's name, so that the order never depends on qsort. */
    if ((c = strcmp(row_step_name(x->step), row_step_name(y->step))))
        return c;
    return strcmp(x->host, y->host);
}

int stats_points(const struct row *rows, size_t n, struct stats_points *out)
{
    const struct row **group = malloc((n ? n : 1) * sizeof *group);
    char *done = calloc(n ? n : 1, 1);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    out->n = 0;
    if (!group || !done || !out->v) {
        free(group);
        free(done);
        return -1;
    }
    int model_seq = 0;
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        int k = 0;
        for (size_t j = i; j < n; j++)
            if (!done[j] && same_point(&rows[i], &rows[j])) {
                group[k++] = &rows[j];
                done[j] = 1;
            }
        struct stats_point *p = &out->v[out->n++];
        summarise(p, group, k);
        /* Order of first appearance of the model, for sorting. */
        p->med.round = model_seq++;
        for (size_t q = 0; q + 1 < out->n; q++)
            if (strcmp(out->v[q].med.model, p->med.model) == 0) {
                p->med.round = out->v[q].med.round;
                break;
            }
    }
    qsort(out->v, out->n, sizeof *out->v, point_order);
    free(group);
    free(done);
    return 0;
}

void stats_free(struct stats_points *p)
{
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

const struct stats_point *stats_find(const struct stats_points *p, const char *model,
                                     int conns)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].med.model, model) == 0 && p->v[i].med.conns == conns &&
            p->v[i].med.idle <= 0 && p->v[i].med.kind == ROW_KIND_LOAD &&
            p->v[i].med.mode == ROW_MODE_CLOSED)
            return &p->v[i];
    return NULL;
}

const struct stats_point *stats_find_open(const struct stats_points *p,
                                          const char *model, enum row_kind kind,
                                          enum row_step step, double offered)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        if (strcmp(m->model, model) == 0 && m->kind == kind && m->mode == ROW_MODE_OPEN &&
            m->step == step &&
            (offered < 0 || m->offered_rps == offered))
            return &p->v[i];
    }
    return NULL;
}

/* summary.csv: one line per point, its columns columns.def's SUMMARY list:
 * a column's value in the point (medians over the ok rounds, merged flags,
 * the worst status, the notes) or a figure of the point. Empty = not
 * measured. */
enum summary_stat { STAT_ROUNDS, STAT_OK_ROUNDS, STAT_RPS_MIN, STAT_RPS_MAX, STAT_RPS_CV,
                    STAT_CPU_MIN, STAT_CPU_MAX, STAT_ERRORS };
enum summary_how { AS_IS, ZERO, RAW };

static const struct summary_col {
    const char *name;
    int column;               /* enum row_column, or -1: stat */
    enum summary_how how;
    enum summary_stat stat;
    int decimals;             /* stat */
} summary[] = {
#define SUMMARY_COLUMN(n, how) {#n, ROW_COL_##n, how, 0, 0},
#define SUMMARY_STAT(n, stat, d) {#n, -1, AS_IS, stat, d},
#include "results/columns.def"
#undef SUMMARY_COLUMN
#undef SUMMARY_STAT
};

static double stat_of(const struct stats_point *s, enum summary_stat st)
{
    switch (st) {
    case STAT_ROUNDS: return s->rounds;
    case STAT_OK_ROUNDS: return s->ok_rounds;
    case STAT_RPS_MIN: return s->rps_min;
    case STAT_RPS_MAX: return s->rps_max;
    case STAT_RPS_CV: return s->rps_cv_pct;
    case STAT_CPU_MIN: return s->cpu_min;
    case STAT_CPU_MAX: return s->cpu_max;
    case STAT_ERRORS: return s->ok_rounds ? row_errors(&s->med) : -1;
    }
    return -1;
}

static void summary_field(FILE *f, const struct stats_point *s, const struct summary_col *c)
{
    const struct column *col = c->column >= 0 ? csv_column(c->column) : NULL;
    double v;
    if (col && col->type != COL_NUM) {
        csv_write_field(f, &s->med, c->column);
        return;
    }
    v = col ? row_num(&s->med, c->column) : stat_of(s, c->stat);
    if (c->how == ZERO && v < 0)
        v = 0;
    if (v >= 0 || c->how == RAW)
        fprintf(f, "%.*f", col ? col->decimals : c->decimals, v);
}

int stats_write_summary(const struct stats_points *p, const char *path, char *err,
                        size_t errlen)
{
    const size_t n = sizeof summary / sizeof summary[0];
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%s%s", summary[k].name, k + 1 < n ? "," : "\n");
    for (size_t i = 0; i < p->n; i++)
        for (size_t k = 0; k < n; k++) {
            summary_field(f, &p->v[i], &summary[k]);
            fputc(k + 1 < n ? ',' : '\n', f);
        }
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

const struct stats_point *stats_memory_point(const struct stats_points *p,
                                             const char *model)
{
    const struct stats_point *best = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        /* Fewer than half answered (a blocking server serves one): the
         * per-connection figure would describe a handful, not the rest. */
        if (strcmp(m->model, model) || m->mem_per_idle_b < 0 || m->idle_open * 2 < m->idle)
            continue;
        if (m->kind == ROW_KIND_MEMORY)
            return &p->v[i];
        if (!best || m->idle > best->med.idle)
            best = &p->v[i];
    }
    return best;
}
