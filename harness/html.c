/* report.html: one self-contained page, plots embedded (see report.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

static const char *style =
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;"
    "padding:0 1em;color:#222}table{border-collapse:collapse;font-size:13px;"
    "margin:1em 0}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}"
    "th{background:#f0f0f0}td.l,th.l{text-align:left}tr.ref td{color:#555;"
    "font-style:italic}tr.bad td{background:#fdecea}figure{margin:1.5em 0}"
    "img{max-width:100%}pre{background:#f6f6f6;padding:1em;overflow:auto}"
    ".warn li{margin:.2em 0}h2{border-bottom:1px solid #ddd}";

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void base64(FILE *f, const unsigned char *p, size_t n)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        fputc(t[v >> 18 & 63], f);
        fputc(t[v >> 12 & 63], f);
        fputc(i + 1 < n ? t[v >> 6 & 63] : '=', f);
        fputc(i + 2 < n ? t[v & 63] : '=', f);
    }
}

static void num(FILE *f, double v, const char *fmt)
{
    fputs("<td>", f);
    if (v < 0)
        fputs("-", f);
    else
        fprintf(f, fmt, v);
    fputs("</td>", f);
}

static void rate(FILE *f, double v)
{
    char s[32];
    util_format_rate(v, s, sizeof s);
    fprintf(f, "<td>%s</td>", v < 0 ? "-" : s);
}

static bool is_ref(const char *category)
{
    return strcmp(category, "reference") == 0 || strcmp(category, "calibration") == 0;
}

/* The open-loop columns lead: they do not depend on who was the busy
 * side. */
static void open_head(FILE *f, const struct report *r)
{
    char slo[32], rate[32];
    if (!r->open)
        return;
    report_meta(r, "slo_p99_ms", slo, sizeof slo);
    fprintf(f, "<th>max sustainable<br>req/s (p99 &le; %s ms)</th>", slo);
    for (int e = 0; e < r->n_equal; e++) {
        util_format_rate(r->equal[e], rate, sizeof rate);
        fprintf(f, "<th>server CPU &micro;s<br>per req at %s/s</th>", rate);
    }
    fputs("<th>p99 ms at 50%<br>of its max</th><th>p99 ms at 80%<br>of its max</th>", f);
}

static void open_cells(FILE *f, const struct report *r, const struct report_headline *h)
{
    if (!r->open)
        return;
    if (h->msr < 0)
        fputs("<td>-</td>", f);
    else if (h->msr == 0)
        fputs("<td>none</td>", f);
    else {
        char s[32];
        util_format_rate(h->msr, s, sizeof s);
        fprintf(f, "<td>%s%s</td>", h->msr_lower_bound ? "&ge; " : "", s);
    }
    for (int e = 0; e < r->n_equal; e++)
        num(f, h->cpu_us[e], "%.1f");
    num(f, h->p99_cap50_ms, "%.2f");
    num(f, h->p99_cap80_ms, "%.2f");
}

static void headline(FILE *f, const struct report *r)
{
    fputs("<table><tr><th class=l>model</th><th class=l>category</th>", f);
    open_head(f, r);
    fputs("<th>best req/s<br>(closed loop)</th>", f);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, "<th>req/s<br>c=%d</th>", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, "<th>p99 ms<br>c=%d</th>", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, "<th>req per server<br>CPU-s c=%d</th>", r->levels[l]);
    fputs("<th>vs nginx<br>(req/CPU-s)</th><th>KiB per idle<br>connection</th>"
          "<th class=l>status</th></tr>\n", f);
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        fprintf(f, "<tr class=\"%s\"><td class=l>%s%s</td><td class=l>%s</td>",
                is_ref(h->category) ? "ref" : strcmp(h->status, "ok") ? "bad" : "",
                h->model, is_ref(h->category) ? " (ref)" : "", h->category);
        open_cells(f, r, h);
        if (h->best_rps < 0)
            fputs("<td>-</td>", f);
        else {
            char s[32];
            util_format_rate(h->best_rps, s, sizeof s);
            fprintf(f, "<td>%s (c=%d)</td>", s, h->best_conns);
        }
        for (int l = 0; l < r->n_levels; l++)
            rate(f, h->rps[l]);
        for (int l = 0; l < r->n_levels; l++)
            num(f, h->p99_ms[l], "%.2f");
        for (int l = 0; l < r->n_levels; l++)
            rate(f, h->eff[l]);
        num(f, h->vs_nginx, "%.2f");
        num(f, h->mem_per_conn_kib, "%.1f");
        fprintf(f, "<td class=l>%s</td></tr>\n", h->status);
    }
    fputs("</table>\n", f);
}

/* One line per kind, its points behind <details>. */
static void warnings(FILE *f, const struct report *r)
{
    fputs("<h2 id=warnings>Warnings</h2>\n", f);
    if (r->n_warn == 0) {
        fputs("<p>None.</p>\n", f);
        return;
    }
    fputs("<p>One line per kind; open a line for its points.</p>\n", f);
    for (int k = 0; k < WARN_KINDS; k++) {
        const struct report_warn_kind *s = &r->warn_kinds[k];
        if (s->count == 0)
            continue;
        fprintf(f, "<details class=warn><summary><b>%s</b>: ", warn_name(k));
        esc(f, s->line);
        fputs("</summary>\n<ul>\n", f);
        for (size_t i = 0; i < r->n_warn; i++) {
            if (r->warn[i].kind != (enum warn_kind)k)
                continue;
            fputs("<li>", f);
            esc(f, r->warn[i].text);
            fputs("</li>\n", f);
        }
        fputs("</ul></details>\n", f);
    }
}

static void plots(FILE *f, const struct report *r)
{
    fputs("<h2>Plots</h2>\n<p>References are dashed, the calibration server dotted."
          " Error bars: lowest and highest of the rounds.</p>\n", f);
    for (int i = 0; i < r->plots.n; i++) {
        char path[PATH_MAX], err[256], *svg;
        size_t len;
        snprintf(path, sizeof path, "%s/plots/%s.svg", r->dir, r->plots.names[i]);
        if (util_read_file(path, &svg, &len, err, sizeof err)) {
            fprintf(f, "<p>missing plot: %s</p>\n", r->plots.names[i]);
            continue;
        }
        fprintf(f, "<figure><img alt=\"%s\" src=\"data:image/svg+xml;base64,",
                r->plots.titles[i]);
        base64(f, (const unsigned char *)svg, len);
        fprintf(f, "\"><figcaption>%s (plots/%s.svg, .png)</figcaption></figure>\n",
                r->plots.titles[i], r->plots.names[i]);
        free(svg);
    }
}

static void point_row(FILE *f, const struct stats_point *p)
{
    const struct row *m = &p->med;
    bool bad = strcmp(m->status, "ok") != 0;
    fprintf(f, "<tr class=\"%s\"><td class=l>%s%s", is_ref(m->category) ? "ref" :
            bad ? "bad" : "", m->model, stats_per_host(m) ? " @ " : "");
    esc(f, stats_per_host(m) ? m->host : "");
    fprintf(f, "</td><td class=l>%s%s%s%s%s</td><td>%.0f</td><td>%.0f</td><td>%d/%d</td>",
            m->kind,
            m->mode[0] && strcmp(m->kind, "memory") ? " " : "",
            strcmp(m->kind, "memory") ? m->mode : "", m->step[0] ? " " : "", m->step,
            m->conns, m->idle < 0 ? 0 : m->idle, p->ok_rounds, p->rounds);
    rate(f, m->offered_rps);
    rate(f, m->req_per_s);
    num(f, p->rps_cv_pct, "%.1f");
    num(f, m->lat_p50_us < 0 ? -1 : m->lat_p50_us / 1000, "%.2f");
    num(f, m->lat_p99_us < 0 ? -1 : m->lat_p99_us / 1000, "%.2f");
    num(f, m->lat_p999_us < 0 ? -1 : m->lat_p999_us / 1000, "%.2f");
    num(f, m->lat_p99_uncorrected_us < 0 ? -1 : m->lat_p99_uncorrected_us / 1000, "%.2f");
    num(f, m->lag_p99_us, "%.0f");
    num(f, m->srv_cpu_pct, "%.0f");
    num(f, m->cli_cpu_pct, "%.0f");
    rate(f, m->req_per_cpu_s);
    num(f, m->srv_cpu_us_per_req, "%.1f");
    num(f, m->peak_rss_kb < 0 ? -1 : m->peak_rss_kb / 1024, "%.1f");
    num(f, m->tasks, "%.0f");
    num(f, m->mem_per_idle_b < 0 ? -1 : m->mem_per_idle_b / 1024, "%.1f");
    fprintf(f, "<td>%.0f/%.0f/%.0f/%.0f/%.0f</td>", m->err_connect < 0 ? 0 : m->err_connect,
            m->err_read < 0 ? 0 : m->err_read, m->err_write < 0 ? 0 : m->err_write,
            m->err_status < 0 ? 0 : m->err_status, m->err_timeout < 0 ? 0 : m->err_timeout);
    num(f, m->srv_responses, "%.0f");
    num(f, m->steal_pct, "%.1f");
    num(f, m->other_pct, "%.1f");
    fputs("<td class=l>", f);
    esc(f, m->flags);
    fprintf(f, "</td><td class=l>%s</td><td class=l>", m->status);
    esc(f, m->note);
    fputs("</td></tr>\n", f);
}

/* Every point of p, one row each. */
static void point_table(FILE *f, const struct stats_points *p)
{
    fputs("<table><tr><th class=l>model</th><th class=l>kind</th><th>conns</th>"
          "<th>idle</th><th>rounds</th><th>offered req/s</th><th>req/s</th><th>CV %</th>"
          "<th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>p99 uncorr. ms</th>"
          "<th>lag p99 &micro;s</th><th>srv CPU %</th><th>client CPU %</th>"
          "<th>req/CPU-s</th><th>srv CPU &micro;s/req</th>"
          "<th>peak RSS MiB</th><th>tasks</th><th>KiB/idle</th>"
          "<th>errors c/r/w/s/t</th><th>srv resp</th><th>steal %</th><th>other %</th>"
          "<th class=l>flags</th><th class=l>status</th><th class=l>note</th></tr>\n", f);
    for (size_t i = 0; i < p->n; i++)
        point_row(f, &p->v[i]);
    fputs("</table>\n", f);
}

/* With load hosts: what each host offered and measured, its share of
 * every merged point above (meta.txt names the hosts and their clocks). */
static void host_table(FILE *f, const struct report *r)
{
    if (r->host_points.n == 0)
        return;
    fputs("<h2 id=hosts>Each load host</h2>\n<p>The points above merge these: the hosts'"
          " latency histograms added bucket by bucket, their responses summed over"
          " the shared window. Each host offered its share of the load (rate and"
          " connections split evenly); client CPU is its loadgen's. Server figures"
          " belong to the merged point.</p>\n", f);
    point_table(f, &r->host_points);
}

/* Which machines offered the load, when it was not this one. */
static void load_hosts(FILE *f, const struct report *r)
{
    char hosts[512], target[64];
    report_meta(r, "load_hosts", hosts, sizeof hosts);
    report_meta(r, "target", target, sizeof target);
    if (strcmp(hosts, "?") == 0)
        return;
    fputs("<p><b>Load hosts:</b> ", f);
    esc(f, hosts);
    fputs(" offered the load over ssh, each its share, to the server on ", f);
    esc(f, target);
    fputs("; every point merges them (results.csv host=all), their own rows are"
          " under <a href=\"#hosts\">Each load host</a>, their clock offsets in"
          " meta.txt.</p>\n", f);
}

static void full_table(FILE *f, const struct report *r)
{
    fputs("<h2>Every point</h2>\n<p>Medians over the ok rounds (rounds: ok/all)."
          " Closed loop: wrk, latency from the send. Open loop: loadgen at the offered"
          " rate, latency from each request's due time (corrected for coordinated"
          " omission); p99 uncorr.: from the actual send; lag: how late loadgen sent."
          " msr: the maximum sustainable rate found (offered). Errors:"
          " connect/read/write/status/timeout. srv resp: responses the server counted"
          " (the generator's count plus at most those in flight). CPU in % of one CPU;"
          " steal and other in % of the measured CPUs.</p>\n", f);
    point_table(f, &r->points);
}

int html_write(const struct report *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
               "<title>c10k-lab results</title><style>%s</style></head><body>\n"
               "<h1>c10k-lab results</h1>\n<p>Run directory: ", style);
    esc(f, r->dir);
    fputs(". Each model serves the same static file on 127.0.0.1, the server pinned to"
          " its CPUs and the load generator to the others. Open loop (loadgen): requests"
          " offered at a fixed rate whatever the server does, latency from when each was"
          " due; the maximum sustainable rate is the highest offered rate a server keeps"
          " up with (99% achieved) within the p99 SLO, and server CPU per request at the"
          " same offered load for every server is the fair efficiency figure. Closed"
          " loop (wrk): every connection sends when answered, so the server runs at"
          " saturation. Rows marked (ref) are the reference servers and the calibration"
          " server (a fixed response without parsing), not models. Columns and flags:"
          " harness/README.md.</p>\n", f);
    load_hosts(f, r);
    fputs("<h2>Headline</h2>\n", f);
    headline(f, r);
    warnings(f, r);
    plots(f, r);
    full_table(f, r);
    host_table(f, r);
    fputs("<h2>Machine and options (meta.txt)</h2>\n<pre>", f);
    esc(f, r->meta ? r->meta : "meta.txt missing\n");
    fputs("</pre>\n</body></html>\n", f);
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
