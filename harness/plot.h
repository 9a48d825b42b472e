/* gnuplot plots of a run, SVG and PNG, into DIR/plots/.
 *
 *   plot_all(dir, &points, err, sizeof err);
 *
 * One series per model over log-scale connections: throughput (error bars
 * = min and max over rounds when there are several), p99 latency (log),
 * requests per server CPU-second, peak memory (log); memory per idle
 * connection as bars; with an --idle sweep also throughput and p99 against
 * idle connections; with slow clients (--workload slow-clients) p99 and
 * server CPU per request against their number. References are dashed, the
 * calibration server dotted.
 * The names of the plots that were drawn are in plot_names. */
#ifndef HARNESS_PLOT_H
#define HARNESS_PLOT_H

#include <stddef.h>

#include "stats.h"

#define PLOT_MAX 16

struct plot_set {
    const char *names[PLOT_MAX];   /* "throughput" -> plots/throughput.svg */
    const char *titles[PLOT_MAX];
    int n;
};

int plot_all(const char *dir, const struct stats_points *p, struct plot_set *out,
             char *err, size_t errlen);

#endif
