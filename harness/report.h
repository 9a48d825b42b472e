/* harness report: from a run's results.csv to summary.csv, plots (gnuplot
 * SVG and PNG), report.html (self-contained) and summary.md.
 *
 *   report_generate("results/20250101-120000");
 *
 * The stages: stats.c groups rounds into points (median, spread, CV),
 * plot.c draws, html.c and markdown.c write the pages from the headline
 * computed here and the warnings listed here. */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include <stdio.h>

#include "plot.h"
#include "stats.h"

#define REPORT_LEVELS 3            /* headline levels: 256, 1024, 10000 */
#define REPORT_EQUAL 4             /* equal-load rates shown */
#define REPORT_MAX_MODELS 64

struct report_headline {
    char model[32], category[16];
    /* open loop: the maximum sustainable rate (median over rounds, its
     * spread), server CPU per request at each equal-load rate, corrected
     * p99 at 50% and 80% of the model's own MSR; -1 when not measured */
    double msr, msr_min, msr_max;
    bool msr_lower_bound;          /* the search stopped at loadgen's limit */
    double cpu_us[REPORT_EQUAL], cpu_us_min[REPORT_EQUAL], cpu_us_max[REPORT_EQUAL];
    double p99_cap50_ms, p99_cap80_ms;
    double best_rps; int best_conns;
    double rps[REPORT_LEVELS], p99_ms[REPORT_LEVELS], eff[REPORT_LEVELS];
    double vs_nginx;               /* req per server CPU-s / nginx's (geomean) */
    double mem_per_conn_kib;
    char status[12];               /* worst status over its points, or
                                      "starved" if ok but some level starved */
};

struct report {
    const char *dir;
    struct stats_points points;           /* load from here, or merged (host=all) */
    struct stats_points host_points;      /* each load host's own rows */
    int levels[REPORT_LEVELS], n_levels;  /* closed-loop headline levels */
    double equal[REPORT_EQUAL];           /* equal-load rates, req/s */
    int n_equal;
    bool open;                            /* the run has open-loop rows */
    struct report_headline head[REPORT_MAX_MODELS];
    int n_head;
    struct plot_set plots;
    char *meta;                    /* meta.txt, or NULL */
};

int report_generate(const char *dir);
/* The slow-client point of model at conns connections (step slow), or
 * NULL; report_slow_conns lists the connection counts measured, ascending. */
const struct stats_point *report_slow_point(const struct report *r, const char *model,
                                            double conns);
int report_slow_conns(const struct report *r, double *conns, int max);
/* The value of "key: value" in meta.txt, or "?". */
void report_meta(const struct report *r, const char *key, char *out, size_t outlen);

/* Writes the warnings, one "- what: where" line each, through emit. */
void report_warnings(const struct report *r,
                     void (*emit)(void *ctx, const char *kind, const char *text),
                     void *ctx);

int html_write(const struct report *r, const char *path, char *err, size_t errlen);
int markdown_write(const struct report *r, const char *path, char *err, size_t errlen);

#endif
