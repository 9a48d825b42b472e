/* What hosts.c (start, collect, clean up) and hosts_merge.c (merge, rows)
 * share: the state of the load hosts. Internal to hosts.h. */
#ifndef HARNESS_HOSTS_INT_H
#define HARNESS_HOSTS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "hist.h"
#include "hosts/hosts.h"
#include "hosts/remote.h"

#define HOSTS_MAX_THREADS 64   /* loadgen's own limit (LG_MAX_THREADS) */

struct load_host {
    struct remote_host r;
    /* this run's share; conns 0: the host sits it out */
    double rate;               /* req/s; 0 in closed loop */
    int conns, threads;
    int fd;                    /* ssh's stdout, -1 once read to its end */
    char *out;                 /* what loadgen printed: histograms, result */
    size_t len, cap;
    bool ended, ok;            /* ok: exited 0 (and, once parsed, a result) */
    char err[512];             /* why not ok, naming the host */
    struct lg_result res; /* its result line */
    struct hist corrected, uncorrected, lag;
};

struct hosts {
    int n;
    char target[64];           /* the server's address, as the hosts reach it */
    double spawn_s;            /* longest ssh session start seen, s */
    double deadline;           /* util_now() past which loadgen is killed */
    double late_s;             /* last start after t0 (> 0: too late), s */
    bool closed;               /* this run: closed loop */
    double rate;               /* this run: offered req/s over all hosts */
    int conns;                 /* this run: connections over all hosts */
    struct hist corrected, uncorrected, lag; /* merged */
    struct row *rows;          /* each host's rows, until hosts_write_rows */
    size_t n_rows, cap_rows;
    size_t last_rows;        /* rows the last hosts_record added */
    struct load_host h[];
};

#endif
