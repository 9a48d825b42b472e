/* A run's results.csv and meta.txt read into struct report: points,
 * headline levels, equal-load rates, a db run's q, the headline per model (see
 * report.h). The pages, plots and warnings are written from it by the
 * files above (generate.c). */
#include "report/report.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "results/csv.h"
#include "base/util.h"

static const int preferred[REPORT_LEVELS] = {256, 1024, 10000};

/* 256, 1024 and 10000 where measured, else the highest levels measured. */
static void choose_levels(struct report *r)
{
    int all[64], n = 0;
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        bool dup = m->kind != ROW_KIND_LOAD || m->idle > 0 || m->mode != ROW_MODE_CLOSED;
        for (int k = 0; k < n && !dup; k++)
            dup = all[k] == (int)m->conns;
        if (!dup && n < 64)
            all[n++] = (int)m->conns;
    }
    r->n_levels = 0;
    for (int p = 0; p < REPORT_LEVELS; p++)
        for (int k = 0; k < n; k++)
            if (all[k] == preferred[p])
                r->levels[r->n_levels++] = preferred[p];
    if (r->n_levels > 0)
        return;
    for (int p = 0; p < REPORT_LEVELS && p < n; p++) { /* highest first, then sort */
        int best = -1;
        for (int k = 0; k < n; k++) {
            bool used = false;
            for (int q = 0; q < r->n_levels; q++)
                used |= r->levels[q] == all[k];
            if (!used && (best < 0 || all[k] > all[best]))
                best = k;
        }
        r->levels[r->n_levels++] = all[best];
    }
    for (int a = 0; a < r->n_levels; a++)
        for (int b = a + 1; b < r->n_levels; b++)
            if (r->levels[b] < r->levels[a]) {
                int t = r->levels[a];
                r->levels[a] = r->levels[b];
                r->levels[b] = t;
            }
}

static bool good(const struct stats_point *p)
{
    return p && p->ok_rounds > 0 && p->med.requests > 0;
}

static void sort_rates(double *v, int n)
{
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (v[b] < v[a]) {
                double t = v[a];
                v[a] = v[b];
                v[b] = t;
            }
}

/* mixed: the alone rates of the run, ascending, paired with the equal-load
 * rates in their order (the same share of each). */
static void find_alone(struct report *r)
{
    double v[REPORT_EQUAL + 1];
    int n = 0;
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        bool dup = !stats_open(m) || m->step != ROW_STEP_ALONE || m->offered_rps <= 0;
        for (int k = 0; k < n && !dup; k++)
            dup = v[k] == m->offered_rps;
        if (!dup && n <= REPORT_EQUAL)
            v[n++] = m->offered_rps;
    }
    sort_rates(v, n);
    for (int e = 0; e < REPORT_EQUAL; e++)
        r->alone[e] = n == r->n_equal && e < n ? v[e] : -1;
}

/* The equal-load rates of the run: offered rates of its equal steps. */
static void find_equal(struct report *r)
{
    r->n_equal = 0;
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        bool dup = !stats_open(m) || m->step != ROW_STEP_EQUAL || m->offered_rps <= 0;
        r->open |= stats_open(m) || m->kind == ROW_KIND_MSR;
        r->mixed |= m->cheap_p99_us >= 0;
        for (int k = 0; k < r->n_equal && !dup; k++)
            dup = r->equal[k] == m->offered_rps;
        if (!dup && r->n_equal < REPORT_EQUAL)
            r->equal[r->n_equal++] = m->offered_rps;
    }
    sort_rates(r->equal, r->n_equal);
    find_alone(r);
}

/* An inconsistent point (stats.h) shows no figure in the headline. */
static bool consistent(const struct stats_point *p)
{
    return good(p) && !row_has_flag(&p->med, ROW_FLAG_INCONSISTENT);
}

static void open_of(const struct report *r, struct report_headline *h)
{
    const struct stats_point *p =
        stats_find_open(&r->points, h->model, ROW_KIND_MSR, ROW_STEP_NONE, -1);
    h->msr = h->msr_min = h->msr_max = h->p99_cap50_ms = h->p99_cap80_ms = -1;
    h->inconsistent = false;
    for (size_t i = 0; i < r->points.n; i++) /* its figures carry no claim */
        h->inconsistent |= strcmp(r->points.v[i].med.model, h->model) == 0 &&
                           row_has_flag(&r->points.v[i].med, ROW_FLAG_INCONSISTENT);
    if (p && p->ok_rounds > 0 && !row_has_flag(&p->med, ROW_FLAG_INCONSISTENT)) {
        h->msr = p->med.offered_rps;
        h->msr_min = p->rps_min;
        h->msr_max = p->rps_max;
        h->msr_lower_bound = row_has_flag(&p->med, ROW_FLAG_LOWER_BOUND);
        h->msr_noisy = row_has_flag(&p->med, ROW_FLAG_NOISY);
    }
    for (int e = 0; e < r->n_equal; e++) {
        p = stats_find_open(&r->points, h->model, ROW_KIND_LOAD, ROW_STEP_EQUAL, r->equal[e]);
        bool ok = consistent(p) && row_sustained(&p->med);
        h->cpu_us[e] = ok ? p->med.srv_cpu_us_per_req : -1;
        h->cli_us[e] = ok ? p->med.cli_cpu_us_per_req : -1;
        h->cpu_us_min[e] = ok ? p->cpu_min : -1;
        h->cpu_us_max[e] = ok ? p->cpu_max : -1;
        h->cheap_ms[e] = ok && p->med.cheap_p99_us >= 0 ? p->med.cheap_p99_us / 1000 : -1;
        h->expensive_ms[e] = ok && p->med.expensive_p99_us >= 0
                                 ? p->med.expensive_p99_us / 1000 : -1;
    }
    p = stats_find_open(&r->points, h->model, ROW_KIND_LOAD, ROW_STEP_CAP50, -1);
    h->p99_cap50_ms = consistent(p) ? p->med.lat_p99_us / 1000 : -1;
    p = stats_find_open(&r->points, h->model, ROW_KIND_LOAD, ROW_STEP_CAP80, -1);
    h->p99_cap80_ms = consistent(p) ? p->med.lat_p99_us / 1000 : -1;
}

static void headline_of(struct report *r, struct report_headline *h)
{
    open_of(r, h);
    h->best_rps = -1;
    h->mem_per_conn_kib = -1;
    h->status = ROW_STATUS_OK;
    h->starved = false;
    for (size_t i = 0; i < r->points.n; i++) {
        const struct stats_point *p = &r->points.v[i];
        if (strcmp(p->med.model, h->model))
            continue;
        /* A search step that got no answer is how the search found the
         * limit, not a failure of the server. */
        if (p->med.step == ROW_STEP_SEARCH && p->med.status != ROW_STATUS_CRASHED)
            continue;
        /* The mixed workload's cheap requests alone are its baseline, no
         * figure of the headline; only a crash there counts. */
        if (p->med.step == ROW_STEP_ALONE && p->med.status != ROW_STATUS_CRASHED)
            continue;
        if (p->med.status != ROW_STATUS_OK && h->status != ROW_STATUS_CRASHED)
            h->status = p->med.status;
        else if (row_has_flag(&p->med, ROW_FLAG_STARVED) && h->status == ROW_STATUS_OK)
            h->starved = true;
        if (good(p) && p->med.kind == ROW_KIND_LOAD && p->med.idle <= 0 &&
            p->med.mode == ROW_MODE_CLOSED && p->med.req_per_s > h->best_rps) {
            h->best_rps = p->med.req_per_s;
            h->best_conns = (int)p->med.conns;
        }
    }
    const struct stats_point *mem = stats_memory_point(&r->points, h->model);
    h->mem_per_conn_kib = mem ? mem->med.mem_per_idle_b / 1024.0 : -1;
    for (int l = 0; l < r->n_levels; l++) {
        const struct stats_point *p = stats_find(&r->points, h->model, r->levels[l]);
        h->rps[l] = good(p) ? p->med.req_per_s : -1;
        h->p99_ms[l] = good(p) ? p->med.lat_p99_us / 1000.0 : -1;
        h->eff[l] = good(p) ? p->med.req_per_cpu_s : -1;
    }
}

/* Geometric mean over the headline levels of eff / nginx's eff. */
static void compare_nginx(struct report *r)
{
    const struct report_headline *ng = NULL;
    for (int i = 0; i < r->n_head; i++)
        if (strcmp(r->head[i].model, "nginx") == 0)
            ng = &r->head[i];
    for (int i = 0; i < r->n_head; i++) {
        double logsum = 0;
        int n = 0;
        for (int l = 0; ng && l < r->n_levels; l++)
            if (r->head[i].eff[l] > 0 && ng->eff[l] > 0) {
                logsum += log(r->head[i].eff[l] / ng->eff[l]);
                n++;
            }
        r->head[i].vs_nginx = n ? exp(logsum / n) : -1;
    }
}

static void build_headline(struct report *r)
{
    r->n_head = 0;
    for (size_t i = 0; i < r->points.n && r->n_head < REPORT_MAX_MODELS; i++) {
        const struct row *m = &r->points.v[i].med;
        bool seen = false;
        for (int k = 0; k < r->n_head; k++)
            seen |= strcmp(r->head[k].model, m->model) == 0;
        if (seen)
            continue;
        struct report_headline *h = &r->head[r->n_head++];
        memset(h, 0, sizeof *h);
        snprintf(h->model, sizeof h->model, "%s", m->model);
        snprintf(h->category, sizeof h->category, "%s", m->category);
        headline_of(r, h);
    }
    compare_nginx(r);
}

const char *report_status(const struct report_headline *h)
{
    if (h->status == ROW_STATUS_OK && h->inconsistent)
        return "inconsistent";
    return h->status == ROW_STATUS_OK && h->starved ? "starved" : row_status_name(h->status);
}

void report_meta(const struct report *r, const char *key, char *out, size_t outlen)
{
    char pat[64];
    snprintf(out, outlen, "?");
    snprintf(pat, sizeof pat, "\n%s: ", key);
    const char *p = r->meta ? strstr(r->meta, pat) : NULL;
    if (p)
        snprintf(out, outlen, "%.*s", (int)strcspn(p + strlen(pat), "\n"), p + strlen(pat));
}

/* --db-delay-ms as workload_detail words it, -1 where it does not: the
 * fallback for a meta.txt without slo_db_wait_ms_per_query, which is
 * written only with D > 0, and was not before the SLO added it
 * (results/reference/db-d2, D = 2 ms). */
static int db_delay_of_detail(const struct report *r)
{
    char detail[1024];
    report_meta(r, "workload_detail", detail, sizeof detail);
    const char *d = strstr(detail, "--db-delay-ms ");
    return d ? atoi(d + strlen("--db-delay-ms ")) : -1;
}

static void read_run(struct report *r)
{
    struct report_run *run = &r->run;
    char quick[8];
    snprintf(run->date, sizeof run->date, "%.19s", r->meta && strncmp(r->meta, "date: ", 6) == 0
                                                       ? r->meta + 6 : "?");
    report_meta(r, "cpu", run->cpu, sizeof run->cpu);
    report_meta(r, "kernel", run->kernel, sizeof run->kernel);
    report_meta(r, "slo_p99_ms", run->slo_ms, sizeof run->slo_ms);
    char wait[16]; /* db, queries: the SLO has the database's wait on top */
    report_meta(r, "slo_db_wait_ms_per_query", wait, sizeof wait);
    if (atoi(wait) > 0) {
        char base[sizeof run->slo_ms];
        snprintf(base, sizeof base, "%s", run->slo_ms);
        snprintf(run->slo_ms, sizeof run->slo_ms, "%.5s + %.3s q", base, wait);
    }
    run->db_delay_ms = strcmp(wait, "?") ? atoi(wait) : db_delay_of_detail(r);
    report_meta(r, "load_hosts", run->load_hosts, sizeof run->load_hosts);
    report_meta(r, "target", run->target, sizeof run->target);
    report_meta(r, "quick", quick, sizeof quick);
    run->quick = strcmp(quick, "yes") == 0;
    report_meta(r, "workload_detail", run->workload, sizeof run->workload);
    if (strcmp(run->workload, "?") == 0) /* a run from before workloads */
        snprintf(run->workload, sizeof run->workload, "file: one cached file");
    report_meta(r, "disk", run->disk, sizeof run->disk);
}

const struct stats_point *report_slow_point(const struct report *r, const char *model,
                                            double conns)
{
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        if (stats_open(m) && m->step == ROW_STEP_SLOW && m->conns == conns &&
            strcmp(m->model, model) == 0)
            return &r->points.v[i];
    }
    return NULL;
}

double report_cheap_p99_us(const struct stats_point *p)
{
    if (!p)
        return -1;
    return p->med.cheap_p99_us >= 0 ? p->med.cheap_p99_us : p->med.lat_p99_us;
}

double report_mixed_ratio(const struct stats_point *mix, const struct stats_point *alone)
{
    bool ok = good(mix) && good(alone) && mix->med.status == ROW_STATUS_OK &&
              alone->med.status == ROW_STATUS_OK && row_sustained(&mix->med) &&
              row_sustained(&alone->med);
    double m = ok ? mix->med.cheap_p99_us : -1, a = report_cheap_p99_us(alone);
    return ok && m >= 0 && a > 0 ? m / a : -1;
}

const struct stats_point *report_alone_point(const struct report *r, const char *model,
                                             int e)
{
    if (e < 0 || e >= r->n_equal || r->alone[e] <= 0)
        return NULL;
    return stats_find_open(&r->points, model, ROW_KIND_LOAD, ROW_STEP_ALONE, r->alone[e]);
}

int report_slow_conns(const struct report *r, double *conns, int max)
{
    int n = 0;
    for (size_t i = 0; i < r->points.n; i++) {
        const struct row *m = &r->points.v[i].med;
        bool dup = !stats_open(m) || m->step != ROW_STEP_SLOW;
        for (int k = 0; k < n && !dup; k++)
            dup = conns[k] == m->conns;
        int at = n;
        while (!dup && n < max && at > 0 && conns[at - 1] > m->conns) {
            conns[at] = conns[at - 1]; /* insertion keeps them ascending */
            at--;
        }
        if (!dup && n < max) {
            conns[at] = m->conns;
            n++;
        }
    }
    return n;
}

/* db, queries: the q measured (r->db_qs), the first q first, the further
 * ones ascending; none when the run is of neither workload. */
static void find_db_qs(struct report *r)
{
    int *qs = r->db_qs, n = 0;
    bool db = false;
    for (size_t i = 0; i < r->points.n; i++)
        db |= !strcmp(r->points.v[i].med.workload, "db") ||
              !strcmp(r->points.v[i].med.workload, "queries");
    if (db)
        qs[n++] = r->first_q; /* 0: the db workload's one query */
    for (size_t i = 0; db && i < r->q_points.n; i++) {
        int q = (int)r->q_points.v[i].med.db_queries, seen = 0;
        for (int k = 0; k < n; k++)
            seen |= qs[k] == q;
        if (!seen && n < REPORT_DB_QS)
            qs[n++] = q;
    }
    if (n > 2) /* the further q ascending, as --db-queries lists them */
        qsort(qs + 1, (size_t)(n - 1), sizeof *qs, util_cmp_int);
    r->n_db_qs = n;
}

/* A load host's own rows become points of their own (r->host_points),
 * shown in their table and never taken for extra points of the headline,
 * plots or warnings: the merged rows (host=all) are the points. So do the
 * rows of the queries workload's further q (r->q_points): the first q's
 * (the first row's q, the closed loop's) are the points. */
static int split_points(struct report *r, struct row *rows, size_t n)
{
    struct row *own = malloc((n ? n : 1) * sizeof *own);
    struct row *further = malloc((n ? n : 1) * sizeof *further);
    size_t k = 0, h = 0, q = 0;
    int rc = -1;
    if (!own || !further)
        goto out;
    for (size_t i = 0; i < n && !r->first_q; i++)
        r->first_q = rows[i].db_queries > 0 ? (int)rows[i].db_queries : 0;
    for (size_t i = 0; i < n; i++)
        if (stats_per_host(&rows[i]))
            own[h++] = rows[i];
        else if (rows[i].db_queries > 0 && rows[i].db_queries != r->first_q)
            further[q++] = rows[i];
        else
            rows[k++] = rows[i];
    rc = stats_points(rows, k, &r->points) || stats_points(own, h, &r->host_points) ||
         stats_points(further, q, &r->q_points) ? -1 : 0;
out:
    free(own);
    free(further);
    return rc;
}

int report_load(struct report *r, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct row *rows;
    size_t n;
    memset(r, 0, sizeof *r);
    r->dir = dir;
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (csv_read(path, &rows, &n, err, errlen))
        return -1;
    stats_mark_inconsistent(rows, n); /* a run of an older version was not */
    int rc = split_points(r, rows, n);
    free(rows);
    if (rc) {
        snprintf(err, errlen, "reading results.csv: out of memory");
        return -1;
    }
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    char ignored[256];
    if (util_read_file(path, &r->meta, NULL, ignored, sizeof ignored))
        r->meta = NULL;
    read_run(r);
    choose_levels(r);
    find_equal(r);
    find_db_qs(r);
    build_headline(r);
    return 0;
}

void report_free(struct report *r)
{
    stats_free(&r->points);
    stats_free(&r->host_points);
    stats_free(&r->q_points);
    free(r->meta);
    r->meta = NULL;
}
