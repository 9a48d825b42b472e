/* From rows (one per round) to points (one per model, kind, conns, idle):
 * medians, the spread of req/s over rounds, merged flags and notes.
 *
 *   struct stats_points pts;
 *   stats_points(rows, n, &pts);       // ordered for reports
 *   stats_write_summary(&pts, "summary.csv", err, sizeof err);
 *
 * Medians use the rounds whose status is ok; a point with none keeps -1.
 * The coefficient of variation is the sample standard deviation of req/s
 * over those rounds divided by their mean; above STATS_CV_PCT the point is
 * flagged high-cv. */
#ifndef HARNESS_STATS_H
#define HARNESS_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "results/csv.h"

#define STATS_CV_PCT 5.0

struct stats_point {
    struct row med;          /* medians; flags merged; worst status; notes */
    int rounds, ok_rounds;
    double rps_min, rps_max, rps_cv_pct; /* msr points: of the sustainable rate */
    double cpu_min, cpu_max;             /* srv_cpu_us_per_req over the rounds */
    double p99_min, p99_max;             /* lat_p99_us over the rounds */
    double cheap_min, cheap_max;         /* cheap_p99_us over the rounds (mixed) */
};

struct stats_points {
    struct stats_point *v;
    size_t n;
};

double stats_median(double *v, int n);      /* sorts v */
double stats_cv_pct(const double *v, int n); /* -1 for fewer than 2 */
int stats_points(const struct row *rows, size_t n, struct stats_points *out);
void stats_free(struct stats_points *p);
int stats_write_summary(const struct stats_points *p, const char *path, char *err,
                        size_t errlen);
/* The closed-loop point of model at conns (kind load, no idle), or NULL. */
const struct stats_point *stats_find(const struct stats_points *p, const char *model,
                                     int conns);
/* An open-loop point of model: kind ROW_KIND_LOAD or ROW_KIND_MSR (step
 * ROW_STEP_NONE), at offered req/s (-1: any). NULL if none. */
const struct stats_point *stats_find_open(const struct stats_points *p,
                                          const char *model, enum row_kind kind,
                                          enum row_step step, double offered);
/* One load host's own row (host is an ssh destination, not "" or "all"):
 * a detail of its merged point, never a point of the headline or plots. */
bool stats_per_host(const struct row *m);
/* An open-loop load row (not msr, not memory). */
bool stats_open(const struct row *m);
/* An open-loop row of the run's own load at an offered rate: not a step
 * that varies something else (slow clients: the connections; the mixed
 * workload's alone steps: another load). What the consistency check and
 * the p99-against-offered-load plot read. */
bool stats_rate_step(const struct row *m);

/* Consistency: within one model's round (and load host), an open-loop
 * step sustained at a rate while a step at a lower rate, on the same
 * connections, failed for the server's sake (status ok, not sustained, not
 * loadgen's own limit: row_generator_limited). A server that contradicts
 * itself so has no figure a claim can rest on.
 *
 * stats_contradiction: among rows[0..n), those of model, the highest
 * sustained such step (*hi) and the lowest failed one below it (*lo), as
 * indices; false when the model does not contradict itself there.
 * stats_mark_inconsistent: raises ROW_FLAG_INCONSISTENT, per model, round
 * and host, on every step of a contradiction and on that round's msr row;
 * returns how many rows it flagged. harness run measures both steps again
 * before it marks (rates.c); harness report marks runs of older versions. */
bool stats_contradiction(const struct row *rows, size_t n, const char *model, size_t *hi,
                         size_t *lo);
size_t stats_mark_inconsistent(struct row *rows, size_t n);

/* Where a model's memory per idle connection comes from: its memory row,
 * else (an --idle sweep) the load point with the most idle connections. */
const struct stats_point *stats_memory_point(const struct stats_points *p,
                                             const char *model);

#endif
