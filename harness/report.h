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
#define REPORT_MAX_MODELS 64

struct report_headline {
    char model[32], category[16];
    double best_rps; int best_conns;
    double rps[REPORT_LEVELS], p99_ms[REPORT_LEVELS], eff[REPORT_LEVELS];
    double vs_nginx;               /* req per server CPU-s / nginx's (geomean) */
    double mem_per_conn_kib;
    char status[12];               /* worst status over its points, or
                                      "starved" if ok but some level starved */
};

struct report {
    const char *dir;
    struct stats_points points;
    int levels[REPORT_LEVELS], n_levels;
    struct report_headline head[REPORT_MAX_MODELS];
    int n_head;
    struct plot_set plots;
    char *meta;                    /* meta.txt, or NULL */
};

int report_generate(const char *dir);

/* Writes the warnings, one "- what: where" line each, through emit. */
void report_warnings(const struct report *r,
                     void (*emit)(void *ctx, const char *kind, const char *text),
                     void *ctx);

int html_write(const struct report *r, const char *path, char *err, size_t errlen);
int markdown_write(const struct report *r, const char *path, char *err, size_t errlen);

#endif
