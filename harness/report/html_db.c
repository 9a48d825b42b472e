/* The db and queries workloads' section (both pages): per model and q of
 * /queries (db: its one query), the maximum sustainable rate at the p99
 * SLO, the database connections the server really had (the most PostgreSQL
 * counted in a step, db_conns_peak), Little's law's limit with them
 * (connections / D / q: each connection is busy D ms per query, so no
 * server can answer faster; none with D = 0), the rate as a fraction of
 * that limit, and the server's and the database's CPU per request at the
 * rate found. The first q's figures come from r->points, each further q's
 * from r->q_points (report.h): never mixed. */
#include <string.h>

#include "base/util.h"
#include "report/html.h"
#include "report/markdown.h"
#include "report/report.h"

void report_db_line(const struct report *r, const char *model, int q,
                    struct report_db_line *d)
{
    const struct stats_points *p = q == r->first_q ? &r->points : &r->q_points;
    memset(d, 0, sizeof *d);
    d->msr = d->conns = d->conns_most = d->limit = d->fraction = d->srv_us = d->db_us = -1;
    d->applicable = false;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        if (strcmp(m->model, model) || (q > 0 && (int)m->db_queries != q))
            continue;
        d->applicable |= m->status != ROW_STATUS_SKIPPED;
        if (m->db_conns_peak > d->conns_most) /* in any step, closed loop included */
            d->conns_most = m->db_conns_peak;
        /* The connections and the limit of the step sustained at the MSR (the
         * msr row has them from it, step_rules.c): a closed-loop level or an
         * overloaded step may have had more (fork: a child per connection). */
        if (m->kind == ROW_KIND_MSR && d->msr < 0 && m->status == ROW_STATUS_OK) {
            d->msr = m->offered_rps;
            d->conns = m->db_conns_peak;
            d->limit = m->db_limit_rps;
            d->lower_bound = row_has_flag(m, ROW_FLAG_LOWER_BOUND);
            d->srv_us = m->srv_cpu_us_per_req;
            d->db_us = m->db_cpu_us_per_req;
        }
    }
    if (d->conns <= 0) /* the law needs the connections counted (older runs: a guess) */
        d->limit = -1;
    if (d->msr >= 0 && d->limit > 0)
        d->fraction = d->msr / d->limit;
}

/* The limit's cell: req/s, or why there is none. */
static const char *limit_text(const struct report *r, const struct report_db_line *d,
                              char *s, size_t len)
{
    if (d->limit > 0)
        util_format_rate(d->limit, s, len);
    else if (r->run.db_delay_ms == 0)
        snprintf(s, len, "none (D = 0)");
    else if (d->conns == 0)
        snprintf(s, len, "none (no connection)");
    else
        snprintf(s, len, "-");
    return s;
}

/* The connections' cell: at the MSR's step, the most in any step in
 * brackets where more, "-" where not counted. */
static void conns_text(const struct report_db_line *d, char *s, size_t len)
{
    if (d->conns < 0 && d->conns_most < 0)
        snprintf(s, len, "-");
    else if (d->conns_most > d->conns)
        snprintf(s, len, d->conns < 0 ? "- (%.0f)" : "%.0f (%.0f)",
                 d->conns < 0 ? d->conns_most : d->conns, d->conns_most);
    else
        snprintf(s, len, "%.0f", d->conns);
}

static const char *q_name(int q, char *s, size_t len)
{
    if (q > 0)
        snprintf(s, len, "q = %d", q);
    else
        snprintf(s, len, "/db");
    return s;
}

#define DB_SECTION_TEXT "Each request waits on PostgreSQL: q queries one after the other, " \
    "each holding one of the server's database connections for D ms (--db-delay-ms) " \
    "and its round trip. Little's law bounds every server: at most connections / (D " \
    "x q) requests per second, with the connections the server really had, as " \
    "PostgreSQL itself counted them (every pool of every process); none with D = 0. " \
    "MSR = the maximum sustainable rate within the p99 SLO (>= : a lower " \
    "bound); the connections and the limit are those of the step sustained at that rate " \
    "(in brackets the most in any step, closed loop included, where more); CPU per " \
    "request at that rate, the server's and the database's own (never counted in the " \
    "server's). The limit leaves out each query's round trip and the server's own " \
    "time, so even a perfect server stays somewhat below 100%."

/* One number's cell text: "-" where not measured. */
static const char *num_text(double v, const char *fmt, char *s, size_t len)
{
    if (v < 0)
        snprintf(s, len, "-");
    else
        snprintf(s, len, fmt, v);
    return s;
}

/* The table's rows, one per model and q, as HTML cells or Markdown ones. */
static void db_rows(FILE *f, const struct report *r, bool html)
{
    const char *open = html ? "<td>" : " ", *close = html ? "</td>" : " |";
    for (int i = 0; i < r->n_head; i++)
        for (int k = 0; k < r->n_db_qs; k++) {
            struct report_db_line d;
            char c[7][48], rate[32];
            report_db_line(r, r->head[i].model, r->db_qs[k], &d);
            q_name(r->db_qs[k], c[0], sizeof c[0]);
            if (html)
                fprintf(f, "<tr class=\"%s\"><td class=l>%s</td><td>%s</td>",
                        html_is_ref(r->head[i].category) ? "ref" : "", r->head[i].model,
                        c[0]);
            else
                fprintf(f, "| %s | %s |", r->head[i].model, c[0]);
            if (!d.applicable && !strcmp(r->head[i].category, "reference")) {
                fputs(html ? "<td colspan=6 class=l>not applicable</td></tr>\n"
                           : " not applicable | | | | | |\n", f);
                continue;
            }
            util_format_rate(d.msr, rate, sizeof rate);
            snprintf(c[1], sizeof c[1], "%s%s", d.msr < 0 ? "-" : !d.lower_bound ? ""
                     : html ? "&ge; " : ">= ", d.msr < 0 ? "" : rate);
            conns_text(&d, c[2], sizeof c[2]);
            limit_text(r, &d, c[3], sizeof c[3]);
            num_text(d.fraction >= 0 ? 100 * d.fraction : -1, "%.0f%%", c[4], sizeof c[4]);
            num_text(d.srv_us, "%.1f", c[5], sizeof c[5]);
            num_text(d.db_us, "%.1f", c[6], sizeof c[6]);
            for (int j = 1; j < 7; j++)
                fprintf(f, "%s%s%s", open, c[j], close);
            fputs(html ? "</tr>\n" : "\n", f);
        }
}

void html_db(FILE *f, const struct report *r)
{
    if (r->n_db_qs == 0)
        return;
    fputs("<h2 id=db>Requests that wait on a database</h2>\n<p>" DB_SECTION_TEXT
          "</p>\n<div class=scroll><table><thead><tr><th class=l>model</th><th>q</th>"
          "<th>MSR req/s</th><th>database<br>connections</th><th>Little's law<br>"
          "limit req/s</th><th>MSR / limit</th><th>server CPU<br>&micro;s per req</th>"
          "<th>database CPU<br>&micro;s per req</th></tr></thead>\n<tbody>\n", f);
    db_rows(f, r, true);
    fputs("</tbody></table></div>\n", f);
}

void markdown_db(FILE *f, const struct report *r)
{
    if (r->n_db_qs == 0)
        return;
    fputs("\n## Requests that wait on a database\n\n" DB_SECTION_TEXT "\n\n"
          "| model | q | MSR req/s | database connections | Little's law limit req/s "
          "| MSR / limit | server CPU us/req | database CPU us/req |\n"
          "|---|---|---|---|---|---|---|---|\n", f);
    db_rows(f, r, false);
}
