/* What run.c and rates.c share: the state of a run, and the steps of a
 * model's round that both use. Internal to `harness run`. */
#ifndef HARNESS_RUN_CTX_H
#define HARNESS_RUN_CTX_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "csv.h"
#include "measure.h"
#include "opts.h"
#include "plan.h"
#include "sut.h"
#include "workload.h"

struct run_ctx {
    const struct opts *o;
    struct plan plan;
    struct sut_env env;
    struct measure_cfg cfg;
    struct progress progress;
    char dir[PATH_MAX];
    FILE *csv;
    struct workload wl;           /* what is served and requested */
    struct row rows[PLAN_MAX_LEVELS + 1 + PLAN_MAX_OPEN_STEPS + OPTS_MAX_LIST];
                                  /* one model's round (the last: slow steps) */
    int n_rows;
    double equal[OPTS_MAX_LIST];  /* equal-load rates, req/s; 0: not known yet */
    bool calibration_added;       /* not asked for; needed for equal load */
};

/* A new row of this model's round (written when the round ends). */
struct row *run_new_row(struct run_ctx *c, const struct model *m, int round);
/* After a row whose server died or stopped answering: restarts it. -1
 * (with why and the row's status) if that failed, 0 otherwise. */
int run_restart(struct run_ctx *c, struct sut *s, const struct model *m,
                struct row *r, char *why, size_t whylen, enum row_status *status);
/* The open-loop part of a model's round (rates.c): --rates LIST or auto. */
void rates_measure(struct run_ctx *c, struct sut *s, const struct model *m,
                   int round);
/* One open-loop step (rates.c) at rate req/s on c->cfg.rate_conns
 * connections, measured once more if the machine interfered; its row in
 * *out. -1 when the server is gone for good or the run is interrupted. */
int rates_step(struct run_ctx *c, struct sut *s, const struct model *m, int round,
               double rate, enum row_step step, struct row **out);
/* The slow-client steps (slow.c): --slow-conns connections each offering
 * --slow-rate req/s; and their rows when the server could not be measured. */
void slow_measure(struct run_ctx *c, struct sut *s, const struct model *m, int round);
void slow_not_measured(struct run_ctx *c, const struct model *m, int round,
                       enum row_status status, const char *why);
/* Descriptors the widest step of the run needs in one process (slow.c):
 * its connections, the idle ones beside them, and a spare. */
long run_fds_needed(const struct opts *o);

#endif
