/* Running loadgen (the open-loop generator, loadgen/) and reading its last
 * line, as wrk.c does for wrk.
 *
 *   struct loadgen_args a = {.port = p, .path = "/bench/16k.html",
 *                            .rate = 20000, .conns = 256, .threads = 1,
 *                            .pipeline = 1, .duration_s = 2, .cpus = &cpus};
 *   struct client_run c;
 *   loadgen_start(&c, &a, err, sizeof err);
 *   while (client_poll(&c, 200) == 0) { ...sample the server... }
 *   loadgen_finish(&c, &result, err, sizeof err);
 *
 * The line (documented in harness/README.md, section loadgen) is
 *   mode=open offered_rps=X achieved_rps=X duration_s=X conns=N ... sent=N
 *   completed=N backlog=N errors=N err_connect=N err_read=N err_write=N
 *   err_status=N err_timeout=N err_parse=N reconnects=N bytes=N mean_us=X
 *   p50_us=N p90_us=N p99_us=N p999_us=N p9999_us=N max_us=N
 *   p99_uncorrected_us=N lag_p99_us=N client_cpu_s=X client_cpu_pct=X
 *   warmup_completed=N
 * Latencies are corrected (from each request's due time) unless named
 * uncorrected. */
#ifndef HARNESS_LOADGEN_H
#define HARNESS_LOADGEN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "tools/client.h"
#include "results/csv.h"

#define LOADGEN_GRACE_S 10     /* beyond warm-up + duration before it is killed */
#define LOADGEN_TIMEOUT_MS 5000 /* unanswered this long: a timeout error */

struct loadgen_args {
    const char *host;          /* NULL: 127.0.0.1 */
    int port;
    const char *path;
    const char *urls;          /* --urls FILE (the URL's path is then /), or NULL */
    double rate;               /* req/s; ignored when closed */
    bool closed;               /* closed loop instead */
    int conns, threads, pipeline;
    double duration_s, warmup_s;
    const cpu_set_t *cpus;
};

struct loadgen_result {
    double offered_rps, achieved_rps, duration_s, mean_us;
    uint64_t sent, completed, backlog, errors, bytes, reconnects;
    uint64_t err_connect, err_read, err_write, err_status, err_timeout, err_parse;
    uint64_t p50_us, p90_us, p99_us, p999_us, p9999_us, max_us;
    uint64_t p99_uncorrected_us, lag_p99_us;
    uint64_t warmup_completed;  /* responses during --warmup (not in completed) */
    double client_cpu_s, client_cpu_pct;
};

/* build/loadgen */
const char *loadgen_path(void);
int loadgen_start(struct client_run *c, const struct loadgen_args *a, char *err,
                  size_t errlen);
int loadgen_finish(struct client_run *c, struct loadgen_result *r, char *err,
                   size_t errlen);
int loadgen_parse_line(const char *line, struct loadgen_result *r);
/* Finds the last "mode=" line of loadgen's output. */
int loadgen_parse_output(const char *out, struct loadgen_result *r);
/* Its figures into a results.csv row: requests, rates, latencies (corrected
 * percentiles; the uncorrected p99 and the lag p99 too), errors (parse
 * errors count as read errors), backlog, reconnects. */
void loadgen_fill_row(struct row *r, const struct loadgen_result *g);

#endif
