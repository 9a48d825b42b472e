/* What plot.c (line plots in small multiples) and plot_bars.c (bar
 * charts) share: the series of a run with their fixed colours, and the
 * terminal lines. Every plot is written twice into plots.gp, once for the
 * SVG the page embeds and once for a PNG that can be opened alone
 * (gnuplot's replot cannot redraw a multiplot). */
#ifndef HARNESS_PLOT_INT_H
#define HARNESS_PLOT_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "report/plot.h"

#define PLOT_WIDTH 1200          /* px: the page's width */
#define PLOT_HEIGHT 480

struct plot_series {
    char model[32], category[16];
    unsigned colour;             /* 0xRRGGBB, the same in every plot */
    int dash, point;             /* gnuplot dt and pt */
    bool context;                /* calibration or reference: in every panel */
};

/* Models in report order, each once, with their colours. */
int plot_list_series(const struct stats_points *p, struct plot_series *s, int max);
bool plot_usable(const struct stats_point *pt);
/* reset; terminal (svg or pngcairo) and output name.svg / name.png. */
void plot_terminal(FILE *gp, const char *name, bool png, int height);
void plot_add(struct plot_set *set, const char *name, const char *title);
/* The bar charts (plot_bars.c), each drawn when the run has its data: the
 * maximum sustainable rate and server CPU per request at each equal load;
 * memory per idle connection. -1 when a data file cannot be written. */
int plot_open_bars(FILE *gp, const char *dir, const struct stats_points *p,
                   const struct plot_series *s, int n, struct plot_set *out);
int plot_memory_bars(FILE *gp, const char *dir, const struct stats_points *p,
                     const struct plot_series *s, int n, struct plot_set *out);

#endif
