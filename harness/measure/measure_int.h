/* What measure.c (taking a measurement) and measure_flags.c (the rules
 * that flag what looks wrong in it) share. Internal to measure.h. */
#ifndef HARNESS_MEASURE_INT_H
#define HARNESS_MEASURE_INT_H

#include "base/cgroup.h"
#include "base/diskio.h"
#include "tools/loadgen.h"
#include "measure/measure.h"
#include "measure/sample.h"

/* Everything read at the start and at the end of the measured interval. */
struct snapshot {
    double t;
    struct sample_tree tree;
    int tree_ok;
    struct cgroup_cpu cg;     /* the server's control group, when cg_ok */
    int cg_ok;
    struct sample_cpus cpus;
    int cpus_ok;
    double self_cpu_s;       /* the harness's own CPU time */
    struct sut_counters counters;
    int counters_ok;
    struct diskio_count disk;
    int disk_ok;
    struct cgroup_cpu db;     /* the database's control group (db, queries) */
    int db_ok;
};

/* The server's count of responses against the load generator's
 * (count-mismatch) and its refused connections (refused); conns x
 * pipeline requests may be in flight at the end. */
void measure_check_counts(struct row *r, const struct snapshot *a, const struct snapshot *b,
                          int conns, int pipeline);
/* A closed-loop level: client-bound, errors, refused, starved, steal,
 * noisy; tasks is the server tree's highest thread count. */
void measure_flag_level(struct row *r, const struct measure_cfg *cfg, long tasks);
/* An open-loop step: client-bound, unsustained, slo-missed, errors,
 * refused, steal, noisy. */
void measure_flag_open(struct row *r, const struct measure_cfg *cfg,
                       const struct lg_result *g);
/* After a point: crashed if the server died, stopped-answering if GET /
 * got no answer within MEASURE_HEALTH_MS. */
void measure_check_server(struct sut *s, struct row *r);

#endif
