/* The workloads, each a plug-in behind struct workload_ops
 * (options/workloads.h), one file each:
 *
 *   file.c          file: one cached file, --path under html/ (the default)
 *   fileset.c       fileset: the generated SPECweb99-style file set
 *   fileset_cold.c  fileset-cold: the same from the disk, each server in a
 *                   memory cgroup
 *   slow_clients.c  slow-clients: many connections at a few req/s each
 *                   (its steps: slow_steps.c)
 *   gzip.c          gzip: text files 4-256 KiB, every request in gzip
 *   mixed.c         mixed: small identity files and large gzip ones, --mix
 *                   (its steps, the cheap requests alone: mixed_steps.c)
 *   textset.c       the text set both generate
 *   db.c            db, queries: a real PostgreSQL (further q: db_steps.c)
 *
 * table.c lists them; cli/main.c registers the table before the options
 * are parsed. What one workload reuses of another is declared here. */
#ifndef HARNESS_WORKLOADS_WORKLOADS_H
#define HARNESS_WORKLOADS_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "options/opts.h"
#include "options/workloads.h"
#include "workload/workload.h"

#define PATH_MAX_TEXTSET 1024

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
/* db.c, db_steps.c: the queries workload at q (what is requested and the
 * calibration server's stored body of q rows), -1 when out of memory; the searches at each further q of
 * --db-queries and their rows when the server could not be measured. */
int db_workload_set_q(struct workload *w, int q);
/* The calibration server's stored body: q World rows as a JSON array
 * (queries), or one row (db); malloc'd, NULL when out of memory. */
char *db_calibration_body(bool queries, int q);
void db_steps(struct run_ctx *c, struct sut *s, const struct model *m, int round);
/* queries: the open-loop steps of the further q's searches, for the plan. */
int db_open_steps(const struct opts *o);
void db_not_measured(struct run_ctx *c, const struct model *m, int round,
                     enum row_status status, const char *why);
/* Descriptors its widest step needs in one process (its fds_needed hook). */
long slow_fds_needed(const struct opts *o);
/* mixed_steps.c: the mixed workload's cheap requests alone (step alone),
 * one step per equal-load rate at its cheap share, after the open loop
 * (its hooks steps, not_measured); the rate of the i-th. */
void mixed_alone_steps(struct run_ctx *c, struct sut *s, const struct model *m, int round);
void mixed_alone_not_measured(struct run_ctx *c, const struct model *m, int round,
                              enum row_status status, const char *why);
int mixed_alone_count(const struct opts *o); /* its steps per round (open_steps) */
/* textset.c: the gzip and mixed workloads' docroot (TEXTSET_TYPES x
 * TEXTSET_SIZES text files, textset_size(i) bytes each, and TEXTSET_SMALL
 * small files of a type no server compresses) and its URL list. */
#define TEXTSET_TYPES 3          /* html, css, js */
#define TEXTSET_SIZES 16         /* 4 KiB to 256 KiB */
#define TEXTSET_SMALL 16
#define TEXTSET_SMALL_BYTES 1024
#define TEXTSET_URLS 20000       /* lines of a URL list */
struct textset {
    char docroot[PATH_MAX_TEXTSET];
    char urls[PATH_MAX_TEXTSET + 80];
    char text[TEXTSET_TYPES][TEXTSET_SIZES][32];
    char small[TEXTSET_SMALL][32];
    double mean_bytes;           /* of the list's requests, unencoded */
    long count[2];               /* of the list's requests by class */
};
int textset_prepare(struct textset *t, const char *cache, char *err, size_t errlen);
size_t textset_size(int i);
char *textset_text(int type, size_t size, uint64_t seed); /* malloc'd */
uint64_t textset_draw(uint64_t *s, uint64_t n);           /* 0..n-1 */
int textset_write_urls(struct textset *t, const char *name, int n,
                       const char *(*pick)(const struct textset *, uint64_t *, int *,
                                           size_t *, const void *),
                       const void *arg, char *err, size_t errlen);
/* gzip.c: --gzip-level (gzip and mixed), its defaults and --help line. */
int gzip_workload_arg(struct opts *o, const char *name, const char *arg, char *err,
                      size_t errlen);
int gzip_workload_check(const struct opts *o, char *err, size_t errlen);
void gzip_workload_usage(FILE *f);

#endif
