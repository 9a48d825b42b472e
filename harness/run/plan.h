/* What a run will do, in which order, and how long it should take.
 *
 *   struct plan p;
 *   plan_build(&p, &opts, models, n);
 *   for (int round = 0; round < p.rounds; round++)
 *       for (int i = 0; i < p.n_models; i++) {
 *           const struct model *m = plan_model(&p, round, i);  // rotated
 *           ... p.levels[0 .. p.n_levels-1] ...
 *       }
 *
 * Rounds interleave the models (every model once per round, the order
 * rotated by one each round) so that drift of a noisy machine hits all of
 * them alike. The progress line estimates what is left from the plan,
 * scaled by how the finished steps compared with their estimates. */
#ifndef HARNESS_PLAN_H
#define HARNESS_PLAN_H

#include <stdbool.h>

#include "results/csv.h"
#include "base/models.h"
#include "options/opts.h"

#define PLAN_MAX_MODELS 64
#define PLAN_MAX_LEVELS (OPTS_MAX_LIST * OPTS_MAX_LIST)
#define PLAN_LEVEL_OVERHEAD_S 0.5 /* wrk start and stop, counters, health GET */
#define PLAN_MODEL_OVERHEAD_S 0.3 /* start, verify, stop */
#define PLAN_MEMORY_S 0.7         /* open idle connections, settle, close */
#define PLAN_FULL_MODELS 18       /* ~14 models, 3 references, calibration */
#define PLAN_MAX_OPEN_STEPS 64    /* open-loop steps of one model's round */
#define PLAN_OPEN_OVERHEAD_S 0.3  /* loadgen start, counters, health GET */
#define PLAN_SEARCH_STEPS 5       /* typical MSR search steps after equal load */
#define PLAN_QUICK_SEARCH_STEPS 1 /* --quick: doubling only */

struct plan_level {
    int conns, idle;
};

struct plan {
    const struct model *models[PLAN_MAX_MODELS];
    int n_models;
    struct plan_level levels[PLAN_MAX_LEVELS];
    int n_levels;
    int rounds, memory_idle;
    int open_steps;           /* open-loop steps per model and round (estimate) */
    int steps;                /* progress steps: levels, open steps, memory rows */
    double est_level_s, est_open_step_s, est_total_s;
};

struct progress {
    int done, total;
    double start, est_total, est_done;
    bool tty;
};

void plan_build(struct plan *p, const struct opts *o,
                const struct model *const *models, int n_models);
const struct model *plan_model(const struct plan *p, int round, int i);
/* The order models are measured in: in[0..n), except that with --rates
 * auto and equal-load rates in %, the calibration server goes first (added,
 * *added true, if it was not asked for): its sustainable rate fixes the
 * equal-load rates of every other server. Returns the count in out. */
int plan_order_models(const struct opts *o, const struct model *const *in, int n,
                      const struct model **out, bool *added);
/* Seconds a full (or --quick) run of n models takes with the defaults. */
double plan_estimate_default(int n_models, bool quick);

void progress_start(struct progress *pr, const struct plan *p);
/* One line per finished step: k/n, model, level, result, time left. */
void progress_step(struct progress *pr, const struct row *r, double est_s);

#endif
