/* Workloads are plug-ins: each is one file in harness/workloads/ behind
 * this table of hooks, the way a model is one file behind struct
 * reactor_backend. The hooks are called from the stage they belong to:
 * options (opts.c: its options, checks, defaults), the workload stage
 * (workload.c: prepare, describe, before each point), the run loop (run.c:
 * the steps it adds and their rows when the server could not be measured).
 *
 *   workloads_register(workloads_table);        // cli/main.c, once
 *   const struct workload_ops *w = workloads_find("fileset");
 *
 * Adding a workload: its file in harness/workloads/, its line in
 * workloads/table.c, its tests (tests/harness/workloads/), its section of
 * harness/README.md ("Workloads"). */
#ifndef HARNESS_WORKLOADS_H
#define HARNESS_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "results/csv.h"

struct opts;
struct workload;
struct run_ctx;
struct report;
struct sut;
struct model;

struct workload_ops {
    const char *name;            /* --workload NAME; results.csv's workload column */
    const char *help;            /* its lines under --workload in --help */
    /* Its own long options (each takes a value), NULL-terminated, or NULL;
     * given with another workload they are refused (opts.c). */
    const char *const *options;
    /* --NAME ARG of one of its options: 0, or -1 with one line in err. */
    int (*arg)(struct opts *o, const char *name, const char *arg, char *err,
               size_t errlen);
    /* After parsing, when chosen: the combinations it refuses. */
    int (*check)(const struct opts *o, char *err, size_t errlen);
    /* Defaults of its options (called for every workload: their values show
     * in meta.txt); chosen: it is the run's. */
    void (*defaults)(struct opts *o, bool chosen);
    void (*usage)(FILE *f);      /* its options' part of --help */
    bool serves_path;            /* requests --path under html/ (run_preflight) */
    int cache_mb;                /* models' --cache-mb; 0: their default */
    int workers_per_cpu;         /* hybrid models' --workers per server CPU; 0: 1 */
    /* Before any server: what is served and requested (docroot, urls, path,
     * body size); 0, or -1 with one line in err. */
    int (*prepare)(struct workload *w, const struct opts *o, char *err, size_t errlen);
    /* After prepare and the disk found: w->skip says why it cannot run
     * here, if so. NULL: it always can. */
    void (*probe)(struct workload *w, const struct opts *o);
    /* One line for meta.txt and the report, into w->detail. */
    void (*describe)(struct workload *w, const struct opts *o);
    /* Before a level or step, or NULL. */
    void (*before_point)(const struct workload *w);
    /* The steps it adds to a model's round after the open loop, and their
     * rows with status and why when the server could not be measured; NULL
     * when it adds none. */
    void (*steps)(struct run_ctx *c, struct sut *s, const struct model *m, int round);
    void (*not_measured)(struct run_ctx *c, const struct model *m, int round,
                         enum row_status status, const char *why);
    /* How many open-loop steps of a regular length (--rate-duration) those
     * steps are per model and round, for the plan (run/plan.c); NULL: none
     * (the slow-client steps are counted there on their own). */
    int (*open_steps)(const struct opts *o);
    /* Descriptors its widest step needs in one process (connections and a
     * spare), when more than the closed and open loops need; NULL: none. */
    long (*fds_needed)(const struct opts *o);
    /* Its sections of the report, drawn after the headline (report.html)
     * and after the headline table (summary.md) from the loaded points, or
     * NULL. Each draws nothing when the run has none of its rows. */
    void (*html_section)(FILE *f, const struct report *r);
    void (*markdown_section)(FILE *f, const struct report *r);
    /* At the end of the run (also after Ctrl-C): what prepare started
     * (the database cluster) stopped, or NULL. */
    void (*finish)(struct workload *w);
    /* Why the reference servers cannot serve it ("not applicable: ..."),
     * or NULL when they can. */
    const char *refs_not_applicable;
};

/* The table, NULL-terminated, first the default; kept (not copied). */
void workloads_register(const struct workload_ops *const *table);
/* By name, or NULL; the i-th, or NULL past the end (or none registered). */
const struct workload_ops *workloads_find(const char *name);
const struct workload_ops *workloads_get(int i);

#endif
