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

/* Rounds of one point: same model, kind, mode, step and host (a load
 * host's own rows are points of their own), same connections and idle
 * connections; open-loop steps at a fixed rate (rate, equal,
 * search) also the same offered rate. cap50 and cap80 steps and msr rows
 * are one point per model whatever rate the rounds found. */
static int same_point(const struct row *a, const struct row *b)
{
    if (strcmp(a->model, b->model) || a->kind != b->kind ||
        strcmp(a->workload, b->workload) || a->mode != b->mode || a->step != b->step ||
        strcmp(a->host, b->host) ||
        a->conns != b->conns || a->idle != b->idle)
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

/* The numeric fields that get a median, by offset in struct row. */
static const size_t numeric[] = {
    offsetof(struct row, idle_open), offsetof(struct row, threads),
    offsetof(struct row, duration_s), offsetof(struct row, requests),
    offsetof(struct row, req_per_s), offsetof(struct row, bytes_per_s),
    offsetof(struct row, offered_rps), offsetof(struct row, achieved_rps),
    offsetof(struct row, lat_p9999_us), offsetof(struct row, lat_p99_uncorrected_us),
    offsetof(struct row, lag_p99_us), offsetof(struct row, backlog),
    offsetof(struct row, reconnects), offsetof(struct row, srv_cpu_us_per_req),
    offsetof(struct row, cli_cpu_us_per_req),
    offsetof(struct row, lat_mean_us), offsetof(struct row, lat_stdev_us),
    offsetof(struct row, lat_p50_us), offsetof(struct row, lat_p90_us),
    offsetof(struct row, lat_p99_us), offsetof(struct row, lat_p999_us),
    offsetof(struct row, lat_max_us), offsetof(struct row, err_connect),
    offsetof(struct row, err_read), offsetof(struct row, err_write),
    offsetof(struct row, err_status), offsetof(struct row, err_timeout),
    offsetof(struct row, srv_user_s), offsetof(struct row, srv_sys_s),
    offsetof(struct row, srv_cpu_pct), offsetof(struct row, cli_cpu_pct),
    offsetof(struct row, req_per_cpu_s), offsetof(struct row, peak_rss_kb),
    offsetof(struct row, tasks), offsetof(struct row, srv_responses),
    offsetof(struct row, srv_refused), offsetof(struct row, mem_per_idle_b),
    offsetof(struct row, steal_pct), offsetof(struct row, other_pct),
    offsetof(struct row, disk_read_bytes), offsetof(struct row, disk_read_ops),
};

static double field(const struct row *r, size_t off)
{
    return *(const double *)((const char *)r + off);
}

/* Median of one field over the rounds in use (value -1 = not measured). */
static double median_of(const struct row *const *use, int n, size_t off)
{
    double v[256];
    int k = 0;
    for (int i = 0; i < n && k < 256; i++)
        if (field(use[i], off) >= 0)
            v[k++] = field(use[i], off);
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
    for (size_t f = 0; f < sizeof numeric / sizeof numeric[0]; f++)
        *(double *)((char *)&p->med + numeric[f]) = median_of(use, k, numeric[f]);
    if (k == 0) /* the rate asked for still names the point (an open step that crashed) */
        p->med.offered_rps = all[0]->offered_rps;
    /* The spread of the point's main figure: req/s, or for msr rows the
     * sustainable rate; and of the server CPU per request. */
    bool msr = p->med.kind == ROW_KIND_MSR;
    p->rps_min = p->rps_max = p->cpu_min = p->cpu_max = p->p99_min = p->p99_max = -1;
    for (int i = 0; i < k; i++) {
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

/* summary.csv: one line per point. Columns: model, category, workload,
 * kind, mode, step, conns, idle, rounds, ok_rounds, then medians over the
 * ok rounds:
 * offered_rps (msr rows: the maximum sustainable rate), req_per_s and the
 * spread of the point's main figure (req/s, or the sustainable rate on msr
 * rows) req_per_s_min, req_per_s_max, req_per_s_cv_pct, lat_p50_us,
 * lat_p99_us, lat_p999_us, lat_p99_uncorrected_us, lag_p99_us, srv_cpu_pct,
 * cli_cpu_pct, req_per_cpu_s, srv_cpu_us_per_req and its spread
 * srv_cpu_us_per_req_min, _max, peak_rss_kb, tasks, mem_per_idle_b, errors
 * (sum of the classes), srv_refused, steal_pct, other_pct, disk_read_bytes,
 * disk_read_ops; flags (all
 * rounds, plus high-cv), status (the worst round's), note. Empty = not
 * measured. */
static void num(FILE *f, double v, int decimals)
{
    if (v >= 0)
        fprintf(f, "%.*f", decimals, v);
    fputc(',', f);
}

int stats_write_summary(const struct stats_points *p, const char *path, char *err,
                        size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "model,category,workload,kind,mode,step,conns,idle,rounds,ok_rounds,"
               "offered_rps,"
               "req_per_s,req_per_s_min,req_per_s_max,req_per_s_cv_pct,lat_p50_us,"
               "lat_p99_us,lat_p999_us,lat_p99_uncorrected_us,lag_p99_us,srv_cpu_pct,"
               "cli_cpu_pct,req_per_cpu_s,srv_cpu_us_per_req,srv_cpu_us_per_req_min,"
               "srv_cpu_us_per_req_max,peak_rss_kb,tasks,mem_per_idle_b,errors,"
               "srv_refused,steal_pct,other_pct,disk_read_bytes,disk_read_ops,flags,"
               "status,note\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct stats_point *s = &p->v[i];
        const struct row *m = &s->med;
        fprintf(f, "%s,%s,%s,%s,%s,%s,%.0f,%.0f,%d,%d,", m->model, m->category,
                m->workload, row_kind_name(m->kind), row_mode_name(m->mode),
                row_step_name(m->step), m->conns,
                m->idle < 0 ? 0 : m->idle, s->rounds, s->ok_rounds);
        double v[] = {m->offered_rps, m->req_per_s, s->rps_min, s->rps_max,
                      s->rps_cv_pct, m->lat_p50_us, m->lat_p99_us, m->lat_p999_us,
                      m->lat_p99_uncorrected_us, m->lag_p99_us, m->srv_cpu_pct,
                      m->cli_cpu_pct, m->req_per_cpu_s, m->srv_cpu_us_per_req,
                      s->cpu_min, s->cpu_max, m->peak_rss_kb, m->tasks,
                      m->mem_per_idle_b, s->ok_rounds ? row_errors(m) : -1,
                      m->srv_refused, m->steal_pct, m->other_pct, m->disk_read_bytes,
                      m->disk_read_ops};
        int dec[] = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 2, 2, 2, 0, 0, 0, 0, 0, 1, 1,
                     0, 0};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            num(f, v[k], dec[k]);
        csv_write_flags(f, m);
        fprintf(f, ",%s,", row_status_name(m->status));
        csv_write_str(f, m->note);
        fputc('\n', f);
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
