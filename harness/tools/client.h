/* A load generator process (wrk or loadgen): spawned pinned to the client
 * CPUs in its own process group, its output kept, polled while the harness
 * samples the server, killed if it outlives its deadline.
 *
 *   struct client_run c;
 *   client_start(&c, argv, &client_cpus, duration_s + grace_s, err, sizeof err);
 *   while (client_poll(&c, 200) == 0) { ...sample the server... }
 *   if (client_finish(&c, err, sizeof err) == 0) parse(c.out);
 *
 * The report line of either tool comes last, so when the output is longer
 * than the buffer the tail is what is kept. */
#ifndef HARNESS_CLIENT_H
#define HARNESS_CLIENT_H

#include <sched.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "results/csv.h"

struct client_run {
    const char *name;          /* "wrk", "loadgen": for messages */
    pid_t pid;
    int out_fd;
    char out[65536];           /* stdout and stderr, the tail if longer */
    size_t out_len;
    double deadline;           /* util_now() seconds */
    int status;
    struct rusage usage;
    int killed;                /* 1 if it outlived its deadline */
};

int client_start(struct client_run *c, char *const argv[], const cpu_set_t *cpus,
                 double max_s, char *err, size_t errlen);
/* Reads output, waits up to timeout_ms; 1 when the process has ended. */
int client_poll(struct client_run *c, int timeout_ms);
/* Waits for the end. -1 with err if it was killed at its deadline. */
int client_finish(struct client_run *c, char *err, size_t errlen);
/* Kills a client still running (interrupt, error paths). */
void client_abort(struct client_run *c);
/* Its user + system CPU seconds (after client_finish). */
double client_cpu_s(const struct client_run *c);
/* Why no report line was found: its exit status and last output line. */
void client_describe_failure(struct client_run *c, char *err, size_t errlen);

/* When a side is the bottleneck (measure_flags.c for local load, hosts
 * for load hosts, rates.c for the search): a side using this much of its
 * CPUs is busy; loadgen's send lag p99 above CLIENT_LAG_US: client-bound. */
#define CLIENT_BUSY_FRACTION ROW_BUSY_FRACTION /* results/csv.h */
#define CLIENT_LAG_US 1000

#endif
