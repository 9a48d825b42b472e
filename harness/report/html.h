/* What html.c (the page) and html_points.c (the tables of every point)
 * share. Both write into an open FILE; nothing here fails on its own (the
 * caller checks ferror once). */
#ifndef HARNESS_HTML_H
#define HARNESS_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "results/stats.h"

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

#endif
