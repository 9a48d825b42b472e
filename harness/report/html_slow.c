/* The workloads' own tables of report.html (see html.h): the slow-client
 * table, p99 and server CPU per request against the number of clients, each
 * offering a few requests per second (--workload slow-clients); the mixed
 * workload's cheap and expensive p99 at equal load. */
#include <string.h>

#include "base/util.h"
#include "report/html.h"
#include "report/report.h"

void html_step_cell(FILE *f, const struct stats_point *p, double v, const char *fmt)
{
    if (!p || (p->med.status == ROW_STATUS_OK && v < 0)) /* none, or not measured */
        fputs("<td>-</td>", f);
    else if (p->med.status != ROW_STATUS_OK)
        fprintf(f, "<td>%s</td>", row_status_name(p->med.status));
    else {
        bool ok = row_sustained(&p->med);
        fputs(ok ? "<td>" : "<td class=bad title=\"not sustained\">", f);
        fprintf(f, fmt, v);
        fputs(ok ? "</td>" : " *</td>", f);
    }
}

void html_slow(FILE *f, const struct report *r)
{
    double conns[16];
    int n = report_slow_conns(r, conns, 16);
    if (n == 0)
        return;
    fputs("<h2 id=slow>Many slow clients</h2>\n<p>Every connection offers the same few"
          " requests per second (open loop, loadgen), so the concurrency comes from the"
          " number of clients and not from a saturating loop: the C10K situation. p99"
          " from each request's due time; server CPU per request over the step. * = not"
          " sustained (achieved under 99% of the offered rate, or errors).</p>\n"
          "<div class=scroll><table><thead><tr><th class=l>model</th>", f);
    for (int k = 0; k < n; k++)
        fprintf(f, "<th>p99 ms<br>%.0f clients</th>", conns[k]);
    for (int k = 0; k < n; k++)
        fprintf(f, "<th>server CPU &micro;s<br>per req, %.0f</th>", conns[k]);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < r->n_head; i++) {
        const char *model = r->head[i].model;
        fprintf(f, "<tr class=\"%s\"><td class=l>%s</td>",
                html_is_ref(r->head[i].category) ? "ref" : "", model);
        for (int k = 0; k < n; k++) {
            const struct stats_point *p = report_slow_point(r, model, conns[k]);
            html_step_cell(f, p, p ? p->med.lat_p99_us / 1000 : -1, "%.2f");
        }
        for (int k = 0; k < n; k++) {
            const struct stats_point *p = report_slow_point(r, model, conns[k]);
            html_step_cell(f, p, p ? p->med.srv_cpu_us_per_req : -1, "%.1f");
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

/* A cell of the ratio cheap p99 in the mix / cheap p99 alone: "-" unless
 * both were measured, sustained (report_mixed_ratio). */
static void ratio_cell(FILE *f, double ratio)
{
    if (ratio < 0)
        fputs("<td>-</td>", f);
    else
        fprintf(f, "<td>%.2f&times;</td>", ratio);
}

/* The mixed workload's section: per model and equal-load rate, the cheap
 * class's p99 in the mix (the figure of merit), the same requests' p99
 * alone at the same rate (step alone), their ratio, the expensive class's
 * p99, and the server CPU per request in the mix. */
void html_mixed(FILE *f, const struct report *r)
{
    char rate[32], alone[32];
    if (!r->mixed || r->n_equal == 0)
        return;
    fputs("<h2 id=mixed>Cheap requests behind expensive ones</h2>\n<p>The mixed workload:"
          " cheap requests (1 KiB, never compressed) and expensive ones (100-256 KiB of text"
          " compressed on the fly) at the same offered rate for every server. Each class's"
          " p99 comes from its own histogram (from each request's due time); the cheap"
          " class's is the figure of merit: how long a small answer waits behind someone"
          " else's compression. <i>alone</i>: the same cheap requests at the same rate"
          " (the cheap share of the equal-load rate), without the expensive ones, measured"
          " after the open loop. " REPORT_MIXED_RATIO " * = not sustained.</p>\n"
          "<div class=scroll><table><thead><tr><th class=l>model</th>", f);
    for (int e = 0; e < r->n_equal; e++) {
        util_format_rate(r->equal[e], rate, sizeof rate);
        util_format_rate(r->alone[e], alone, sizeof alone);
        fprintf(f, "<th>cheap p99 ms<br>mix at %s/s</th><th>cheap p99 ms<br>alone at "
                   "%s/s</th><th>mix / alone<br>at %s/s</th><th>expensive p99 ms<br>at "
                   "%s/s</th><th>server CPU &micro;s<br>per req at %s/s</th>", rate,
                r->alone[e] > 0 ? alone : "-", rate, rate, rate);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (int i = 0; i < r->n_head; i++) {
        const char *model = r->head[i].model;
        fprintf(f, "<tr class=\"%s\"><td class=l>%s</td>",
                html_is_ref(r->head[i].category) ? "ref" : "", model);
        for (int e = 0; e < r->n_equal; e++) {
            const struct stats_point *p = stats_find_open(
                &r->points, model, ROW_KIND_LOAD, ROW_STEP_EQUAL, r->equal[e]);
            const struct stats_point *a = report_alone_point(r, model, e);
            html_step_cell(f, p, p ? p->med.cheap_p99_us / 1000 : -1, "%.2f");
            html_step_cell(f, a, a ? report_cheap_p99_us(a) / 1000 : -1, "%.2f");
            ratio_cell(f, report_mixed_ratio(p, a));
            html_step_cell(f, p, p ? p->med.expensive_p99_us / 1000 : -1, "%.2f");
            html_step_cell(f, p, p ? p->med.srv_cpu_us_per_req : -1, "%.1f");
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}
