/* The workloads, each a plug-in behind struct workload_ops
 * (options/workloads.h), one file each:
 *
 *   file.c          file: one cached file, --path under html/ (the default)
 *   fileset.c       fileset: the generated SPECweb99-style file set
 *   fileset_cold.c  fileset-cold: the same from the disk, each server in a
 *                   memory cgroup
 *   slow_clients.c  slow-clients: many connections at a few req/s each
 *                   (its steps: slow_steps.c)
 *
 * table.c lists them; cli/main.c registers the table before the options
 * are parsed. What one workload reuses of another is declared here. */
#ifndef HARNESS_WORKLOADS_WORKLOADS_H
#define HARNESS_WORKLOADS_WORKLOADS_H

#include <stddef.h>
#include <stdio.h>

#include "options/opts.h"
#include "options/workloads.h"
#include "workload/workload.h"

/* The table (table.c), NULL-terminated, the default first. */
extern const struct workload_ops *const workloads_table[];

/* file.c: the body size of w->path under w->docroot (-1 if missing); the
 * detail line "NAME: GET PATH (N bytes)" followed by extra. */
int file_workload_prepare(struct workload *w, const struct opts *o, char *err,
                          size_t errlen);
void file_workload_describe(struct workload *w, const char *extra);

/* fileset.c: its options (--fileset-dirs, --fileset-seed, --fileset-cache),
 * the refusals of a URL-list workload, the set prepared and described. */
int fileset_workload_arg(struct opts *o, const char *name, const char *arg, char *err,
                         size_t errlen);
int fileset_workload_check(const struct opts *o, char *err, size_t errlen);
void fileset_workload_defaults(struct opts *o, bool chosen);
int fileset_workload_prepare(struct workload *w, const struct opts *o, char *err,
                             size_t errlen);
void fileset_workload_describe(struct workload *w, const struct opts *o);

/* slow_steps.c: the slow-client steps of a model's round, and their rows
 * when the server could not be measured (its hooks steps, not_measured). */
struct run_ctx;
struct sut;
struct model;
void slow_measure(struct run_ctx *c, struct sut *s, const struct model *m, int round);
void slow_not_measured(struct run_ctx *c, const struct model *m, int round,
                       enum row_status status, const char *why);
/* Descriptors its widest step needs in one process (its fds_needed hook). */
long slow_fds_needed(const struct opts *o);

#endif
