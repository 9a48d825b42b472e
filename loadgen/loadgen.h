/* loadgen: an open-loop HTTP/1.1 load generator (see harness/README.md,
 * section "loadgen"). Files: opts.c (command line), main.c (threads, the
 * measured window, the output line), reqs.c (the request bytes, --urls), loop.c (one event loop per thread: the
 * schedule, the timer heap, the window), conn.c (a connection: connect,
 * send, receive, reconnect), resp.c (response framing).
 *
 * Request k of connection i is due at t0 + phase_i + k * C / R; latency is
 * measured from the due time (corrected for coordinated omission, Gil Tene)
 * and from the send (uncorrected). Times are CLOCK_MONOTONIC nanoseconds.
 * With --urls, connection i walks the file's paths cyclically from line
 * i * N / C on (reqs.c builds the bytes). A line may name its request's
 * class after a tab ("/big.html\t1"; 0 when absent): each class gets its
 * own corrected latency histogram (the mixed workload's cheap 0 and
 * expensive 1), reported as class0_* and class1_*. */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hist.h"
#include "resp.h"

#define LG_MAX_CONNS 100000
#define LG_MAX_THREADS 64
#define LG_MAX_PIPELINE 1024
#define LG_MAX_HEADERS 16
#define LG_MAX_URLS 10000000     /* paths of a --urls file */
#define LG_CLASSES 2             /* request classes of a --urls file: 0 and 1 */
#define LG_RETRY_NS 10000000ull  /* a refused connect is retried after 10 ms */
#define LG_RBUF 65536            /* per-thread read buffer, bytes */
#define LG_CARRY_MAX 8192        /* a response head (or chunk line) longer than this is an error */

/* Error classes, as wrk counts them plus parse errors. */
enum lg_err { LG_ERR_CONNECT, LG_ERR_READ, LG_ERR_WRITE, LG_ERR_STATUS,
              LG_ERR_TIMEOUT, LG_ERR_PARSE, LG_ERR_COUNT };

struct lg_opts {
    double rate;                 /* offered req/s over all connections; 0 when closed */
    bool closed;                 /* closed loop: send when an answer is back */
    unsigned conns, threads, pipeline;
    double duration_s, warmup_s;
    int64_t start_at_ns;         /* CLOCK_REALTIME t0, 0 = once connected */
    uint64_t timeout_ns;         /* a request unanswered this long after its send */
    uint64_t seed;               /* of the random phases */
    bool histograms;             /* print the three histogram lines */
    bool pin;                    /* cpus is set */
    cpu_set_t cpus;
    const char *url;
    char host[256];              /* as in the URL (brackets stripped) */
    char port[6];
    const char *authority;       /* host[:port] as written, for Host */
    size_t authority_len;
    const char *path;
    const char *headers[LG_MAX_HEADERS];
    unsigned n_headers;
    const char *urls;            /* --urls FILE: the paths to walk, or NULL */
    struct sockaddr_storage addr;  /* resolved by main */
    socklen_t addrlen;
};

/* What one thread counted in the measured window; main merges them. */
struct lg_stats {
    uint64_t sent, completed, backlog, reconnects, bytes;
    uint64_t warmup_completed;   /* responses received before the window */
    uint64_t err[LG_ERR_COUNT];
    struct hist corrected, uncorrected, lag;
    struct hist cls[LG_CLASSES];  /* corrected, by the request's class */
    uint64_t cls_completed[LG_CLASSES];
};

/* The shared clock of a run, set by main before the threads start sending. */
struct lg_clock {
    uint64_t t0, window_start, window_end;  /* CLOCK_MONOTONIC ns */
    double interval_ns;                      /* C / R: one connection's period */
};

/* The request bytes (reqs.c): request i (0 <= i < n + pipeline) is
 * buf[off[i] .. off[i + 1]); requests n .. n + pipeline - 1 repeat the first
 * ones, so that any batch of up to pipeline consecutive requests of the
 * cyclic sequence is one contiguous range. Without --urls, n = 1. */
struct lg_reqs {
    char *buf;
    size_t *off;
    uint8_t *cls;   /* request i's class, i as off's */
    uint64_t n;
};

/* Builds r from --urls (or the URL's path). 0, or the exit status (2: a bad
 * --urls file, 1: no memory) after one line on stderr. */
int lg_reqs_build(const struct lg_opts *o, struct lg_reqs *r);
void lg_reqs_free(struct lg_reqs *r);

/* Parses argv into o; on a bad option prints one line and returns 2, for
 * --help/--version prints and returns 0 with *done set; otherwise 0. */
int lg_opts_parse(struct lg_opts *o, int argc, char **argv, bool *done);

uint64_t lg_now(void);

#endif
