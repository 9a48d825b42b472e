/* The tables of every point in report.html (see html.h), their cells
 * columns.def's POINT list: wide by nature,
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
    [ROW_FLAG_INCONSISTENT] = {"incons", "the server sustained a rate and failed a lower "
                               "one in the same round, also measured again: no claim", true},
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

/* The cells of a point's row, in columns.def's POINT list. */
enum cell { CELL_NUM, CELL_RATE, CELL_MODEL, CELL_KIND, CELL_ROUNDS, CELL_CV, CELL_ERRORS,
            CELL_FLAGS, CELL_STATUS, CELL_NOTE };
enum how { AS_IS, ZERO, RAW };

static const struct point_cell {
    enum cell cell;
    enum row_column column;   /* CELL_NUM, CELL_RATE */
    enum how how;
    const char *label, *format;
    double divisor;
} cells[] = {
#define POINT_NUM(n, how, label, div, fmt) {CELL_NUM, ROW_COL_##n, how, label, fmt, div},
#define POINT_RATE(n, label) {CELL_RATE, ROW_COL_##n, AS_IS, label, "", 1},
#define POINT_CELL(c, label) {c, 0, AS_IS, label, "", 1},
#include "results/columns.def"
#undef POINT_NUM
#undef POINT_RATE
#undef POINT_CELL
};
#define N_CELLS (sizeof cells / sizeof cells[0])

/* Text cells are left-aligned. */
static bool left(enum cell c)
{
    return c == CELL_MODEL || c == CELL_KIND || c >= CELL_FLAGS;
}

static void number_cell(FILE *f, const struct row *m, const struct point_cell *c)
{
    double v = row_num(m, c->column);
    if (c->cell == CELL_RATE) {
        html_rate(f, v);
    } else if (c->how == AS_IS) {
        html_num(f, v < 0 ? -1 : v / c->divisor, c->format);
    } else if (c->format) { /* always: POINT_NUM has one */
        fputs("<td>", f);
        fprintf(f, c->format, c->how == ZERO && v < 0 ? 0 : v / c->divisor);
        fputs("</td>", f);
    }
}

static void model_cell(FILE *f, const struct row *m)
{
    fprintf(f, "<td class=l>%s", m->model);
    if (stats_per_host(m)) {
        fputs(" @ ", f);
        html_esc(f, m->host);
    }
    fputs("</td>", f);
}

static void special_cell(FILE *f, const struct stats_point *p, enum cell c)
{
    const struct row *m = &p->med;
    bool memory = m->kind == ROW_KIND_MEMORY;
    double e[] = {m->err_connect, m->err_read, m->err_write, m->err_status, m->err_timeout};
    switch (c) {
    case CELL_MODEL: model_cell(f, m); break;
    case CELL_KIND:
        fprintf(f, "<td class=l>%s%s%s%s%s</td>", row_kind_name(m->kind), memory ? "" : " ",
                memory ? "" : row_mode_name(m->mode), m->step != ROW_STEP_NONE ? " " : "",
                row_step_name(m->step));
        break;
    case CELL_ROUNDS: fprintf(f, "<td>%d/%d</td>", p->ok_rounds, p->rounds); break;
    case CELL_CV: html_num(f, p->rps_cv_pct, "%.1f"); break;
    case CELL_ERRORS:
        fputs("<td>", f);
        for (int i = 0; i < 5; i++)
            fprintf(f, "%s%.0f", i ? "/" : "", e[i] < 0 ? 0 : e[i]);
        fputs("</td>", f);
        break;
    case CELL_FLAGS: flag_tags(f, m); break;
    case CELL_STATUS: fprintf(f, "<td class=l>%s</td>", row_status_name(m->status)); break;
    case CELL_NOTE: note_cell(f, m->note); break;
    case CELL_NUM: case CELL_RATE: break;
    }
}

static void point_row(FILE *f, const struct stats_point *p)
{
    const struct row *m = &p->med;
    fprintf(f, "<tr class=\"%s\">", html_is_ref(m->category) ? "ref" :
            m->status != ROW_STATUS_OK ? "bad" : "");
    for (size_t i = 0; i < N_CELLS; i++)
        if (cells[i].cell == CELL_NUM || cells[i].cell == CELL_RATE)
            number_cell(f, m, &cells[i]);
        else
            special_cell(f, p, cells[i].cell);
    fputs("</tr>\n", f);
}

void html_points(FILE *f, const struct stats_points *p)
{
    legend(f);
    fputs("<div class=\"scroll points\"><table><thead><tr>", f);
    for (size_t i = 0; i < N_CELLS; i++)
        fprintf(f, "<th%s>%s</th>", left(cells[i].cell) ? " class=l" : "", cells[i].label);
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < p->n; i++)
        point_row(f, &p->v[i]);
    fputs("</tbody></table></div>\n", f);
}
