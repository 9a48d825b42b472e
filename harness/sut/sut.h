/* Starting, watching and stopping the server under test: the model,
 * reference or calibration server a run measures. "SUT" is benchmarking's
 * word for it (system under test, RFC 2544); the name also keeps this file
 * apart from servers/core/server.c, the models' own listener and loop.
 *
 *   struct sut s;
 *   int r = sut_start(&s, model, &env, why, sizeof why);
 *   // r == SUT_OK, SUT_SKIPPED (exit 69: "uring: io_uring unavailable")
 *   // or SUT_FAILED; why says what happened.
 *   struct sut_counters c;
 *   sut_counters(&s, &c);               // SIGUSR1, reads "counters: ..."
 *   if (!sut_alive(&s)) puts(s.what);   // "killed by signal 11 ..."
 *   sut_stop(&s, note, sizeof note);    // SIGTERM, SIGKILL after grace
 *
 * Model servers start with --port 0 and are ready when they print
 * "listening on ADDR:PORT"; references get a free port from refs.c and are
 * ready when that port accepts a connection. Every server runs pinned to
 * the server CPUs, in its own process group, stderr in logs/<name>.log.
 * Zero a struct sut before its first sut_start (which counts restarts of
 * the same model in .starts). */
#ifndef HARNESS_SUT_H
#define HARNESS_SUT_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/cgroup.h"
#include "base/models.h"

#define SUT_START_TIMEOUT_MS 5000
#define SUT_COUNTERS_TIMEOUT_MS 3000
#define SUT_IDLE_TIMEOUT_MS 600000 /* passed on: idle sweeps hold conns */
#define SUT_EXIT_UNAVAILABLE 69 /* servers/core/server.h: cannot run here */

enum { SUT_OK = 0, SUT_SKIPPED = 1, SUT_FAILED = -1 };

struct sut_env {
    const char *run_dir;       /* logs/ and refs/ go below */
    const cpu_set_t *cpus;
    int workers;               /* --workers for hybrid models */
    const char *docroot;
    long body_size;            /* calibration response size */
    const char *addr;          /* IPv4 address every server binds and the
                                  harness connects to; NULL: 127.0.0.1 */
    int cache_mb;              /* models' --cache-mb; 0: their default (files.h) */
    uint64_t memory_limit;     /* bytes, page cache included (cgroup.h); 0 none */
    const char *const *model_args; /* more options for the models, or NULL */
    const char *calibration_json; /* the calibration server's body instead, or NULL */
    int gzip_level;            /* compress at this level (workload.h); 0: no */
};

struct sut_counters {
    uint64_t accepted, requests, status[6], bytes, refused;
};

struct sut {
    const struct model *model;
    const struct sut_env *env;
    pid_t pid;
    int out_fd;                /* read end of the server's stdout */
    char buf[4096];            /* its unfinished output line */
    size_t buf_len;
    const char *addr;          /* env->addr or 127.0.0.1 */
    int port;
    int starts;                /* 1 + restarts */
    char log_path[PATH_MAX];
    char what[256];            /* how it ended, when it did */
    char last_line[256];       /* its last stdout line that was not ours */
    struct cgroup cg;          /* its CPU accounting, when cgroups work */
};

int sut_start(struct sut *s, const struct model *m,
                 const struct sut_env *env, char *why, size_t whylen);
bool sut_alive(struct sut *s);
/* -1 if the server does not print counters (references) or did not answer. */
int sut_counters(struct sut *s, struct sut_counters *c);
int sut_parse_counters(const char *line, struct sut_counters *c);
/* Reads (and drops) whatever the server printed, so its pipe never fills. */
void sut_drain(struct sut *s);
void sut_stop(struct sut *s, char *note, size_t notelen);

#endif
