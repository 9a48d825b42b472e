/* gnuplot plots of a run, SVG and PNG, into DIR/plots/.
 *
 *   struct plot_set set;
 *   plot_all(dir, &points, &set, err, sizeof err);
 *
 * Line plots are small multiples, one panel per category of model, the
 * calibration server and the references in every panel: p99 against
 * offered load (open loop); throughput, p99, requests per server
 * CPU-second and peak RSS against connections (closed loop, log x); with
 * an --idle sweep throughput and p99 against idle connections; with slow
 * clients (--workload slow-clients) p99 and server CPU per request against
 * their number. Bars: the
 * maximum sustainable rate, server CPU per request at each equal load,
 * memory per idle connection. A model has one colour in every plot; error
 * bars are the lowest and highest round; an axis spanning more than a
 * factor 20 is logarithmic. Every plot is an SVG (for the page) and a PNG
 * (to open alone); set lists the plots drawn, in page order. */
#ifndef HARNESS_PLOT_H
#define HARNESS_PLOT_H

#include <stddef.h>

#include "results/stats.h"

#define PLOT_MAX 16

struct plot_set {
    const char *names[PLOT_MAX];   /* "throughput" -> plots/throughput.svg */
    const char *titles[PLOT_MAX];
    int n;
};

int plot_all(const char *dir, const struct stats_points *p, struct plot_set *out,
             char *err, size_t errlen);

#endif
