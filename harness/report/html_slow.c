/* The slow-client table of report.html (see html.h): p99 and server CPU
 * per request against the number of clients, each offering a few requests
 * per second (--workload slow-clients). */
#include <string.h>

#include "report/html.h"
#include "report/report.h"

/* One cell: the figure, or why there is none; "*" when not sustained. */
static void slow_cell(FILE *f, const struct stats_point *p, double v, const char *fmt)
{
    if (!p)
        fputs("<td>-</td>", f);
    else if (p->med.status != ROW_STATUS_OK || v < 0)
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
            slow_cell(f, p, p ? p->med.lat_p99_us / 1000 : -1, "%.2f");
        }
        for (int k = 0; k < n; k++) {
            const struct stats_point *p = report_slow_point(r, model, conns[k]);
            slow_cell(f, p, p ? p->med.srv_cpu_us_per_req : -1, "%.1f");
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}
