/* What run.c and rates.c share: the state of a run, and the steps of a
 * model's round that both use. Internal to `harness run`. */
#ifndef HARNESS_RUN_CTX_H
#define HARNESS_RUN_CTX_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "results/csv.h"
#include "measure/measure.h"
#include "options/opts.h"
#include "run/plan.h"
#include "run/search.h"
#include "sut/sut.h"
#include "workload/workload.h"

struct run_ctx {
    const struct opts *o;
    struct plan plan;
    struct sut_env env;
    struct measure_cfg cfg;
    struct progress progress;
    char dir[PATH_MAX];
    FILE *csv;
    struct workload wl;           /* what is served and requested */
    struct row rows[PLAN_MAX_LEVELS + 1 + PLAN_MAX_OPEN_STEPS + OPTS_MAX_LIST +
                    OPTS_MAX_DB_QUERIES * (SEARCH_MAX_STEPS + 1)];
                                  /* one model's round (then the workload's own
                                     steps: slow, alone, or the further q's
                                     searches and msr rows) */
    int n_rows;
    double equal[OPTS_MAX_LIST];  /* equal-load rates, req/s: given ones from the
                                     start (run.c), shares of the calibration
                                     server's MSR once it is found (rates.c);
                                     0: not known yet */
    bool calibration_added;       /* not asked for; needed for equal load */
};

/* round.c: a new row of this model's round (written when the round ends). */
struct row *run_new_row(struct run_ctx *c, const struct model *m, int round);
/* Starts (or restarts) the server and verifies it: 0 when it may be
 * loaded, else -1 with why and the status its rows get. */
int run_bring_up(struct run_ctx *c, struct sut *s, const struct model *m,
                 char *why, size_t whylen, enum row_status *status);
/* After a row whose server died or stopped answering: restarts it. -1
 * (with why and the row's status) if that failed, 0 otherwise. */
int run_restart(struct run_ctx *c, struct sut *s, const struct model *m,
                struct row *r, char *why, size_t whylen, enum row_status *status);
/* Rows for what could not be measured from closed-loop level from on
 * (0: the whole round): the memory row (round 0), each level, the
 * workload's own steps, the open loop's msr row; each with status and why. */
void run_rows_not_measured(struct run_ctx *c, const struct model *m, int round, int from,
                           enum row_status status, const char *why);
/* The kind=msr row, with status and why, of a sustainable-rate search that
 * could not run: the open loop's, or one of a workload's own (a further q
 * of queries: the row's q is c->wl's, as for every new row). */
struct row *run_msr_not_measured(struct run_ctx *c, const struct model *m, int round,
                                 enum row_status status, const char *why);
/* The open-loop part of a model's round (rates.c): --rates LIST or auto.
 * -1 when the server is gone for good or the run is interrupted. */
int rates_measure(struct run_ctx *c, struct sut *s, const struct model *m, int round);
/* One open-loop step (rates.c) at rate req/s on c->cfg.rate_conns
 * connections, measured once more if the machine interfered; its row in
 * *out. -1 when the server is gone for good or the run is interrupted. */
int rates_step(struct run_ctx *c, struct sut *s, const struct model *m, int round,
               double rate, enum row_step step, struct row **out);
/* A maximum-sustainable-rate search of its own (rates.c), first at start
 * req/s, at what c->cfg requests now (a workload's further request, e.g.
 * /queries?q=20), and its kind=msr row from its own steps only; the rate
 * found in *msr (0: none). -1 when the server is gone for good or the run
 * is interrupted (the msr row is written unless interrupted). */
int rates_search(struct run_ctx *c, struct sut *s, const struct model *m, int round,
                 double start, double *msr);
#endif
