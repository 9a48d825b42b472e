/* summary.md (markdown.c): the headline table, the verdict and the
 * warnings in Markdown. */
#ifndef HARNESS_MARKDOWN_H
#define HARNESS_MARKDOWN_H

#include <stddef.h>
#include <stdio.h>

#include "report/report.h"

/* Writes r to path; -1 with err when it cannot. */
int markdown_write(const struct report *r, const char *path, char *err, size_t errlen);
/* --workload slow-clients' section (its markdown_section hook): p99 ms and
 * server CPU us per request per number of clients; nothing without them. */
void markdown_slow(FILE *f, const struct report *r);
/* --workload mixed's section (its markdown_section hook): per model and
 * equal-load rate the cheap p99 in the mix and alone, their ratio, the
 * expensive p99, server CPU per request; nothing without per-class p99. */
void markdown_mixed(FILE *f, const struct report *r);
/* --workload db and queries' section (html_db.c): html_db's table. */
void markdown_db(FILE *f, const struct report *r);

#endif
