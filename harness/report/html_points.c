/* The tables of every point in report.html (see html.h): wide by nature,
 * so they scroll inside their own box under a sticky header, flags are
 * short tags (the full name on hover and in the legend) and notes are
 * collapsed to their first words. */
#include <string.h>

#include "report/html.h"

#define NOTE_SHOWN 24   /* characters of a note shown before it is opened */

/* Every flag's tag (csv.h), in the order of the legend. */
static const struct {
    const char *tag, *meaning;
    bool bad;            /* the figures are not what they seem (red) */
} tags[] = {
    [ROW_FLAG_CLIENT_BOUND] = {"client", "the load generator was the busy side", false},
    [ROW_FLAG_STARVED] = {"starved", "most connections were never served", true},
    [ROW_FLAG_ERRORS] = {"err", "load errors", true},
    [ROW_FLAG_REFUSED] = {"refused", "the server refused connections by design", true},
    [ROW_FLAG_COUNT_MISMATCH] = {"count", "the server's count and the generator's disagree",
                                 true},
    [ROW_FLAG_STOPPED_ANSWERING] = {"stopped", "no answer to GET / after the level", true},
    [ROW_FLAG_RESTARTED] = {"restart", "the server was restarted after this point", true},
    [ROW_FLAG_UNSUSTAINED] = {"unsust", "achieved under 99% of the offered rate", false},
    [ROW_FLAG_SLO_MISSED] = {"slo", "p99 over the SLO", false},
    [ROW_FLAG_NONE_SUSTAINED] = {"none", "no rate was sustained", true},
    [ROW_FLAG_LOWER_BOUND] = {"&ge;", "the sustainable rate is a lower bound: loadgen's "
                              "limit, or with noisy the machine's noise, came first", false},
    [ROW_FLAG_HOSTS_UNEVEN] = {"uneven", "the load hosts achieved unequal shares", false},
    [ROW_FLAG_IDLE_PARTIAL] = {"idle", "not every idle connection was answered", false},
    [ROW_FLAG_STEAL] = {"steal", "hypervisor steal over 5% of the measured CPUs", false},
    [ROW_FLAG_NOISY] = {"noisy", "other processes over 5% of the measured CPUs (msr: the "
                        "machine's noise ended the search)", false},
    [ROW_FLAG_HIGH_CV] = {"cv", "the rounds' req/s differ by over 5% (CV)", false},
};
_Static_assert(sizeof tags / sizeof tags[0] == ROW_FLAG_COUNT, "a tag for every flag");

static void legend(FILE *f)
{
    fputs("<p class=legend>Flags: ", f);
    for (int i = 0; i < ROW_FLAG_COUNT; i++)
        fprintf(f, "<span class=\"tag%s\">%s</span> %s%s", tags[i].bad ? " bad" : "",
                tags[i].tag, row_flag_name(i), i + 1 < ROW_FLAG_COUNT ? ", " : "");
    fputs(" (harness/README.md says more).</p>\n", f);
}

/* The flags of a point as tags, in the order raised. */
static void flag_tags(FILE *f, const struct row *m)
{
    fputs("<td class=l>", f);
    for (int i = 0; i < m->flags.n; i++) {
        int fl = m->flags.order[i];
        fprintf(f, "<span class=\"tag%s\" title=\"%s: %s\">%s</span>",
                tags[fl].bad ? " bad" : "", row_flag_name(fl), tags[fl].meaning, tags[fl].tag);
    }
    fputs("</td>", f);
}

/* A long note opens on a click; a short one is shown as it is. */
static void note_cell(FILE *f, const char *note)
{
    fputs("<td class=\"l note\">", f);
    if (strlen(note) <= NOTE_SHOWN + 8) {
        html_esc(f, note);
    } else {
        char head[NOTE_SHOWN + 1];
        memcpy(head, note, NOTE_SHOWN);
        head[NOTE_SHOWN] = '\0';
        fputs("<details><summary>", f);
        html_esc(f, head);
        fputs("&hellip;</summary>", f);
        html_esc(f, note);
        fputs("</details>", f);
    }
    fputs("</td>", f);
}

static double ms(double us)
{
    return us < 0 ? -1 : us / 1000;
}

static void point_row(FILE *f, const struct stats_point *p)
{
    const struct row *m = &p->med;
    bool bad = m->status != ROW_STATUS_OK, memory = m->kind == ROW_KIND_MEMORY;
    fprintf(f, "<tr class=\"%s\"><td class=l>%s", html_is_ref(m->category) ? "ref" :
            bad ? "bad" : "", m->model);
    if (stats_per_host(m)) {
        fputs(" @ ", f);
        html_esc(f, m->host);
    }
    fprintf(f, "</td><td class=l>%s%s%s%s%s</td><td>%.0f</td><td>%.0f</td><td>%d/%d</td>",
            row_kind_name(m->kind), memory ? "" : " ", memory ? "" : row_mode_name(m->mode),
            m->step != ROW_STEP_NONE ? " " : "", row_step_name(m->step), m->conns,
            m->idle < 0 ? 0 : m->idle, p->ok_rounds, p->rounds);
    html_rate(f, m->offered_rps);
    html_rate(f, m->req_per_s);
    html_num(f, p->rps_cv_pct, "%.1f");
    html_num(f, ms(m->lat_p50_us), "%.2f");
    html_num(f, ms(m->lat_p99_us), "%.2f");
    html_num(f, ms(m->lat_p999_us), "%.2f");
    html_num(f, ms(m->lat_p99_uncorrected_us), "%.2f");
    html_num(f, m->lag_p99_us, "%.0f");
    html_num(f, m->srv_cpu_pct, "%.0f");
    html_num(f, m->cli_cpu_pct, "%.0f");
    html_rate(f, m->req_per_cpu_s);
    html_num(f, m->srv_cpu_us_per_req, "%.1f");
    html_num(f, m->peak_rss_kb < 0 ? -1 : m->peak_rss_kb / 1024, "%.1f");
    html_num(f, m->tasks, "%.0f");
    html_num(f, m->mem_per_idle_b < 0 ? -1 : m->mem_per_idle_b / 1024, "%.1f");
    double e[] = {m->err_connect, m->err_read, m->err_write, m->err_status, m->err_timeout};
    fputs("<td>", f);
    for (int i = 0; i < 5; i++)
        fprintf(f, "%s%.0f", i ? "/" : "", e[i] < 0 ? 0 : e[i]);
    fputs("</td>", f);
    html_num(f, m->srv_responses, "%.0f");
    html_num(f, m->steal_pct, "%.1f");
    html_num(f, m->other_pct, "%.1f");
    html_num(f, m->disk_read_bytes < 0 ? -1 : m->disk_read_bytes / 1048576, "%.1f");
    html_num(f, m->disk_read_ops, "%.0f");
    flag_tags(f, m);
    fprintf(f, "<td class=l>%s</td>", row_status_name(m->status));
    note_cell(f, m->note);
    fputs("</tr>\n", f);
}

void html_points(FILE *f, const struct stats_points *p)
{
    legend(f);
    fputs("<div class=\"scroll points\"><table><thead><tr><th class=l>model</th>"
          "<th class=l>kind</th><th>conns</th><th>idle</th><th>rounds<br>ok/all</th>"
          "<th>offered<br>req/s</th><th>req/s</th><th>CV<br>%</th><th>p50<br>ms</th>"
          "<th>p99<br>ms</th><th>p99.9<br>ms</th><th>p99<br>uncorr.<br>ms</th>"
          "<th>lag<br>p99 &micro;s</th><th>srv<br>CPU %</th><th>client<br>CPU %</th>"
          "<th>req/<br>CPU-s</th><th>srv CPU<br>&micro;s/req</th><th>peak<br>RSS MiB</th>"
          "<th>tasks</th><th>KiB/<br>idle</th><th>errors<br>c/r/w/s/t</th>"
          "<th>srv<br>resp</th><th>steal<br>%</th><th>other<br>%</th><th>disk<br>read MiB</th>"
          "<th>disk<br>reads</th><th class=l>flags</th>"
          "<th class=l>status</th><th class=l>note</th></tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < p->n; i++)
        point_row(f, &p->v[i]);
    fputs("</tbody></table></div>\n", f);
}
