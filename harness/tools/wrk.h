/* Running wrk and reading it through bench/report.lua's done() line.
 *
 *   struct wrk_args a = {.port = p, .path = "/bench/16k.html", .conns = 256,
 *                        .threads = wrk_threads(256, 1), .duration_s = 3,
 *                        .pipeline = 1, .cpus = &client_cpus};
 *   struct client_run w;
 *   wrk_start(&w, &a, err, sizeof err);
 *   while (client_poll(&w, 200) == 0) { ...sample the server... }
 *   wrk_finish(&w, &result, err, sizeof err);
 *
 * The line (documented in bench/report.lua) is
 *   c10k-wrk: duration_us=N requests=N bytes=N connect=N read=N write=N
 *             status=N timeout=N mean_us=X stdev_us=X p50_us=N p90_us=N
 *             p99_us=N p999_us=N max_us=N
 * wrk's human text is never parsed. With a URL list (.urls) the script is
 * bench/urls.lua, which walks it and reports through report.lua's line. */
#ifndef HARNESS_WRK_H
#define HARNESS_WRK_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/client.h"

#define WRK_TIMEOUT_S 2        /* wrk --timeout: slower responses are errors */
#define WRK_GRACE_S 5          /* beyond --duration before wrk is killed */

struct wrk_args {
    int port;
    const char *path;
    const char *urls;          /* a URL list walked by bench/urls.lua, or NULL */
    const char *header;        /* -H: a header every request carries, or NULL */
    int conns, threads, duration_s, pipeline;
    const cpu_set_t *cpus;
};

struct wrk_result {
    double duration_s;
    uint64_t requests, bytes;
    uint64_t err_connect, err_read, err_write, err_status, err_timeout;
    double mean_us, stdev_us;
    uint64_t p50_us, p90_us, p99_us, p999_us, max_us;
    double cpu_s;              /* wrk's own user+system time (rusage) */
};


/* The largest thread count <= max_threads that divides conns (wrk gives
 * every thread conns/threads connections and drops the remainder). */
int wrk_threads(int conns, int max_threads);
int wrk_parse_line(const char *line, struct wrk_result *r);
/* Finds the c10k-wrk line in wrk's output. */
int wrk_parse_output(const char *out, struct wrk_result *r);

int wrk_start(struct client_run *w, const struct wrk_args *a, char *err, size_t errlen);
/* Waits for wrk to end and reads its line. */
int wrk_finish(struct client_run *w, struct wrk_result *r, char *err, size_t errlen);

#endif
