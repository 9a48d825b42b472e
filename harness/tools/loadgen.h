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
 * The line is loadgen's struct lg_result (loadgen/lg_result.h), its keys
 * in the one table loadgen prints it from (loadgen/lg_result.def). */
#ifndef HARNESS_LOADGEN_H
#define HARNESS_LOADGEN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "lg_result.h"
#include "tools/client.h"
#include "results/csv.h"

#define LOADGEN_GRACE_S 10     /* beyond warm-up + duration before it is killed */
#define LOADGEN_TIMEOUT_MS 5000 /* unanswered this long: a timeout error */

struct loadgen_args {
    const char *host;          /* NULL: 127.0.0.1 */
    int port;
    const char *path;
    const char *urls;          /* --urls FILE (the URL's path is then /), or NULL */
    const char *header;        /* --header LINE, or NULL */
    double rate;               /* req/s; ignored when closed */
    bool closed;               /* closed loop instead */
    bool histograms;           /* --histograms: loadgen_parse_hist() reads them */
    int conns, threads, pipeline;
    double duration_s, warmup_s;
    const cpu_set_t *cpus;
};


/* build/loadgen */
const char *loadgen_path(void);
int loadgen_start(struct client_run *c, const struct loadgen_args *a, char *err,
                  size_t errlen);
int loadgen_finish(struct client_run *c, struct lg_result *r, char *err,
                   size_t errlen);
int loadgen_parse_line(const char *line, struct lg_result *r);
/* Finds the last "mode=" line of loadgen's output. */
int loadgen_parse_output(const char *out, struct lg_result *r);
/* The histogram line "hist name=NAME ..." of loadgen's output (--histograms)
 * into h; -1 when it is missing or malformed (loadgen/hist.h). */
struct hist;
int loadgen_parse_hist(const char *out, const char *name, struct hist *h);
/* Its figures into a results.csv row: requests, rates, latencies (corrected
 * percentiles; the uncorrected p99 and the lag p99 too), errors (parse
 * errors count as read errors), backlog, reconnects. */
void loadgen_fill_row(struct row *r, const struct lg_result *g);

#endif
