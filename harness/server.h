/* Starting, watching and stopping the server under test.
 *
 *   struct server s;
 *   int r = server_start(&s, model, &env, why, sizeof why);
 *   // r == SERVER_OK, SERVER_SKIPPED (exit 69: "uring: io_uring unavailable")
 *   // or SERVER_FAILED; why says what happened.
 *   struct server_counters c;
 *   server_counters(&s, &c);            // SIGUSR1, reads "counters: ..."
 *   if (!server_alive(&s)) puts(s.what); // "killed by signal 11 ..."
 *   server_stop(&s, note, sizeof note);  // SIGTERM, SIGKILL after grace
 *
 * Model servers start with --port 0 and are ready when they print
 * "listening on ADDR:PORT"; references get a free port from refs.c and are
 * ready when that port accepts a connection. Every server runs pinned to
 * the server CPUs, in its own process group, stderr in logs/<name>.log.
 * Zero a struct server before its first server_start (which counts
 * restarts of the same model in .starts). */
#ifndef HARNESS_SERVER_H
#define HARNESS_SERVER_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "models.h"

#define SERVER_START_TIMEOUT_MS 5000
#define SERVER_COUNTERS_TIMEOUT_MS 3000
#define SERVER_IDLE_TIMEOUT_MS 600000 /* passed on: idle sweeps hold conns */
#define SERVER_EXIT_UNAVAILABLE 69

enum { SERVER_OK = 0, SERVER_SKIPPED = 1, SERVER_FAILED = -1 };

struct server_env {
    const char *run_dir;       /* logs/ and refs/ go below */
    const cpu_set_t *cpus;
    int workers;               /* --workers for hybrid models */
    const char *docroot;
    long body_size;            /* calibration response size */
    const char *addr;          /* IPv4 address every server binds and the
                                  harness connects to; NULL: 127.0.0.1 */
    int cache_mb;              /* models' --cache-mb; 0: their default (files.h) */
    uint64_t memory_limit;     /* bytes, page cache included (cgroup.h); 0 none */
};

struct server_counters {
    uint64_t accepted, requests, status[6], bytes, refused;
};

struct server {
    const struct model *model;
    const struct server_env *env;
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

int server_start(struct server *s, const struct model *m,
                 const struct server_env *env, char *why, size_t whylen);
bool server_alive(struct server *s);
/* -1 if the server does not print counters (references) or did not answer. */
int server_counters(struct server *s, struct server_counters *c);
int server_parse_counters(const char *line, struct server_counters *c);
/* Reads (and drops) whatever the server printed, so its pipe never fills. */
void server_drain(struct server *s);
void server_stop(struct server *s, char *note, size_t notelen);

#endif
