/* report.html: html.c writes the page from struct report; html_points.c
 * (the table of every point) and html_slow.c (the slow-client and mixed
 * sections)
 * write its parts; html_cells.c has the cells they share. All write into
 * an open FILE; nothing here fails on its own (the caller checks ferror
 * once). */
#ifndef HARNESS_HTML_H
#define HARNESS_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "results/stats.h"

/* html_cells.c */
void html_esc(FILE *f, const char *s);               /* text, & < > " escaped */
void html_num(FILE *f, double v, const char *fmt);   /* a <td>; "-" when v < 0 */
void html_rate(FILE *f, double v);                   /* a <td>: 12.3k; "-" when v < 0 */
bool html_is_ref(const char *category);              /* reference or calibration */

/* The legend of the flag tags, then a table of every point of p in a box
 * that scrolls on its own (sticky header), flags as short tags, notes
 * collapsed. */
void html_points(FILE *f, const struct stats_points *p);

struct report;
/* --workload slow-clients (html_slow.c): p99 and server CPU per request
 * per number of clients; nothing when the run has no slow-client steps. */
void html_slow(FILE *f, const struct report *r);
/* --workload mixed (html_slow.c): the cheap and expensive class's p99 and
 * the server CPU per request at each equal-load rate; nothing otherwise. */
void html_mixed(FILE *f, const struct report *r);
/* --workload db and queries (html_db.c): per model and q, the MSR, the
 * database connections used, Little's law's limit and the MSR's fraction
 * of it, server and database CPU per request; nothing otherwise. */
void html_db(FILE *f, const struct report *r);
/* A step's cell (html_slow.c): v in fmt, or why there is none; "*" when
 * not sustained. */
void html_step_cell(FILE *f, const struct stats_point *p, double v, const char *fmt);

/* The whole page (html.c) at path; -1 with err when it cannot be written. */
int html_write(const struct report *r, const char *path, char *err, size_t errlen);

#endif
