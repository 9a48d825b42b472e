/* Bar charts (see plot_int.h): one bar per server in report order, in the
 * server's own colour, its value written above it; error bars are the
 * lowest and highest round; hatched bars are figures to read with care (a
 * sustainable rate that is loadgen's limit, CPU per request at a load the
 * server did not sustain); a range over LOG_RATIO gets a log axis. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "results/judge.h"
#include "report/plot_int.h"
#include "base/util.h"

#define LOG_RATIO 20.0
#define MAX_BARS 64

struct bar {
    char label[48], text[32];
    double v, lo, hi;            /* -1: no bar */
    unsigned colour;
    bool hatched;
};

struct bar_panel {
    char file[64], title[64];
    struct bar b[MAX_BARS];
    int n;
};

static void set_bar(struct bar *b, const struct plot_series *s, struct judge_figure f,
                    const char *fmt, bool hatched)
{
    snprintf(b->label, sizeof b->label, "%s%s", s->model, s->context ? " (ref)" : "");
    b->v = f.med;
    b->lo = f.lo;
    b->hi = f.hi;
    b->colour = s->colour;
    b->hatched = hatched;
    if (f.med < 0)
        snprintf(b->text, sizeof b->text, "-");
    else if (fmt)
        snprintf(b->text, sizeof b->text, fmt, f.med);
    else
        util_format_rate(f.med, b->text, sizeof b->text);
}

/* data/<file>: label value lowest highest colour text hatched label-y;
 * on a log axis a value under floor is drawn at floor (labelled true). */
static int write_panel(const char *dir, const struct bar_panel *pn, double floor)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/plots/data/%s", dir, pn->file);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# server value lowest highest colour text hatched label_y\n");
    for (int i = 0; i < pn->n; i++) {
        const struct bar *b = &pn->b[i];
        double v = b->v < 0 ? NAN : b->v < floor ? floor : b->v;
        fprintf(f, "\"%s\" %g %g %g %u \"%s\" %d %g\n", b->label, v, b->lo < 0 ? v : b->lo,
                b->hi < 0 ? v : b->hi, b->colour, b->text, b->hatched,
                b->hi > 0 ? fmax(b->hi, floor) : floor > 0 ? floor : 0);
    }
    return fclose(f) ? -1 : 0;
}

static void bars_plot(FILE *gp, const char *name, const char *title, const char *ylabel,
                      const struct bar_panel *pn, int np, double ymin, double ymax, bool log,
                      bool errorbars, bool png)
{
    plot_terminal(gp, name, png, PLOT_HEIGHT);
    fprintf(gp, "set multiplot title '%s' font ',14'\nset style fill solid 0.8 border -1\n"
                "set boxwidth 0.7\nset xtics rotate by -40 nomirror\nunset key\nset grid y\n"
                "set format y '%%.1s%%c'\n", title);
    if (log)
        fprintf(gp, "set logscale y\nset yrange [%g:%g]\n", ymin, ymax * 2);
    else
        fprintf(gp, "set yrange [0:%g]\n", ymax > 0 ? ymax * 1.15 : 1);
    for (int i = 0; i < np; i++) {
        fprintf(gp, "set origin %.3f,0\nset size %.3f,0.95\nset title '%s'\nset ylabel '%s%s'\n"
                    "set xrange [-0.6:%d]\n", (double)i / np, 1.0 / np, pn[i].title,
                i ? "" : ylabel, i == 0 && log ? " (log scale)" : "", pn[i].n);
        fprintf(gp, "plot 'data/%s' using 0:($7 > 0 ? NaN : $2):5:xtic(1) with boxes lc rgb "
                    "variable, \\\n    '' using 0:($7 > 0 ? $2 : NaN):5 with boxes fs pattern 4 "
                    "lc rgb variable", pn[i].file);
        if (errorbars)
            fprintf(gp, ", \\\n    '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0");
        fprintf(gp, ", \\\n    '' using 0:8:6 with labels offset 0,0.7 font ',9'\n");
    }
    fprintf(gp, "unset multiplot\nunset output\n");
}

/* Writes the panels' data and the chart twice (SVG, PNG). */
static int chart(FILE *gp, const char *dir, const char *name, const char *title,
                 const char *ylabel, const struct bar_panel *pn, int np)
{
    double ymin = -1, ymax = 0;
    bool errorbars = false;
    for (int i = 0; i < np; i++)
        for (int k = 0; k < pn[i].n; k++) {
            const struct bar *b = &pn[i].b[k];
            if (b->v > 0 && (ymin < 0 || b->v < ymin))
                ymin = b->v;
            ymax = fmax(ymax, fmax(b->v, b->hi));
            errorbars |= b->hi > b->lo;
        }
    bool log = ymin > 0 && ymax / ymin > LOG_RATIO;
    double floor = log ? ymin / 2 : 0;
    for (int i = 0; i < np; i++)
        if (write_panel(dir, &pn[i], floor))
            return -1;
    bars_plot(gp, name, title, ylabel, pn, np, floor, ymax, log, errorbars, false);
    bars_plot(gp, name, title, ylabel, pn, np, floor, ymax, log, errorbars, true);
    return 0;
}

/* The maximum sustainable rate of every server that has an msr row. */
static int msr_chart(FILE *gp, const char *dir, const struct stats_points *p,
                     const struct plot_series *s, int n, struct plot_set *out)
{
    static struct bar_panel pn;
    pn = (struct bar_panel){.file = "msr.dat", .title = "hatched: a lower bound (loadgen limit or noise)"};
    for (int k = 0; k < n && pn.n < MAX_BARS; k++) {
        const struct stats_point *m =
            stats_find_open(p, s[k].model, ROW_KIND_MSR, ROW_STEP_NONE, -1);
        if (!m || m->ok_rounds == 0)
            continue;
        struct bar *b = &pn.b[pn.n++];
        bool bound = row_has_flag(&m->med, ROW_FLAG_LOWER_BOUND);
        set_bar(b, &s[k], judge_msr(m), NULL, bound);
        if (m->med.offered_rps <= 0) { /* nothing sustained: no bar, the word */
            b->v = b->lo = b->hi = -1;
            snprintf(b->text, sizeof b->text, "none");
        }
        else if (bound)
            snprintf(b->text + strlen(b->text), sizeof b->text - strlen(b->text), "+");
    }
    if (pn.n == 0)
        return 0;
    if (chart(gp, dir, "msr", "maximum sustainable rate (p99 within the SLO)", "req/s", &pn, 1))
        return -1;
    plot_add(out, "msr", "maximum sustainable rate");
    return 0;
}

/* Server CPU per request, one panel per equal-load rate. */
static int cpu_chart(FILE *gp, const char *dir, const struct stats_points *p,
                     const struct plot_series *s, int n, struct plot_set *out)
{
    static struct bar_panel pn[4];
    double rates[4];
    int np = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        bool dup = !stats_open(m) || m->step != ROW_STEP_EQUAL || np == 4;
        for (int k = 0; k < np && !dup; k++)
            dup = rates[k] == m->offered_rps;
        if (!dup)
            rates[np++] = m->offered_rps;
    }
    for (int r = 0; r < np; r++) {
        char rate[32];
        util_format_rate(rates[r], rate, sizeof rate);
        pn[r] = (struct bar_panel){.n = 0};
        snprintf(pn[r].file, sizeof pn[r].file, "cpu_per_req-%d.dat", r);
        snprintf(pn[r].title, sizeof pn[r].title, "at %s req/s offered", rate);
        for (int k = 0; k < n && pn[r].n < MAX_BARS; k++) {
            const struct stats_point *e =
                stats_find_open(p, s[k].model, ROW_KIND_LOAD, ROW_STEP_EQUAL, rates[r]);
            if (!e || !plot_usable(e))
                continue;
            set_bar(&pn[r].b[pn[r].n++], &s[k], judge_cpu(e), "%.1f",
                    !row_sustained(&e->med));
        }
    }
    if (np == 0)
        return 0;
    if (chart(gp, dir, "cpu_per_req", "server CPU per request at equal offered load "
              "(hatched: not sustained)", "microseconds", pn, np))
        return -1;
    plot_add(out, "cpu_per_req", "server CPU per request at equal load");
    return 0;
}

int plot_open_bars(FILE *gp, const char *dir, const struct stats_points *p,
                   const struct plot_series *s, int n, struct plot_set *out)
{
    return msr_chart(gp, dir, p, s, n, out) || cpu_chart(gp, dir, p, s, n, out) ? -1 : 0;
}

int plot_memory_bars(FILE *gp, const char *dir, const struct stats_points *p,
                     const struct plot_series *s, int n, struct plot_set *out)
{
    static struct bar_panel pn;
    pn = (struct bar_panel){.file = "memory.dat", .title = "server RSS growth per connection"};
    for (int k = 0; k < n && pn.n < MAX_BARS; k++) {
        const struct stats_point *m = stats_memory_point(p, s[k].model);
        if (!m)
            continue;
        double kib = m->med.mem_per_idle_b / 1024.0;
        struct judge_figure f = {kib, kib, kib, m->ok_rounds};
        set_bar(&pn.b[pn.n++], &s[k], f, "%.1f", false);
    }
    if (pn.n == 0)
        return 0;
    if (chart(gp, dir, "memory_per_conn", "memory per idle keep-alive connection", "KiB",
              &pn, 1))
        return -1;
    plot_add(out, "memory_per_conn", "memory per idle connection");
    return 0;
}
