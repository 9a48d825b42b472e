/* The warnings of a run (warn.c): one per point and problem; the kinds
 * and struct report_warning are in report.h. */
#ifndef HARNESS_WARN_H
#define HARNESS_WARN_H

#include "report/report.h"

/* Fills r->warn and r->warn_kinds from r->points and r->head; -1 when out
 * of memory. warn_free releases them. */
int warn_collect(struct report *r);
void warn_free(struct report *r);
/* A kind's short name ("client-bound"), title and how to read such points. */
const char *warn_name(enum warn_kind k);
const char *warn_title(enum warn_kind k);
const char *warn_advice(enum warn_kind k);

#endif
