/* One measurement of a running server: optional idle connections, a
 * warm-up, then wrk while the server's process tree, wrk and the CPUs are
 * sampled. Fills a results.csv row (csv.h) and flags what looks wrong.
 *
 *   struct row r; row_init(&r); ...model, category, round...
 *   measure_level(&srv, &cfg, 256, 0, &r);   // kind=load
 *   measure_memory(&srv, &cfg, 2000, &r);    // kind=memory
 *   measure_open(&srv, &cfg, 20000, ROW_STEP_SEARCH, &r);  // loadgen at 20k req/s
 *
 * The server is left running; r.status is ROW_STATUS_CRASHED if it died
 * and ROW_FLAG_STOPPED_ANSWERING is raised if it no longer answers a GET:
 * the caller restarts it for the next level. */
#ifndef HARNESS_MEASURE_H
#define HARNESS_MEASURE_H

#include <sched.h>
#include <stdbool.h>

#include "results/csv.h"
#include "sut/sut.h"

#define MEASURE_SAMPLE_MS 200      /* process tree sampling period, at least */
#define MEASURE_SAMPLE_SHARE 20    /* ...and 20 times what a scan costs */
#define MEASURE_NOISE_PCT 5.0      /* steal or other CPU above this: flagged */
#define MEASURE_STARVED_FRACTION 0.1 /* in service / offered below: starved;
                                       healthy levels measured 0.3-0.5 */
#define MEASURE_STARVED_MIN_CONNS 8
#define MEASURE_HEALTH_MS 3000     /* GET / after a level must answer in this */
#define MEASURE_DRAIN_MS 15000     /* the last load's connections gone within */
#define MEASURE_DRAIN_POLL_MS 50

struct hosts;
struct workload;

struct measure_cfg {
    const char *path;               /* the URL path requested */
    const char *urls;               /* a URL list both load tools walk, or NULL */
    const char *header;             /* a header every request carries, or NULL */
    const struct workload *wl;      /* before each point, disk reads (workload.h) */
    int duration_s, warmup_s, pipeline, max_threads;
    const cpu_set_t *server_cpus, *client_cpus;
    int idle_timeout_ms;            /* to open the idle connections */
    /* open loop */
    int rate_conns;
    double rate_duration_s, rate_warmup_s, slo_p99_ms;
    struct hosts *hosts;            /* load hosts (hosts.h), NULL: load here */
    const char *hgrm;               /* open loop: the corrected histogram goes
                                       here as an .hgrm (hist.h), or NULL */
};

int measure_level(struct sut *s, const struct measure_cfg *cfg, int conns,
                  int idle, struct row *r);
/* One open-loop step: loadgen offers rate req/s on cfg->rate_conns
 * connections (after a short warm-up at the same rate). step: why this
 * rate, the row's step column. */
int measure_open(struct sut *s, const struct measure_cfg *cfg, double rate,
                 enum row_step step, struct row *r);
int measure_memory(struct sut *s, const struct measure_cfg *cfg, int idle,
                   struct row *r);

#endif
