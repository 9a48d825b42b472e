/* gnuplot plots (see plot.h). */
#include "plot.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "models.h"
#include "proc.h"
#include "util.h"

#define PLOT_TIMEOUT_MS 60000
#define PLOT_SIZE "1000,560"

/* Distinct colours for up to 20 series, then they repeat. */
static const char *colours[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39",
    "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
};

struct series {
    char model[32], category[16];
    int first;                       /* index of its first point */
};

/* Models in report order, each once. */
static int list_series(const struct stats_points *p, struct series *s, int max)
{
    int n = 0;
    for (size_t i = 0; i < p->n; i++) {
        bool seen = false;
        for (int k = 0; k < n; k++)
            seen |= strcmp(s[k].model, p->v[i].med.model) == 0;
        if (!seen && n < max) {
            snprintf(s[n].model, sizeof s[n].model, "%s", p->v[i].med.model);
            snprintf(s[n].category, sizeof s[n].category, "%s", p->v[i].med.category);
            s[n++].first = (int)i;
        }
    }
    return n;
}

static bool usable(const struct stats_point *pt)
{
    return pt->ok_rounds > 0 && pt->med.requests > 0;
}

/* plots/data/<model>.dat: conns rps min max p99_ms req_per_cpu rss_mib
 * (load points without idle connections), and <model>-idle.dat: the same
 * against idle connections, for the --idle sweep at its first --conns. */
static int write_data(const char *dir, const struct stats_points *p,
                      const struct series *s, int sweep_conns, int *rows)
{
    bool idle = sweep_conns > 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/plots/data/%s%s.dat", dir, s->model, idle ? "-idle" : "");
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# %s req/s min max p99_ms req_per_cpu_s peak_rss_mib\n",
            idle ? "idle" : "conns");
    *rows = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct stats_point *pt = &p->v[i];
        const struct row *m = &pt->med;
        if (strcmp(m->model, s->model) || strcmp(m->kind, "load") || !usable(pt) ||
            strcmp(m->mode, "closed") ||
            (idle ? m->conns != sweep_conns : m->idle > 0))
            continue;
        fprintf(f, "%.0f %.1f %.1f %.1f %.4f %.1f %.3f\n", idle ? m->idle : m->conns,
                m->req_per_s, pt->rps_min, pt->rps_max, m->lat_p99_us / 1000.0,
                m->req_per_cpu_s, m->peak_rss_kb / 1024.0);
        (*rows)++;
    }
    return fclose(f) ? -1 : 0;
}

static const char *dash(const char *category)
{
    return strcmp(category, "reference") == 0 ? "dt 2" :
           strcmp(category, "calibration") == 0 ? "dt 3" : "dt 1";
}

static void write_header(FILE *gp, const char *name, const char *xlabel,
                         const char *ylabel, bool logx, bool logy)
{
    fprintf(gp, "reset\nset terminal svg size " PLOT_SIZE " dynamic enhanced "
                "font 'Helvetica,12' background rgb 'white'\n"
                "set output '%s.svg'\nset title '%s'\n", name, ylabel);
    fprintf(gp, "set xlabel '%s'\nset ylabel '%s'\nset grid\n"
                "set key outside right top vertical spacing 1.1\n"
                "set format y '%%.1s%%c'\n", xlabel, ylabel);
    if (logx)
        fprintf(gp, "set logscale x\n");
    fprintf(gp, logy ? "set logscale y\n" : "set yrange [0:*]\n");
}

static void write_footer(FILE *gp, const char *name)
{
    fprintf(gp, "set terminal pngcairo size " PLOT_SIZE " enhanced font 'Helvetica,10'"
                " background rgb 'white'\nset output '%s.png'\nreplot\nunset output\n",
            name);
}

/* One plot: every series that has data, column ycol of its .dat. */
static void write_plot(FILE *gp, const struct series *s, const int *rows, int n,
                       const char *suffix, int ycol, bool bars)
{
    bool first = true;
    for (int i = 0; i < n; i++) {
        if (rows[i] == 0)
            continue;
        const char *c = colours[i % (sizeof colours / sizeof colours[0])];
        fprintf(gp, "%s 'data/%s%s.dat' using 1:%d%s with %s title '%s%s' "
                    "lc rgb '%s' lw 2 pt %d ps 0.8 %s",
                first ? "plot" : ", \\\n    ", s[i].model, suffix, ycol,
                bars ? ":3:4" : "", bars ? "yerrorlines" : "linespoints",
                s[i].model, model_category_rank(s[i].category) >= 3 ? " (ref)" : "",
                c, 1 + i % 13, dash(s[i].category));
        first = false;
    }
    /* gnuplot refuses a plot without points: draw an empty frame. */
    fprintf(gp, "%s\n", first ? "unset logscale\nset label 'no data' at graph 0.5,0.5 "
                                "center\nplot [0:1][0:1] -1 notitle" : "");
}

static void xtics(FILE *gp, const struct stats_points *p, bool idle)
{
    double seen[64];
    int n = 0;
    fprintf(gp, "set xtics (");
    for (size_t i = 0; i < p->n && n < 64; i++) {
        const struct row *m = &p->v[i].med;
        double x = idle ? m->idle : m->conns;
        bool dup = strcmp(m->kind, "load") != 0 || (!idle && m->idle > 0) ||
                   strcmp(m->mode, "closed") != 0;
        for (int k = 0; k < n && !dup; k++)
            dup = seen[k] == x;
        if (!dup) {
            fprintf(gp, "%s%.0f", n ? ", " : "", x);
            seen[n++] = x;
        }
    }
    fprintf(gp, ")\n");
}

/* Memory per idle connection: one bar per model. */
static int write_memory(FILE *gp, const char *dir, const struct stats_points *p)
{
    char path[PATH_MAX];
    int n = 0;
    snprintf(path, sizeof path, "%s/plots/data/memory.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# model KiB-per-idle-connection idle-connections\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        const struct stats_point *mp = stats_memory_point(p, m->model);
        if (mp != &p->v[i])
            continue;
        fprintf(f, "\"%s\" %.3f %.0f\n", m->model, m->mem_per_idle_b / 1024.0, m->idle_open);
        n++;
    }
    if (fclose(f) || n == 0)
        return n == 0 ? 0 : -1;
    write_header(gp, "memory_per_conn", "model",
                 "memory per idle keep-alive connection (KiB of server RSS)", false, false);
    fprintf(gp, "set style fill solid 0.7\nset boxwidth 0.6\nset xtics rotate by -30\n"
                "set yrange [0:*]\nunset key\n"
                "plot 'data/memory.dat' using 0:2:xtic(1) with boxes lc rgb '#1f77b4',"
                " '' using 0:2:(sprintf('%%.1f', $2)) with labels offset 0,0.7\n");
    write_footer(gp, "memory_per_conn");
    return 1;
}

static void add(struct plot_set *set, const char *name, const char *title);

/* plots/data/<model>-open.dat: offered achieved p99_ms, the open-loop load
 * points (every step) by offered rate. */
static int write_open_data(const char *dir, const struct stats_points *p,
                           const struct series *s, int *rows)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/plots/data/%s-open.dat", dir, s->model);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# offered_rps achieved_rps p99_ms (corrected)\n");
    *rows = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        if (strcmp(m->model, s->model) || !stats_open(m) || !usable(&p->v[i]) ||
            strcmp(m->step, "slow") == 0)
            continue;
        fprintf(f, "%.1f %.1f %.4f\n", m->offered_rps, m->achieved_rps,
                m->lat_p99_us / 1000.0);
        (*rows)++;
    }
    return fclose(f) ? -1 : 0;
}

/* The maximum sustainable rate per server as bars (error bars: lowest and
 * highest round), and server CPU per request at each equal-load rate. */
static int write_open_bars(FILE *gp, const char *dir, const struct stats_points *p)
{
    char path[PATH_MAX];
    int n = 0;
    snprintf(path, sizeof path, "%s/plots/data/msr.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# model msr_rps min max reference(0/1)\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct stats_point *pt = &p->v[i];
        if (strcmp(pt->med.kind, "msr") || pt->ok_rounds == 0)
            continue;
        fprintf(f, "\"%s%s\" %.1f %.1f %.1f %d\n", pt->med.model,
                row_has_flag(&pt->med, "lower-bound") ? " (>=)" : "", pt->med.offered_rps,
                pt->rps_min, pt->rps_max, model_category_rank(pt->med.category) >= 3);
        n++;
    }
    if (fclose(f) || n == 0)
        return n == 0 ? 0 : -1;
    write_header(gp, "msr", "server", "maximum sustainable rate (req/s, p99 within the SLO)",
                 false, false);
    fprintf(gp, "set style fill solid 0.7\nset boxwidth 0.6\nset xtics rotate by -30\n"
                "unset key\nplot 'data/msr.dat' using 0:2:($5 > 0 ? 0x999999 : 0x1f77b4):"
                "xtic(1) with boxes lc rgb variable, '' using 0:2:3:4 with yerrorbars "
                "lc rgb 'black' pt 0\n");
    write_footer(gp, "msr");
    return 1;
}

static int write_cpu_bars(FILE *gp, const char *dir, const struct stats_points *p)
{
    char path[PATH_MAX];
    double rates[4];
    int n_rates = 0, n = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        bool dup = !stats_open(m) || strcmp(m->step, "equal") || n_rates == 4;
        for (int k = 0; k < n_rates && !dup; k++)
            dup = rates[k] == m->offered_rps;
        if (!dup)
            rates[n_rates++] = m->offered_rps;
    }
    snprintf(path, sizeof path, "%s/plots/data/cpu_per_req.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# model then server CPU us per request at each equal-load rate\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        if (strcmp(m->kind, "msr"))
            continue;
        fprintf(f, "\"%s\"", m->model);
        for (int k = 0; k < n_rates; k++) {
            const struct stats_point *e = stats_find_open(p, m->model, "load", "equal",
                                                          rates[k]);
            fprintf(f, " %.2f", e && usable(e) ? e->med.srv_cpu_us_per_req : 0.0);
        }
        fputc('\n', f);
        n++;
    }
    if (fclose(f) || n == 0 || n_rates == 0)
        return n == 0 || n_rates == 0 ? 0 : -1;
    write_header(gp, "cpu_per_req", "server",
                 "server CPU per request at equal offered load (microseconds)", false, false);
    fprintf(gp, "set style data histogram\nset style histogram clustered gap 1\n"
                "set style fill solid 0.7\nset xtics rotate by -30\nset key inside top left\n");
    for (int k = 0; k < n_rates; k++) {
        char rate[32];
        util_format_rate(rates[k], rate, sizeof rate);
        fprintf(gp, "%s 'data/cpu_per_req.dat' using %d%s title 'at %s req/s'",
                k ? ", \\\n    " : "plot", k + 2, k ? "" : ":xtic(1)", rate);
    }
    fputc('\n', gp);
    write_footer(gp, "cpu_per_req");
    return 1;
}

static void open_plots(FILE *gp, const char *dir, const struct stats_points *p,
                       const struct series *s, const int *rows, int n,
                       struct plot_set *out)
{
    write_header(gp, "openloop_p99", "offered load (requests/s)",
                 "p99 latency from the due time (ms, log scale) against offered load",
                 false, true);
    write_plot(gp, s, rows, n, "-open", 3, false);
    write_footer(gp, "openloop_p99");
    add(out, "openloop_p99", "p99 latency against offered load (open loop)");
    if (write_open_bars(gp, dir, p) > 0)
        add(out, "msr", "maximum sustainable rate");
    if (write_cpu_bars(gp, dir, p) > 0)
        add(out, "cpu_per_req", "server CPU per request at equal load");
}

/* plots/data/<model>-slow.dat: conns p99_ms srv_cpu_us_per_req, the
 * slow-client steps (--workload slow-clients). */
static int write_slow_data(const char *dir, const struct stats_points *p,
                           const struct series *s, int *rows)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/plots/data/%s-slow.dat", dir, s->model);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# conns p99_ms (corrected) server_cpu_us_per_request\n");
    *rows = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        if (strcmp(m->model, s->model) || strcmp(m->step, "slow") || !usable(&p->v[i]))
            continue;
        fprintf(f, "%.0f %.4f %.2f\n", m->conns, m->lat_p99_us / 1000.0,
                m->srv_cpu_us_per_req);
        (*rows)++;
    }
    return fclose(f) ? -1 : 0;
}

/* p99 and server CPU per request against the number of slow clients. */
static void slow_plots(FILE *gp, const struct series *s, const int *rows, int n,
                       struct plot_set *out)
{
    static const struct { const char *name, *ylabel, *title; int col; bool logy; } P[] = {
        {"slow_p99", "p99 latency from the due time (ms, log scale)",
         "p99 latency against the number of slow clients", 2, true},
        {"slow_cpu", "server CPU per request (microseconds)",
         "server CPU per request against the number of slow clients", 3, false},
    };
    for (size_t k = 0; k < sizeof P / sizeof P[0]; k++) {
        write_header(gp, P[k].name, "slow clients: connections, each at a few req/s "
                     "(log scale)", P[k].ylabel, true, P[k].logy);
        write_plot(gp, s, rows, n, "-slow", P[k].col, false);
        write_footer(gp, P[k].name);
        add(out, P[k].name, P[k].title);
    }
}

static void add(struct plot_set *set, const char *name, const char *title)
{
    set->names[set->n] = name;
    set->titles[set->n++] = title;
}

static int run_gnuplot(const char *dir, char *err, size_t errlen)
{
    char script[PATH_MAX], log[PATH_MAX];
    snprintf(script, sizeof script, "%s/plots/plots.gp", dir);
    snprintf(log, sizeof log, "%s/plots/gnuplot.log", dir);
    FILE *lf = fopen(log, "w");
    char *argv[] = {"gnuplot", script, NULL};
    struct proc_spec sp = {.argv = argv, .stdout_fd = lf ? fileno(lf) : -1,
                           .stderr_fd = lf ? fileno(lf) : -1};
    int st = 0;
    pid_t pid = proc_spawn(&sp, err, errlen);
    if (lf)
        fclose(lf);
    if (pid < 0)
        return -1;
    if (proc_wait(pid, PLOT_TIMEOUT_MS, &st, NULL) != 1) {
        char note[128];
        proc_stop(pid, 1000, NULL, note, sizeof note);
        snprintf(err, errlen, "gnuplot took over %d s: stopped", PLOT_TIMEOUT_MS / 1000);
        return -1;
    }
    if (st != 0) {
        snprintf(err, errlen, "gnuplot failed (see %s)", log);
        return -1;
    }
    return 0;
}

static void conns_plots(FILE *gp, const struct stats_points *p, const struct series *s,
                        const int *rows, int n, bool bars, struct plot_set *out)
{
    static const struct { const char *name, *ylabel; int col; bool logy; } P[] = {
        {"throughput", "throughput (requests/s)", 2, false},
        {"p99", "p99 latency (ms, log scale)", 5, true},
        {"efficiency", "requests per server CPU-second", 6, false},
        {"memory", "peak RSS of the server (MiB, log scale)", 7, true},
    };
    for (size_t k = 0; k < sizeof P / sizeof P[0]; k++) {
        write_header(gp, P[k].name, "concurrent connections (log scale)",
                     P[k].ylabel, true, P[k].logy);
        xtics(gp, p, false);
        write_plot(gp, s, rows, n, "", P[k].col, bars && P[k].col == 2);
        write_footer(gp, P[k].name);
        add(out, P[k].name, P[k].ylabel);
    }
}

static void idle_plots(FILE *gp, const struct stats_points *p, const struct series *s,
                       const int *rows, int n, bool bars, struct plot_set *out)
{
    write_header(gp, "idle_throughput", "idle keep-alive connections held open",
                 "throughput with idle connections open (requests/s)", false, false);
    xtics(gp, p, true);
    write_plot(gp, s, rows, n, "-idle", 2, bars);
    write_footer(gp, "idle_throughput");
    add(out, "idle_throughput", "throughput against idle connections");
    write_header(gp, "idle_p99", "idle keep-alive connections held open",
                 "p99 latency with idle connections open (ms, log scale)", false, true);
    xtics(gp, p, true);
    write_plot(gp, s, rows, n, "-idle", 5, false);
    write_footer(gp, "idle_p99");
    add(out, "idle_p99", "p99 latency against idle connections");
}

int plot_all(const char *dir, const struct stats_points *p, struct plot_set *out,
             char *err, size_t errlen)
{
    struct series s[64];
    int rows[64], idle_rows[64], open_rows[64], slow_rows[64], n = list_series(p, s, 64),
        any_idle = 0, any_open = 0, any_slow = 0;
    bool bars = false;
    char path[PATH_MAX];
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/plots/data", dir);
    if (util_mkdir_p(path, err, errlen))
        return -1;
    int sweep_conns = -1;
    for (size_t i = 0; i < p->n; i++) {
        const struct row *m = &p->v[i].med;
        bars |= p->v[i].ok_rounds > 1;
        if (sweep_conns < 0 && strcmp(m->kind, "load") == 0 && m->idle > 0)
            sweep_conns = (int)m->conns;
    }
    for (int i = 0; i < n; i++) {
        idle_rows[i] = 0;
        if (write_data(dir, p, &s[i], -1, &rows[i]) ||
            write_open_data(dir, p, &s[i], &open_rows[i]) ||
            write_slow_data(dir, p, &s[i], &slow_rows[i]) ||
            (sweep_conns > 0 && write_data(dir, p, &s[i], sweep_conns, &idle_rows[i]))) {
            snprintf(err, errlen, "write %s/plots/data: %s", dir, strerror(errno));
            return -1;
        }
        any_idle += idle_rows[i];
        any_open += open_rows[i];
        any_slow += slow_rows[i];
    }
    snprintf(path, sizeof path, "%s/plots/plots.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(gp, "# Generated by the c10k-lab harness from summary.csv; run in this"
                " directory: gnuplot plots.gp\ncd '%s/plots'\n", dir);
    if (any_slow)
        slow_plots(gp, s, slow_rows, n, out);
    if (any_open)
        open_plots(gp, dir, p, s, open_rows, n, out);
    conns_plots(gp, p, s, rows, n, bars, out);
    if (write_memory(gp, dir, p) > 0)
        add(out, "memory_per_conn", "memory per idle connection");
    if (any_idle)
        idle_plots(gp, p, s, idle_rows, n, bars, out);
    if (fclose(gp)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return run_gnuplot(dir, err, errlen);
}
