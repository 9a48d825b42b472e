/* report.html: one self-contained page, plots embedded (see report.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "base/models.h"
#include "options/workloads.h"
#include "report/report.h"
#include "report/warn.h"
#include "base/util.h"

/* Fits a 1280 px window: the page is at most 1200 px wide; a table wider
 * than that scrolls inside its own box, the table of every point also
 * vertically under a sticky header. */
static const char *style =
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:1em auto;"
    "padding:0 1em;color:#222;line-height:1.45}h2{border-bottom:1px solid #ddd;"
    "margin-top:1.6em}nav a{margin-right:1em}"
    "#verdict{background:#f3f7fd;border:1px solid #c9d9ef;border-radius:6px;"
    "padding:.2em 1.2em .6em;margin-top:1em}#verdict h2{margin-top:.5em}#verdict li{margin:.35em 0}"
    ".scroll{overflow:auto;max-width:100%;margin:.6em 0}.points{max-height:80vh}"
    "table{border-collapse:separate;border-spacing:0;font-size:13px}"
    "th,td{border-bottom:1px solid #ddd;padding:3px 6px;text-align:right;"
    "white-space:nowrap;font-variant-numeric:tabular-nums}"
    "th{background:#eef0f3;position:sticky;top:0;z-index:1;vertical-align:bottom}"
    "td.l,th.l{text-align:left}tr.ref td{color:#555;font-style:italic}"
    "tr.bad td{background:#fdecea}td.note{white-space:normal;min-width:16em;"
    "max-width:28em}td.note summary{cursor:pointer;color:#2a5db0;white-space:nowrap}"
    ".tag{display:inline-block;font-size:11px;line-height:1.3;padding:0 4px;"
    "margin:1px 2px 1px 0;border-radius:3px;background:#fff1d6;color:#6a4a00}"
    ".tag.bad{background:#fbd9d6;color:#8a1c12}.legend{font-size:13px}"
    "details.warn{margin:.4em 0}details.warn summary{cursor:pointer}"
    "details.warn li{font-size:14px}figure{margin:1.2em 0}figcaption{font-size:14px}"
    "img{max-width:100%;height:auto}pre{background:#f6f6f6;padding:1em;overflow:auto}";

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

/* The open-loop columns lead: they do not depend on who was the busy
 * side. */
static void open_head(FILE *f, const struct report *r)
{
    char rate[32];
    if (!r->open)
        return;
    for (int e = 0; r->mixed && e < r->n_equal; e++) {
        util_format_rate(r->equal[e], rate, sizeof rate);
        fprintf(f, "<th>cheap p99 ms<br>at %s/s<br>(figure of merit)</th>"
                   "<th>expensive<br>p99 ms at %s/s</th>", rate, rate);
    }
    fprintf(f, "<th>max sustainable<br>req/s (p99 &le; %s ms)</th>", r->run.slo_ms);
    for (int e = 0; e < r->n_equal; e++) {
        util_format_rate(r->equal[e], rate, sizeof rate);
        fprintf(f, "<th>server / loadgen<br>CPU &micro;s per req<br>at %s/s</th>", rate);
    }
    fputs("<th>p99 ms at 50%<br>of its max</th><th>p99 ms at 80%<br>of its max</th>", f);
}

static void open_cells(FILE *f, const struct report *r, const struct report_headline *h)
{
    if (!r->open)
        return;
    for (int e = 0; r->mixed && e < r->n_equal; e++) {
        html_num(f, h->cheap_ms[e], "%.2f");
        html_num(f, h->expensive_ms[e], "%.2f");
    }
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
        if (h->cpu_us[e] < 0 || h->cli_us[e] < 0)
            html_num(f, h->cpu_us[e], "%.1f");
        else
            fprintf(f, "<td>%.1f / %.1f</td>", h->cpu_us[e], h->cli_us[e]);
    html_num(f, h->p99_cap50_ms, "%.2f");
    html_num(f, h->p99_cap80_ms, "%.2f");
}

static void headline(FILE *f, const struct report *r)
{
    fputs("<div class=scroll><table><thead><tr><th class=l>model</th>"
          "<th class=l>category</th>", f);
    open_head(f, r);
    fputs("<th>best req/s<br>(closed loop)</th>", f);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, "<th>req/s<br>c=%d</th>", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, "<th>p99 ms<br>c=%d</th>", r->levels[l]);
    for (int l = 0; l < r->n_levels; l++)
        fprintf(f, "<th>req per server<br>CPU-s c=%d</th>", r->levels[l]);
    fputs("<th>vs nginx<br>(req/CPU-s)</th><th>KiB per idle<br>connection</th>"
          "<th class=l>status</th></tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < r->n_head; i++) {
        const struct report_headline *h = &r->head[i];
        bool bad = h->status != ROW_STATUS_OK || h->starved;
        fprintf(f, "<tr class=\"%s\"><td class=l>%s%s</td><td class=l>%s</td>",
                html_is_ref(h->category) ? "ref" : bad ? "bad" : "",
                h->model, html_is_ref(h->category) ? " (ref)" : "", h->category);
        open_cells(f, r, h);
        if (h->best_rps < 0)
            fputs("<td>-</td>", f);
        else {
            char s[32];
            util_format_rate(h->best_rps, s, sizeof s);
            fprintf(f, "<td>%s (c=%d)</td>", s, h->best_conns);
        }
        for (int l = 0; l < r->n_levels; l++)
            html_rate(f, h->rps[l]);
        for (int l = 0; l < r->n_levels; l++)
            html_num(f, h->p99_ms[l], "%.2f");
        for (int l = 0; l < r->n_levels; l++)
            html_rate(f, h->eff[l]);
        html_num(f, h->vs_nginx, "%.2f");
        html_num(f, h->mem_per_conn_kib, "%.1f");
        fprintf(f, "<td class=l>%s</td></tr>\n", report_status(h));
    }
    fputs("</tbody></table></div>\n", f);
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
        html_esc(f, s->line);
        fputs("</summary>\n<ul>\n", f);
        for (size_t i = 0; i < r->n_warn; i++) {
            if (r->warn[i].kind != (enum warn_kind)k)
                continue;
            fputs("<li>", f);
            html_esc(f, r->warn[i].text);
            fputs("</li>\n", f);
        }
        fputs("</ul></details>\n", f);
    }
}

static void plots(FILE *f, const struct report *r)
{
    fputs("<h2 id=plots>Plots</h2>\n<p>One panel per category of model; the calibration"
          " server (black, dotted) and the references (grey, dashed) are drawn in every"
          " panel for scale. A model has the same colour in every plot. Error bars: the"
          " lowest and highest round. An axis spanning more than a factor 20 is"
          " logarithmic and says so. Each plot is also a PNG in plots/.</p>\n", f);
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
        fprintf(f, "\"><figcaption>%s: <a href=\"plots/%s.png\">plots/%s.png</a>"
                   "</figcaption></figure>\n", r->plots.titles[i], r->plots.names[i],
                r->plots.names[i]);
        free(svg);
    }
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
    html_points(f, &r->host_points);
}

/* The queries workload's further q: each a search and its msr row, kept
 * out of the points above (report.h). */
static void q_table(FILE *f, const struct report *r)
{
    if (r->q_points.n == 0)
        return;
    fprintf(f, "<h2 id=further-q>Further q of /queries</h2>\n<p>The points above are at"
               " q = %d; at each further q (db_queries) a sustainable-rate search of its"
               " own ran, its steps and msr row here.</p>\n", r->first_q);
    html_points(f, &r->q_points);
}

/* Which machines offered the load, when it was not this one. */
static void load_hosts(FILE *f, const struct report *r)
{
    if (strcmp(r->run.load_hosts, "?") == 0)
        return;
    fputs("<p><b>Load hosts:</b> ", f);
    html_esc(f, r->run.load_hosts);
    fputs(" offered the load over ssh, each its share, to the server on ", f);
    html_esc(f, r->run.target);
    fputs("; every point merges them (results.csv host=all), their own rows are"
          " under <a href=\"#hosts\">Each load host</a>, their clock offsets in"
          " meta.txt.</p>\n", f);
}

/* The model of headline row i when it states its limits, else NULL. */
static const struct model *limited_model(const struct report *r, int i)
{
    const struct model *m = models_find(r->head[i].model);
    return m && m->limits && *m->limits ? m : NULL;
}

static bool any_limits(const struct report *r)
{
    for (int i = 0; i < r->n_head; i++)
        if (limited_model(r, i))
            return true;
    return false;
}

/* What each model's design cannot do, in the words of servers/meson.build
 * (model_limits): the reader sees why a model starves, fails or stops
 * scaling before reading its numbers. */
static void limits(FILE *f, const struct report *r)
{
    bool any = false;
    for (int i = 0; i < r->n_head; i++) {
        const struct model *m = limited_model(r, i);
        if (!m)
            continue;
        if (!any)
            fputs("<h2 id=limits>What limits each model</h2>\n<p>By design, whatever the"
                  " machine; where a figure is given it was measured. A point that"
                  " starved, failed or stopped scaling above is often this.</p>\n<dl>\n", f);
        any = true;
        fputs("<dt>", f);
        html_esc(f, m->name);
        fputs("</dt><dd>", f);
        html_esc(f, m->limits);
        fputs("</dd>\n", f);
    }
    if (any)
        fputs("</dl>\n", f);
}

static void full_table(FILE *f, const struct report *r)
{
    fputs("<h2 id=points>Every point</h2>\n<p>Medians over the ok rounds (rounds: ok/all)."
          " Closed loop: wrk, latency from the send. Open loop: loadgen at the offered"
          " rate, latency from each request's due time (corrected for coordinated"
          " omission); p99 uncorr.: from the actual send; lag: how late loadgen sent."
          " msr: the maximum sustainable rate found (offered). Errors:"
          " connect/read/write/status/timeout. srv resp: responses the server counted"
          " (the generator's count plus at most those in flight). CPU in % of one CPU;"
          " steal and other in % of the measured CPUs. Disk: reads from the docroot's"
          " device during the point (/proc/diskstats).</p>\n", f);
    html_points(f, &r->points);
}

/* The answer first: the verdict is the page's first section. */
static void verdict(FILE *f, const struct report *r)
{
    fputs("<section id=verdict>\n<h2>Verdict</h2>\n", f);
    for (int i = 0; i < r->n_verdict; i++) {
        const char *v = r->verdict[i], *colon = strstr(v, ": ");
        fputs(i == 0 ? "<p>" : i == 1 ? "<ul>\n<li>" : "<li>", f);
        if (i > 0 && colon) { /* the question in bold, then the answer */
            char label[256];
            snprintf(label, sizeof label, "%.*s", (int)(colon - v), v);
            fputs("<b>", f);
            html_esc(f, label);
            fputs("</b>", f);
            v = colon;
        }
        html_esc(f, v);
        fputs(i == 0 ? "</p>\n" : "</li>\n", f);
    }
    fputs(r->n_verdict > 1 ? "</ul>\n</section>\n" : "</section>\n", f);
}

/* "Run 20250101-120000 (2025-01-01 12:00:00), AMD EPYC, Linux ...": from
 * meta.txt and the directory's name, so that the page does not depend on
 * where the run was copied to. */
static void run_line(FILE *f, const struct report *r)
{
    char real[PATH_MAX];
    const char *dir = realpath(r->dir, real) ? real : r->dir, *base; /* not "latest" */
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') /* "run/" names "run" */
        len--;
    for (base = dir + len; base > dir && base[-1] != '/'; base--)
        ;
    fputs("<p>Run ", f);
    fprintf(f, "%.*s", (int)(dir + len - base), base);
    fputs(" (", f);
    html_esc(f, r->run.date);
    fputs("), ", f);
    html_esc(f, r->run.cpu);
    fputs(", ", f);
    html_esc(f, r->run.kernel);
    fputs(".</p>\n<nav><a href=\"#verdict\">Verdict</a><a href=\"#headline\">Headline</a>"
          "<a href=\"#warnings\">Warnings</a><a href=\"#plots\">Plots</a>", f);
    if (any_limits(r)) /* a run of reference servers only has no such section */
        fputs("<a href=\"#limits\">Limits</a>", f);
    fputs("<a href=\"#points\">Every point</a><a href=\"#meta\">Machine</a></nav>\n", f);
}

static void about(FILE *f, const struct report *r)
{
    fputs("<p><b>Workload:</b> ", f);
    html_esc(f, r->run.workload);
    fputs(". Disk: ", f);
    html_esc(f, r->run.disk);
    fputs(".</p>\n<p>Each model serves the same files on 127.0.0.1 (the workload above),"
          " the server pinned to its CPUs and the load generator to the others. Open loop (loadgen): requests"
          " offered at a fixed rate whatever the server does, latency from when each was"
          " due; the maximum sustainable rate is the highest offered rate a server keeps"
          " up with (99% achieved) within the p99 SLO, and server CPU per request at the"
          " same offered load for every server is the fair efficiency figure. Closed"
          " loop (wrk): every connection sends when answered, so the server runs at"
          " saturation. Rows in italics are the reference servers and the calibration"
          " server (a fixed response without parsing), not models. Columns and flags:"
          " harness/README.md.</p>\n", f);
    if (r->open)
        fputs("<p>" REPORT_LOADGEN_NOTE "</p>\n", f);
}

int html_write(const struct report *r, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
               "<meta name=viewport content=\"width=device-width, initial-scale=1\">"
               "<title>c10k-lab results</title><style>%s</style></head><body>\n"
               "<h1>c10k-lab results</h1>\n", style);
    run_line(f, r);
    verdict(f, r);
    fputs("<h2 id=headline>Headline</h2>\n", f);
    about(f, r);
    load_hosts(f, r);
    headline(f, r);
    for (int i = 0; workloads_get(i); i++) /* each workload's own section */
        if (workloads_get(i)->html_section)
            workloads_get(i)->html_section(f, r);
    warnings(f, r);
    plots(f, r);
    limits(f, r);
    full_table(f, r);
    q_table(f, r);
    host_table(f, r);
    fputs("<h2 id=meta>Machine and options (meta.txt)</h2>\n<pre>", f);
    html_esc(f, r->meta ? r->meta : "meta.txt missing\n");
    fputs("</pre>\n</body></html>\n", f);
    if (ferror(f) | fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
