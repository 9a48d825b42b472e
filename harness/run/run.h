/* harness run: the measuring pipeline, top to bottom.
 *
 *   plan -> for each round, each model (rotated; with --rates auto the
 *   calibration server first):
 *       start server -> verify -> [memory row]
 *       -> closed loop, for each level:
 *           [idle connections] -> wrk warm-up -> wrk measured -> record
 *       -> open loop (rates.c), for each step:
 *           loadgen warm-up -> loadgen measured at the offered rate -> record
 *       -> stop server
 *   -> results.csv -> report (report.h) -> results/latest
 *
 * Every row is written to results.csv as soon as its model's round ends,
 * so an interrupted run keeps what it measured. */
#ifndef HARNESS_RUN_H
#define HARNESS_RUN_H

#include "hosts/hosts.h"
#include "base/models.h"
#include "options/opts.h"

#define RUN_IDLE_OPEN_MS 5000       /* to open idle connections */
#define RUN_QUICK_IDLE_OPEN_MS 2000

/* Checks what can fail before any work (tools, path, output directory):
 * returns 0, or -1 with one line in err. */
int run_preflight(const struct opts *o, char *err, size_t errlen);
/* hosts: the load hosts, prepared (hosts.h); NULL: load from here. */
int run_command(const struct opts *o, const struct model *const *models, int n,
                struct hosts *hosts);

#endif
