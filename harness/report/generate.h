/* harness report: from a run's results.csv to summary.csv, plots (gnuplot
 * SVG and PNG), report.html (self-contained) and summary.md.
 *
 *   report_generate("results/20250101-120000");
 *
 * results/stats.c groups rounds into points (median, spread, CV); load.c
 * reads them into struct report (report.h); warn.c, verdict.c, plot.c,
 * html.c and markdown.c fill it and write the pages. */
#ifndef HARNESS_GENERATE_H
#define HARNESS_GENERATE_H


/* 0, or 1 after a line on stderr for each part that could not be written. */
int report_generate(const char *dir);

#endif
