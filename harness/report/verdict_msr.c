/* The sustainable-rate sentence of the verdict (see verdict.c): a best
 * model only if its rate is at least every other model's lower bound;
 * else the bounded models are named as unordered, the others ranked, and
 * loadgen's cost per request beside the server's says why. */
#include "report/verdict_int.h"

#include <string.h>

#include "base/util.h"

/* Loadgen's CPU per request over the server's at the models' sustained
 * equal-load points: median, lowest and highest; false when none. */
static bool client_ratio(const struct report *r, double *med, double *lo, double *hi)
{
    double v[256];
    int n = 0;
    for (size_t i = 0; i < r->points.n && n < 256; i++) {
        const struct row *m = &r->points.v[i].med;
        if (stats_open(m) && m->step == ROW_STEP_EQUAL && verdict_is_model(m->category) &&
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
            verdict_append(noisy, ylen, ", ", strcmp(h->category, "calibration") ?
                           h->model : "the calibration server");
        if (!verdict_is_model(h->category))
            continue;
        if (!h->msr_noisy)
            verdict_append(names, nlen, ", ", h->model);
        verdict_append(all, alen, ", ", h->model);
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
        verdict_append(list, sizeof list, ", ", text);
    }
    verdict_ties(r, Q_MSR, c, n, tie, sizeof tie);
    verdict_versus(r, Q_MSR, 0, c[0].f.med, true, vs, sizeof vs);
    util_format_rate(low, lo, sizeof lo);
    util_format_rate(high, hi, sizeof hi);
    util_format_rate(c[0].f.med, v, sizeof v);
    verdict_say(r, "%s: no best model can be named. %s reached a limit of this machine "
        "first (lower bounds %s%s%s%s req/s, above %s's %s, the highest rate measured to a "
        "server's own limit): their order is unknown here, and load hosts (--load-hosts) "
        "would settle it. Measured to their own limit, best first: %s (%s: %s).%s%s",
        label, bounds,
        strcmp(lo, hi) ? "from " : "of ", lo, strcmp(lo, hi) ? " up to " : "",
        strcmp(lo, hi) ? hi : "", c[0].model, v, list, c[0].model, vs[0] ? vs + 2 :
        "no scale", tie, after);
}

void verdict_msr(struct report *r)
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
    int n = verdict_candidates(r, Q_MSR, 0, c, unranked, sizeof unranked);
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
    verdict_answer(r, Q_MSR, 0, label, extra);
}

