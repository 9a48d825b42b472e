/* summary.md: the headline table in Markdown (see report.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/markdown.h"
#include "options/workloads.h"
#include "report/warn.h"
#include "base/util.h"

static void cell(FILE *f, double v, const char *fmt)
{
    if (v < 0)
        fprintf(f, " - |");
    else {
        fputc(' ', f);
        fprintf(f, fmt, v);
        fprintf(f, " |");
    }
}

/* "31.3 / 28.0": the server's CPU per request, then loadgen's. */
static void cpu_cell(FILE *f, double srv, double cli)
{
    if (srv < 0)
        fprintf(f, " - |");
    else if (cli < 0)
        fprintf(f, " %.1f / - |", srv);
    else
        fprintf(f, " %.1f / %.1f |", srv, cli);
}

static void rate_cell(FILE *f, double v)
{
    char s[32];
    if (v < 0) {
        fprintf(f, " - |");
        return;
    }
    util_format_rate(v, s, sizeof s);
    fprintf(f, " %s |", s);
}

static void header(FILE *f, const struct report *r)
{
    char rate[32];
    fprintf(f, "| model | category |");
    if (r->open) {
        for (int e = 0; r->mixed && e < r->n_equal; e++) {
            util_format_rate(r->equal[e], rate, sizeof rate);
            fprintf(f, " cheap p99 ms at %s/s (figure of merit) | expensive p99 ms at %s/s |",
                    rate, rate);
        }
        fprintf(f, " max sustainable req/s (p99 <= %s ms) |", r->run.slo_ms);
        for (int e = 0; e < r->n_equal; e++) {
            util_format_rate(r->equal[e], rate, sizeof rate);
            fprintf(f, " server / loadgen CPU us/req at %s/s |", rate);
        }
        fprintf(f, " p99 ms at 50%% of max | p99 ms at 80%% of max |");
    }
    fprintf(f, " best req/s (closed) |");
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, " req/s c=%d |", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, " p99 ms c=%d |", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, " req/CPU-s c=%d |", r->levels[l]);
    fprintf(f, " vs nginx | KiB/idle conn | status |\n|---|---|---:|");
    for (int e = 0; r->open && e < r->n_equal + 3 + (r->mixed ? 2 * r->n_equal : 0); e++)
        fprintf(f, "---:|");
    for (int l = 0; l < 3 * r->n_levels; l++)
        fprintf(f, "---:|");
    fprintf(f, "---:|---:|---|\n");
}

/* One line per kind of warning; its points are in report.html. */
static void warnings(FILE *f, const struct report *r)
{
    fprintf(f, "\n## Warnings\n\n");
    if (r->n_warn == 0)
        fprintf(f, "None.\n");
    for (int k = 0; k < WARN_KINDS; k++)
        if (r->warn_kinds[k].count)
            fprintf(f, "- **%s**: %s\n", warn_name(k), r->warn_kinds[k].line);
    if (r->n_warn)
        fprintf(f, "\nEach point: report.html, section Warnings.\n");
}

static void verdict(FILE *f, const struct report *r)
{
    fprintf(f, "## Verdict\n\n");
    for (int i = 0; i < r->n_verdict; i++) {
        const char *v = r->verdict[i], *colon = strstr(v, ": ");
        if (i && colon) /* the question in bold, then the answer */
            fprintf(f, "- **%.*s**%s\n", (int)(colon - v), v, colon);
        else
            fprintf(f, i ? "- %s\n" : "%s\n\n", v);
    }
    fprintf(f, "\n## Headline\n\n");
}

static void headline_row(FILE *f, const struct report *r, const struct report_headline *h)
{
    bool ref = strcmp(h->category, "reference") == 0 ||
               strcmp(h->category, "calibration") == 0;
    fprintf(f, "| %s%s%s | %s |", ref ? "*" : "**", h->model, ref ? "*" : "**",
            h->category);
    if (r->open) {
        for (int e = 0; r->mixed && e < r->n_equal; e++) {
            cell(f, h->cheap_ms[e], "%.2f");
            cell(f, h->expensive_ms[e], "%.2f");
        }
        if (h->msr < 0)
            fprintf(f, " - |");
        else if (h->msr == 0)
            fprintf(f, " none |");
        else {
            char s[32];
            util_format_rate(h->msr, s, sizeof s);
            fprintf(f, " %s%s |", h->msr_lower_bound ? ">= " : "", s);
        }
        for (int e = 0; e < r->n_equal; e++)
            cpu_cell(f, h->cpu_us[e], h->cli_us[e]);
        cell(f, h->p99_cap50_ms, "%.2f");
        cell(f, h->p99_cap80_ms, "%.2f");
    }
    if (h->best_rps < 0)
        fprintf(f, " - |");
    else {
        char s[32];
        util_format_rate(h->best_rps, s, sizeof s);
        fprintf(f, " %s (c=%d) |", s, h->best_conns);
    }
    for (int l = 0; l < r->n_levels; l++)
        rate_cell(f, h->rps[l]);
    for (int l = 0; l < r->n_levels; l++)
        cell(f, h->p99_ms[l], "%.2f");
    for (int l = 0; l < r->n_levels; l++)
        rate_cell(f, h->eff[l]);
    cell(f, h->vs_nginx, "%.2f");
    cell(f, h->mem_per_conn_kib, "%.1f");
    fprintf(f, " %s |\n", report_status(h));
}

/* --workload slow-clients: p99 ms and server CPU us per request per number
 * of clients; "*" = not sustained. */
void markdown_slow(FILE *f, const struct report *r)
{
    double conns[16];
    int n = report_slow_conns(r, conns, 16);
    if (n == 0)
        return;
    fprintf(f, "\nMany slow clients (each connection a few req/s; p99 ms / server CPU "
               "us per request; * not sustained):\n\n| model |");
    for (int k = 0; k < n; k++)
        fprintf(f, " %.0f clients |", conns[k]);
    fprintf(f, "\n|---|");
    for (int k = 0; k < n; k++)
        fprintf(f, "---:|");
    fputc('\n', f);
    for (int i = 0; i < r->n_head; i++) {
        fprintf(f, "| %s |", r->head[i].model);
        for (int k = 0; k < n; k++) {
            const struct stats_point *p = report_slow_point(r, r->head[i].model, conns[k]);
            if (!p || p->med.status != ROW_STATUS_OK || p->med.lat_p99_us < 0)
                fprintf(f, " %s |", p ? row_status_name(p->med.status) : "-");
            else
                fprintf(f, " %.2f / %.1f%s |", p->med.lat_p99_us / 1000,
                        p->med.srv_cpu_us_per_req, row_sustained(&p->med) ? "" : " *");
        }
        fputc('\n', f);
    }
}

/* A p99 (us) as ms, or the point's status, "-" when there is none; " *"
 * when not sustained. */
static void p99_cell(FILE *f, const struct stats_point *p, double us)
{
    if (!p || p->med.status != ROW_STATUS_OK || us < 0) /* the status says why */
        fprintf(f, " %s |", p && p->med.status != ROW_STATUS_OK
                                ? row_status_name(p->med.status) : "-");
    else
        fprintf(f, " %.2f%s |", us / 1000, row_sustained(&p->med) ? "" : " *");
}

/* --workload mixed: per model and equal-load rate, the cheap p99 in the
 * mix and alone, their ratio, the expensive p99, server CPU per request. */
void markdown_mixed(FILE *f, const struct report *r)
{
    char rate[32], alone[32];
    if (!r->mixed || r->n_equal == 0)
        return;
    fprintf(f, "\n## Cheap requests behind expensive ones\n\nmixed: p99 ms from each "
               "request's due time, per class; alone = the same cheap requests at the same rate "
               "without the expensive ones; * not sustained. %s\n\n| model | equal load "
               "| cheap p99 mix | cheap p99 alone | mix / alone | expensive p99 | server "
               "CPU us/req |\n|---|---:|---:|---:|---:|---:|---:|\n", REPORT_MIXED_RATIO);
    for (int i = 0; i < r->n_head; i++)
        for (int e = 0; e < r->n_equal; e++) {
            const char *model = r->head[i].model;
            const struct stats_point *p = stats_find_open(
                &r->points, model, ROW_KIND_LOAD, ROW_STEP_EQUAL, r->equal[e]);
            const struct stats_point *a = report_alone_point(r, model, e);
            double ratio = report_mixed_ratio(p, a);
            util_format_rate(r->equal[e], rate, sizeof rate);
            util_format_rate(r->alone[e], alone, sizeof alone);
            fprintf(f, "| %s | %s req/s (cheap %s) |", model, rate,
                    r->alone[e] > 0 ? alone : "-");
            p99_cell(f, p, p ? p->med.cheap_p99_us : -1);
            p99_cell(f, a, report_cheap_p99_us(a));
            if (ratio < 0)
                fprintf(f, " - |");
            else
                fprintf(f, " %.2fx |", ratio);
            p99_cell(f, p, p ? p->med.expensive_p99_us : -1);
            if (!p || p->med.status != ROW_STATUS_OK || p->med.srv_cpu_us_per_req < 0)
                fprintf(f, " - |\n");
            else
                fprintf(f, " %.1f |\n", p->med.srv_cpu_us_per_req);
        }
}

int markdown_write(const struct report *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# c10k-lab results, %s\n\n", r->run.date);
    verdict(f, r);
    fprintf(f, "%s, %s. Medians over the rounds; "
               "Open loop (loadgen, fixed offered rates, latency from each request's due "
               "time): the maximum sustainable rate within the p99 SLO (>= : a lower "
               "bound, loadgen's own limit or the machine's noise came first), server "
               "CPU microseconds per request at equal offered load, p99 at 50%% and 80%% "
               "of each server's own maximum. Closed loop (wrk, saturation): req/s and "
               "p99 from wrk, req/CPU-s = responses per second of server CPU (the whole "
               "process tree: its control group, else /proc). \"vs nginx\" = req/CPU-s "
               "relative to nginx (geometric mean over the levels shown). KiB/idle conn "
               "= server memory (PSS) growth per idle keep-alive connection. calibration and "
               "reference rows"
               " are not models.%s%s\n\nWorkload: %s.\n\n", r->run.cpu, r->run.kernel,
            r->open ? " " : "", r->open ? REPORT_LOADGEN_NOTE : "", r->run.workload);
    header(f, r);
    for (int i = 0; i < r->n_head; i++)
        headline_row(f, r, &r->head[i]);
    for (int i = 0; workloads_get(i); i++) /* each workload's own section */
        if (workloads_get(i)->markdown_section)
            workloads_get(i)->markdown_section(f, r);
    warnings(f, r);
    if (strcmp(r->run.load_hosts, "?"))
        fprintf(f, "\nLoad offered over ssh by %s, each its share; the figures merge "
                   "them (each host's own rows: report.html).\n", r->run.load_hosts);
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
