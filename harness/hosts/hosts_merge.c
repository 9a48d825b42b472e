/* Load hosts: what each host measured, merged into one point, and each
 * host's own row (see hosts.h). Latencies merge exactly only as histograms:
 * a percentile of the union is not any average of the hosts' percentiles. */
#include "hosts/hosts_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tools/client.h"
#include "base/util.h"

static const char *const hist_names[] = {"corrected", "uncorrected", "lag"};

/* The three histogram lines and the result line of host h's output. */
static int parse_host(struct load_host *h)
{
    struct hist *into[] = {&h->corrected, &h->uncorrected, &h->lag};
    bool seen[3] = {false, false, false};
    char name[HIST_NAME_MAX], prefix[64];
    for (const char *p = h->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        for (int k = 0; k < 3; k++) {
            snprintf(prefix, sizeof prefix, "hist name=%s ", hist_names[k]);
            if (strncmp(p, prefix, strlen(prefix)) == 0)
                seen[k] = hist_parse(into[k], p, name, sizeof name) == 0;
        }
    if (h->out && loadgen_parse_output(h->out, &h->res) == 0 && seen[0] && seen[1] &&
        seen[2])
        return 0;
    snprintf(h->err, sizeof h->err, "%s: loadgen's output lacks %s", h->r.dest,
             !seen[0] || !seen[1] || !seen[2] ? "a histogram line" : "its result line");
    return -1;
}

static uint64_t us(uint64_t ns)
{
    return (ns + 500) / 1000; /* as loadgen rounds */
}

/* Counters of struct lg_result that add up over hosts. */
static const size_t summed[] = {
    offsetof(struct lg_result, sent), offsetof(struct lg_result, completed),
    offsetof(struct lg_result, backlog), offsetof(struct lg_result, errors),
    offsetof(struct lg_result, bytes), offsetof(struct lg_result, reconnects),
    offsetof(struct lg_result, err_connect), offsetof(struct lg_result, err_read),
    offsetof(struct lg_result, err_write), offsetof(struct lg_result, err_status),
    offsetof(struct lg_result, err_timeout), offsetof(struct lg_result, err_parse),
    offsetof(struct lg_result, warmup_completed),
};

/* Sums the counts over the shared window; percentiles of the merged
 * histograms. */
static void merge(struct hosts *hs, struct lg_result *m)
{
    memset(m, 0, sizeof *m);
    hist_init(&hs->corrected);
    hist_init(&hs->uncorrected);
    hist_init(&hs->lag);
    for (int i = 0; i < hs->n; i++) {
        const struct load_host *h = &hs->h[i];
        if (h->conns <= 0)
            continue;
        for (size_t k = 0; k < sizeof summed / sizeof summed[0]; k++)
            *(uint64_t *)((char *)m + summed[k]) +=
                *(const uint64_t *)((const char *)&h->res + summed[k]);
        m->duration_s = h->res.duration_s; /* the same window everywhere */
        m->client_cpu_s += h->res.client_cpu_s;
        m->client_cpu_pct += h->res.client_cpu_pct;
        hist_merge(&hs->corrected, &h->corrected);
        hist_merge(&hs->uncorrected, &h->uncorrected);
        hist_merge(&hs->lag, &h->lag);
    }
    const struct hist *c = &hs->corrected;
    m->offered_rps = hs->rate;
    m->achieved_rps = m->duration_s > 0 ? (double)m->completed / m->duration_s : 0;
    m->mean_us = hist_mean(c) / 1000.0;
    m->p50_us = us(hist_percentile(c, 50));
    m->p90_us = us(hist_percentile(c, 90));
    m->p99_us = us(hist_percentile(c, 99));
    m->p999_us = us(hist_percentile(c, 99.9));
    m->p9999_us = us(hist_percentile(c, 99.99));
    m->max_us = us(c->max_ns);
    m->p99_uncorrected_us = us(hist_percentile(&hs->uncorrected, 99));
    m->lag_p99_us = us(hist_percentile(&hs->lag, 99));
}

int hosts_finish(struct hosts *hs, struct lg_result *merged, char *err,
                 size_t errlen)
{
    const struct load_host *failed = NULL;
    while (hosts_poll(hs, 100) == 0)
        ;
    for (int i = 0; i < hs->n; i++) {
        struct load_host *h = &hs->h[i];
        if (h->conns <= 0)
            continue;
        if (h->ok && parse_host(h))
            h->ok = false;
        if (!h->ok && !h->err[0])
            snprintf(h->err, sizeof h->err, "%s: loadgen failed", h->r.dest);
        if (!h->ok && !failed)
            failed = h;
    }
    memset(merged, 0, sizeof *merged);
    if (failed) {
        snprintf(err, errlen, "%s", failed->err);
        return -1;
    }
    merge(hs, merged);
    return 0;
}

/* The same rule as a local loadgen's (measure.c): its threads' CPUs busy,
 * or requests sent late. */
static bool client_bound(const struct load_host *h)
{
    return h->ok && (h->res.client_cpu_pct >= CLIENT_BUSY_FRACTION * 100.0 * h->threads ||
                     h->res.lag_p99_us > CLIENT_LAG_US);
}

/* client-bound if any host was; hosts-uneven when what they achieved, per
 * share of the load they were given, differs by more than 10%. */
static void flag_merged(const struct hosts *hs, struct row *r)
{
    double lo = -1, hi = -1;
    char each[400] = "";
    for (int i = 0; i < hs->n; i++) {
        const struct load_host *h = &hs->h[i];
        if (client_bound(h)) {
            row_flag(r, ROW_FLAG_CLIENT_BOUND);
            row_note(r, "%s: loadgen at %.0f%% CPU (%d thread%s), send lag p99 %llu us",
                     h->r.dest, h->res.client_cpu_pct, h->threads,
                     h->threads > 1 ? "s" : "", (unsigned long long)h->res.lag_p99_us);
        }
        if (!h->ok || h->conns <= 0)
            continue;
        double share = hs->closed ? (double)h->conns / hs->conns : h->rate / hs->rate;
        double v = h->res.achieved_rps / share;
        lo = lo < 0 || v < lo ? v : lo;
        hi = v > hi ? v : hi;
        size_t n = strlen(each);
        snprintf(each + n, sizeof each - n, "%s%s %.0f req/s", n ? ", " : "", h->r.dest,
                 h->res.achieved_rps);
    }
    if (hi > 0 && lo < (1 - HOSTS_UNEVEN) * hi) {
        row_flag(r, ROW_FLAG_HOSTS_UNEVEN);
        row_note(r, "the hosts achieved %s: more than %.0f%% apart for equal shares",
                 each, HOSTS_UNEVEN * 100);
    }
    if (hs->late_s > 0)
        row_note(r, "the last host started %.0f ms after t0 (ssh sessions slower than "
                 "expected): its first requests went out late", hs->late_s * 1000);
}

/* Host h's own row: r's point (model, kind, step...), h's share and what
 * it measured; the server's figures belong to the merged row only. */
static void host_row(struct hosts *hs, const struct row *r, const struct load_host *h)
{
    if (hs->n_rows == hs->cap_rows) {
        size_t cap = hs->cap_rows ? 2 * hs->cap_rows : 64;
        struct row *p = realloc(hs->rows, cap * sizeof *p);
        if (!p)
            return; /* the merged row still holds the point */
        hs->rows = p;
        hs->cap_rows = cap;
    }
    struct row *x = &hs->rows[hs->n_rows++];
    row_init(x);
    memcpy(x->model, r->model, sizeof x->model);
    memcpy(x->category, r->category, sizeof x->category);
    x->kind = r->kind;
    x->mode = r->mode;
    x->step = r->step;
    memcpy(x->workload, r->workload, sizeof x->workload);
    snprintf(x->host, sizeof x->host, "%s", h->r.dest);
    x->round = r->round;
    x->idle = r->idle;
    x->pipeline = r->pipeline;
    x->conns = h->conns;
    x->threads = h->threads;
    x->offered_rps = hs->closed ? -1 : h->rate;
    if (!h->ok) {
        x->status = ROW_STATUS_FAILED;
        row_note(x, "%s", h->err);
        return;
    }
    loadgen_fill_row(x, &h->res);
    if (hs->closed)
        x->offered_rps = x->achieved_rps = -1;
    x->cli_cpu_pct = h->res.client_cpu_pct;
    x->cli_cpu_us_per_req = h->res.completed ? 1e6 * h->res.client_cpu_s / h->res.completed : -1;
    if (client_bound(h))
        row_flag(x, ROW_FLAG_CLIENT_BOUND);
    if (!hs->closed && x->achieved_rps < ROW_ACHIEVED * x->offered_rps)
        row_flag(x, ROW_FLAG_UNSUSTAINED);
    if (row_errors(x) > 0)
        row_flag(x, ROW_FLAG_ERRORS);
    if (x->err_connect > 0)
        row_flag(x, ROW_FLAG_REFUSED);
}

void hosts_record(struct hosts *hs, struct row *r)
{
    snprintf(r->host, sizeof r->host, "all");
    r->threads = 0;
    for (int i = 0; i < hs->n; i++)
        r->threads += hs->h[i].conns > 0 ? hs->h[i].threads : 0;
    flag_merged(hs, r);
    size_t before = hs->n_rows;
    for (int i = 0; i < hs->n; i++)
        if (hs->h[i].conns > 0)
            host_row(hs, r, &hs->h[i]);
    hs->last_rows = hs->n_rows - before;
}

const struct hist *hosts_corrected(const struct hosts *hs)
{
    return &hs->corrected;
}

void hosts_unrecord(struct hosts *hs)
{
    hs->n_rows -= hs->last_rows;
    hs->last_rows = 0;
}

int hosts_write_rows(struct hosts *hs, FILE *csv)
{
    int rc = 0;
    for (size_t i = 0; hs && i < hs->n_rows; i++)
        rc |= csv_write_row(csv, &hs->rows[i]);
    if (hs)
        hs->n_rows = 0;
    return rc ? -1 : 0;
}
