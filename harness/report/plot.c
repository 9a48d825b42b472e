/* gnuplot plots (see plot.h): line plots as small multiples, one panel
 * per category of model with the calibration server and the references
 * drawn in every panel, one legend beside them; a model has the same
 * colour in every plot; a y axis spanning more than LOG_RATIO is
 * logarithmic; error bars are the lowest and highest round. */
#include "report/plot.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/judge.h"
#include "base/models.h"
#include "report/plot_int.h"
#include "base/spawn.h"
#include "base/util.h"

#define PLOT_TIMEOUT_MS 60000
#define LOG_RATIO 20.0            /* max / min above this: log axis */
#define LEGEND_SHARE 0.16         /* of the width, right of the panels */
#define TIC_CHAR_PX 7.0           /* a tic label's character at 10 pt */
#define TIC_GAP_PX 6.0            /* between two tic labels, at least */
#define PANEL_PLOT_SHARE 0.75     /* of a panel's width: the plot, not its margins */

enum plot_x { X_CONNS, X_IDLE, X_OFFERED, X_SLOW };
enum plot_fig { FIG_RPS, FIG_P99, FIG_EFF, FIG_RSS, FIG_CPU };

struct line_def {
    const char *name, *title, *xlabel, *ylabel;
    enum plot_x x;
    enum plot_fig fig;
};

static const struct line_def open_def = {
    "openloop_p99", "p99 latency against offered load (open loop)",
    "offered load (req/s)", "p99 from the due time (ms)", X_OFFERED, FIG_P99};
static const struct line_def conns_defs[] = {
    {"throughput", "throughput against connections (closed loop)",
     "concurrent connections", "requests/s", X_CONNS, FIG_RPS},
    {"p99", "p99 latency against connections (closed loop)", "concurrent connections",
     "p99 latency (ms)", X_CONNS, FIG_P99},
    {"efficiency", "requests per server CPU-second (closed loop)",
     "concurrent connections", "requests per server CPU-second", X_CONNS, FIG_EFF},
    {"memory", "peak RSS of the server (closed loop)", "concurrent connections",
     "peak RSS (MiB)", X_CONNS, FIG_RSS},
};
/* --workload slow-clients: against the number of clients. */
static const struct line_def slow_defs[] = {
    {"slow_p99", "p99 latency against the number of slow clients",
     "slow clients (connections at a few req/s each)", "p99 from the due time (ms)",
     X_SLOW, FIG_P99},
    {"slow_cpu", "server CPU per request against the number of slow clients",
     "slow clients (connections at a few req/s each)", "server CPU per request (us)",
     X_SLOW, FIG_CPU},
};
static const struct line_def idle_defs[] = {
    {"idle_throughput", "throughput against idle connections",
     "idle keep-alive connections held open", "requests/s", X_IDLE, FIG_RPS},
    {"idle_p99", "p99 latency against idle connections",
     "idle keep-alive connections held open", "p99 latency (ms)", X_IDLE, FIG_P99},
};

/* What one plot spans, from its data files. */
struct extent {
    double xmin, xmax, ymin, ymax;   /* ymin: smallest positive */
    int rows[64];                    /* per series */
    double kxmin[64], kxmax[64];     /* per series: its x range */
    bool bars;                       /* some point has several rounds */
};

static struct judge_figure value_of(const struct stats_point *pt, enum plot_fig fig)
{
    struct judge_figure f = {pt->med.peak_rss_kb / 1024, -1, -1, pt->ok_rounds};
    switch (fig) {
    case FIG_RPS: return judge_rps(pt);
    case FIG_P99: return judge_p99(pt);
    case FIG_EFF: return judge_eff(pt);
    case FIG_CPU: return judge_cpu(pt);
    case FIG_RSS: break;
    }
    f.lo = f.hi = f.med;
    return f;
}

static bool selected(const struct row *m, enum plot_x x, int sweep_conns)
{
    /* slow steps vary the clients, not the rate; the mixed workload's
     * cheap requests alone are another load, shown in its own table */
    if (x == X_OFFERED)
        return stats_rate_step(m);
    if (x == X_SLOW)
        return stats_open(m) && m->step == ROW_STEP_SLOW;
    if (m->kind != ROW_KIND_LOAD || m->mode != ROW_MODE_CLOSED)
        return false;
    return x == X_CONNS ? m->idle <= 0 : m->conns == sweep_conns;
}

static void widen(struct extent *e, double x, double lo, double hi)
{
    e->xmin = e->xmin < 0 || x < e->xmin ? x : e->xmin;
    e->xmax = x > e->xmax ? x : e->xmax;
    if (lo > 0 && (e->ymin < 0 || lo < e->ymin))
        e->ymin = lo;
    e->ymax = hi > e->ymax ? hi : e->ymax;
}

/* plots/data/<plot>-<model>.dat: x median lowest highest, by x. */
static int write_data(const char *dir, const struct stats_points *p, const struct line_def *d,
                      const struct plot_series *s, int n, int sweep, struct extent *e)
{
    char path[PATH_MAX];
    *e = (struct extent){.xmin = -1, .xmax = -1, .ymin = -1, .ymax = -1};
    for (int k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/plots/data/%s-%s.dat", dir, d->name, s[k].model);
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        fprintf(f, "# %s: x median lowest highest (over the rounds)\n", d->title);
        for (size_t i = 0; i < p->n; i++) {
            const struct stats_point *pt = &p->v[i];
            const struct row *m = &pt->med;
            if (strcmp(m->model, s[k].model) || !plot_usable(pt) || !selected(m, d->x, sweep))
                continue;
            struct judge_figure v = value_of(pt, d->fig);
            double x = d->x == X_CONNS || d->x == X_SLOW ? m->conns
                       : d->x == X_IDLE ? m->idle : m->offered_rps;
            if (v.med < 0)
                continue;
            fprintf(f, "%.1f %.4f %.4f %.4f\n", x, v.med, v.lo, v.hi);
            widen(e, x, v.lo, v.hi);
            e->kxmin[k] = e->rows[k] == 0 || x < e->kxmin[k] ? x : e->kxmin[k];
            e->kxmax[k] = e->rows[k] == 0 || x > e->kxmax[k] ? x : e->kxmax[k];
            e->bars |= pt->ok_rounds > 1;
            e->rows[k]++;
        }
        if (fclose(f))
            return -1;
    }
    return 0;
}

/* A log axis over less than three decades gets tics at 1, 2 and 5 times
 * the powers of ten (gnuplot puts them at the powers only). */
static void log_tics(FILE *gp, double lo, double hi)
{
    static const double steps[] = {1, 2, 5};
    if (hi / lo >= 1000)
        return;
    fprintf(gp, "set ytics (");
    int n = 0;
    for (double p = pow(10, floor(log10(lo))); p <= hi; p *= 10)
        for (int k = 0; k < 3; k++)
            if (p * steps[k] >= lo && p * steps[k] <= hi)
                fprintf(gp, "%s%g", n++ ? ", " : "", p * steps[k]);
    fprintf(gp, ")\n");
}

/* The x axis over [xmin, xmax]: logarithmic for connections, and for
 * offered rates spanning more than LOG_RATIO; otherwise linear over the
 * rates measured (not from 0: the hockey stick is where the data is). */
static void x_axis(FILE *gp, const struct line_def *d, double xmin, double xmax)
{
    bool logx = d->x == X_CONNS || d->x == X_SLOW || (d->x == X_OFFERED && xmin > 0 &&
                                    xmax / xmin > LOG_RATIO);
    fprintf(gp, "unset logscale x\nset xlabel '%s%s'\n", d->xlabel, logx ? " (log scale)" : "");
    if (logx)
        fprintf(gp, "set logscale x\nset xrange [%g:%g]\nset format x '%%.0s%%c'\n",
                xmin / 1.5, xmax * 1.5);
    else if (d->x == X_OFFERED && xmax > xmin)
        fprintf(gp, "set xrange [%g:%g]\nset format x '%%.0s%%c'\n",
                fmax(0, xmin - 0.06 * (xmax - xmin)), xmax + 0.06 * (xmax - xmin));
    else
        fprintf(gp, "set xrange [0:%g]\n", xmax > 0 ? xmax * 1.05 : 1);
}

/* The offered rates a panel spans: its models' and the context's. */
static void panel_x(const struct plot_series *s, int n, const struct extent *e,
                    const char *cat, double *xmin, double *xmax)
{
    *xmin = *xmax = -1;
    for (int k = 0; k < n; k++) {
        if (!e->rows[k] || (!s[k].context && (!cat || strcmp(s[k].category, cat))))
            continue;
        *xmin = *xmin < 0 || e->kxmin[k] < *xmin ? e->kxmin[k] : *xmin;
        *xmax = e->kxmax[k] > *xmax ? e->kxmax[k] : *xmax;
    }
}

static void axes(FILE *gp, const struct line_def *d, const struct extent *e, bool *logy)
{
    *logy = e->ymin > 0 && e->ymax / e->ymin > LOG_RATIO;
    fprintf(gp, "set grid\nunset key\n");
    x_axis(gp, d, e->xmin, e->xmax);
    if (*logy) {
        fprintf(gp, "set logscale y\nset yrange [%g:%g]\nset format y '%%.1s%%c'\n",
                e->ymin / 1.3, e->ymax * 1.3);
        log_tics(gp, e->ymin / 1.3, e->ymax * 1.3);
    }
    else
        fprintf(gp, "set yrange [0:%g]\nset format y '%%.1s%%c'\n",
                e->ymax > 0 ? e->ymax * 1.08 : 1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A level's label: "10k" from 10000 on, else the number. */
static int level_label(double x, char *out, size_t outlen)
{
    if (x >= 10000 && fmod(x, 1000) == 0)
        return snprintf(out, outlen, "%.0fk", x / 1000);
    return snprintf(out, outlen, "%.0f", x);
}

/* Explicit x tics at the levels measured (connections or idle). On a log
 * axis in a panel of width_px, a label that would touch the next one to
 * its right (1024, 4096 and 10000 share little room) keeps its tic and
 * loses its words; the highest level is always named. */
static void level_tics(FILE *gp, const struct stats_points *p, const struct line_def *d,
                       int sweep, double width_px)
{
    double seen[64], right = -1;
    int n = 0, right_len = 0;
    char label[32];
    if (d->x == X_OFFERED)
        return;
    for (size_t i = 0; i < p->n && n < 64; i++) {
        const struct row *m = &p->v[i].med;
        double x = d->x == X_IDLE ? m->idle : m->conns; /* X_SLOW: conns too */
        bool dup = !selected(m, d->x, sweep);
        for (int k = 0; k < n && !dup; k++)
            dup = seen[k] == x;
        if (!dup)
            seen[n++] = x;
    }
    qsort(seen, (size_t)n, sizeof *seen, cmp_double);
    bool logx = d->x != X_IDLE && n && seen[0] > 0;
    double decades = logx ? log10(seen[n - 1] * 1.5 / (seen[0] / 1.5)) : 0;
    fprintf(gp, "set xtics (");
    for (int k = n - 1; k >= 0; k--) {
        int len = level_label(seen[k], label, sizeof label);
        double gap = right < 0 || !logx || decades <= 0 ? 1e9 :
                     log10(right / seen[k]) / decades * width_px;
        bool room = gap >= (len + right_len) * TIC_CHAR_PX / 2.0 + TIC_GAP_PX;
        fprintf(gp, "%s'%s' %.0f", k < n - 1 ? ", " : "", room ? label : "", seen[k]);
        if (room) {
            right = seen[k];
            right_len = len;
        }
    }
    fprintf(gp, ")\n");
}

static void series_style(FILE *gp, const struct plot_series *s)
{
    fprintf(gp, "lc rgb '#%06x' lw %s pt %d ps 0.7 dt %d", s->colour, s->context ? "1.5" : "2",
            s->point, s->dash);
}

/* One panel: the models of category cat (NULL: none) and the context. */
static void panel(FILE *gp, const struct line_def *d, const struct plot_series *s, int n,
                  const struct extent *e, const char *cat)
{
    bool first = true;
    for (int k = 0; k < n; k++) {
        if (!e->rows[k] || (!s[k].context && (!cat || strcmp(s[k].category, cat))))
            continue;
        fprintf(gp, "%s 'data/%s-%s.dat' using 1:2%s with %s notitle ", first ? "plot" :
                ", \\\n    ", d->name, s[k].model, e->bars ? ":3:4" : "",
                e->bars ? "yerrorlines" : "linespoints");
        series_style(gp, &s[k]);
        first = false;
    }
    fputc('\n', gp);
}

/* The legend alone, right of the panels: every series with data. */
static void legend(FILE *gp, const struct plot_series *s, int n, const struct extent *e,
                   double x0)
{
    bool first = true;
    fprintf(gp, "set origin %.3f,0\nset size %.3f,1\nunset border\nunset tics\nunset grid\n"
                "unset title\nunset xlabel\nunset ylabel\nunset logscale\nset xrange [0:1]\n"
                "set yrange [0:1]\nset key center center vertical Left reverse "
                "spacing 1.2 samplen 3\n", x0, 1 - x0);
    for (int k = 0; k < n; k++) {
        if (!e->rows[k])
            continue;
        fprintf(gp, "%s NaN title '%s%s' with linespoints ", first ? "plot" : ", \\\n    ",
                s[k].model, s[k].context ? " (ref)" : "");
        series_style(gp, &s[k]);
        first = false;
    }
    fputc('\n', gp);
}

static void line_plot(FILE *gp, const struct stats_points *p, const struct line_def *d,
                      const struct plot_series *s, int n, const struct extent *e, int sweep,
                      bool png)
{
    static const char *cats[] = {"blocking", "event-driven", "hybrid"};
    const char *used[3];
    int np = 0;
    bool logy, any = false;
    for (int c = 0; c < 3; c++) {
        bool has = false;
        for (int k = 0; k < n; k++)
            has |= e->rows[k] > 0 && strcmp(s[k].category, cats[c]) == 0;
        if (has)
            used[np++] = cats[c];
    }
    for (int k = 0; k < n; k++)
        any |= e->rows[k] > 0;
    plot_terminal(gp, d->name, png, PLOT_HEIGHT);
    if (!any) { /* gnuplot refuses a plot without points: an empty frame */
        fprintf(gp, "set title '%s'\nset label 'not measured in this run' at graph 0.5,0.5 "
                    "center\nplot [0:1][0:1] NaN notitle\nunset output\n", d->title);
        return;
    }
    double w = (1 - LEGEND_SHARE) / (np ? np : 1);
    fprintf(gp, "set multiplot title '%s' font ',14'\n", d->title);
    axes(gp, d, e, &logy);
    level_tics(gp, p, d, sweep, w * PLOT_WIDTH * PANEL_PLOT_SHARE);
    for (int i = 0; i < (np ? np : 1); i++) {
        double xmin, xmax;
        if (d->x == X_OFFERED) { /* each panel spans its own rates */
            panel_x(s, n, e, np ? used[i] : NULL, &xmin, &xmax);
            x_axis(gp, d, xmin, xmax);
        }
        fprintf(gp, "set origin %.3f,0\nset size %.3f,0.95\nset title '%s'\nset ylabel '%s'\n",
                i * w, w, np ? used[i] : "references", i ? "" : d->ylabel);
        panel(gp, d, s, n, e, np ? used[i] : NULL);
    }
    legend(gp, s, n, e, (np ? np : 1) * w);
    fprintf(gp, "unset multiplot\nunset output\n");
    (void)logy;
}

static int lines(FILE *gp, const char *dir, const struct stats_points *p,
                 const struct line_def *d, const struct plot_series *s, int n, int sweep,
                 bool always, struct plot_set *out)
{
    struct extent e;
    if (write_data(dir, p, d, s, n, sweep, &e))
        return -1;
    if (e.xmax < 0 && !always)
        return 0;
    line_plot(gp, p, d, s, n, &e, sweep, false);
    line_plot(gp, p, d, s, n, &e, sweep, true);
    plot_add(out, d->name, d->title);
    return 0;
}

static int run_gnuplot(const char *dir, char *err, size_t errlen)
{
    char script[PATH_MAX], log[PATH_MAX];
    snprintf(script, sizeof script, "%s/plots/plots.gp", dir);
    snprintf(log, sizeof log, "%s/plots/gnuplot.log", dir);
    FILE *lf = fopen(log, "w");
    char *argv[] = {"gnuplot", script, NULL};
    struct spawn_spec sp = {.argv = argv, .stdout_fd = lf ? fileno(lf) : -1,
                           .stderr_fd = lf ? fileno(lf) : -1};
    int st = 0;
    pid_t pid = spawn_child(&sp, err, errlen);
    if (lf)
        fclose(lf);
    if (pid < 0)
        return -1;
    if (spawn_wait(pid, PLOT_TIMEOUT_MS, &st, NULL) != 1) {
        char note[128];
        spawn_stop(pid, 1000, NULL, note, sizeof note);
        snprintf(err, errlen, "gnuplot took over %d s: stopped", PLOT_TIMEOUT_MS / 1000);
        return -1;
    }
    if (st != 0) {
        snprintf(err, errlen, "gnuplot failed (see %s)", log);
        return -1;
    }
    return 0;
}

static int write_script(FILE *gp, const char *dir, const struct stats_points *p,
                        struct plot_set *out)
{
    struct plot_series s[64];
    int n = plot_list_series(p, s, 64), sweep = -1, rc = 0;
    for (size_t i = 0; i < p->n && sweep < 0; i++)
        if (p->v[i].med.kind == ROW_KIND_LOAD && p->v[i].med.idle > 0)
            sweep = (int)p->v[i].med.conns;
    fprintf(gp, "# Generated by the c10k-lab harness from summary.csv; run in this"
                " directory: gnuplot plots.gp\ncd '%s/plots'\n", dir);
    rc |= lines(gp, dir, p, &open_def, s, n, sweep, false, out);
    rc |= plot_open_bars(gp, dir, p, s, n, out);
    for (size_t k = 0; k < sizeof conns_defs / sizeof conns_defs[0]; k++)
        rc |= lines(gp, dir, p, &conns_defs[k], s, n, sweep, true, out);
    rc |= plot_memory_bars(gp, dir, p, s, n, out);
    for (size_t k = 0; sweep > 0 && k < sizeof idle_defs / sizeof idle_defs[0]; k++)
        rc |= lines(gp, dir, p, &idle_defs[k], s, n, sweep, false, out);
    for (size_t k = 0; k < sizeof slow_defs / sizeof slow_defs[0]; k++)
        rc |= lines(gp, dir, p, &slow_defs[k], s, n, sweep, false, out);
    return rc ? -1 : 0;
}

int plot_all(const char *dir, const struct stats_points *p, struct plot_set *out,
             char *err, size_t errlen)
{
    char path[PATH_MAX];
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/plots/data", dir);
    if (util_mkdir_p(path, err, errlen))
        return -1;
    snprintf(path, sizeof path, "%s/plots/plots.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = write_script(gp, dir, p, out);
    if (fclose(gp) || rc) {
        snprintf(err, errlen, "write %s/plots: %s", dir, strerror(errno));
        return -1;
    }
    return run_gnuplot(dir, err, errlen);
}
