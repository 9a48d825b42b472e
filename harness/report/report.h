/* struct report: what the pages say about one run, loaded (load.c) from
 * its results.csv and meta.txt and filled in turn by the stages above it:
 * warn.c (warn.h) lists the warnings, verdict.c (verdict.h) words the
 * answer, plot.c draws; html.c and markdown.c write the pages from struct
 * report alone; generate.c (generate.h) drives them all.
 *
 *   struct report r;
 *   if (report_load(&r, "results/20250101-120000", err, sizeof err) == 0) {
 *       ...; report_free(&r);
 *   } */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include <stdio.h>

#include "options/opts.h"
#include "report/plot.h"
#include "results/stats.h"

#define REPORT_LEVELS 3            /* headline levels: 256, 1024, 10000 */
#define REPORT_EQUAL 4             /* equal-load rates shown */
#define REPORT_MAX_MODELS 64
#define REPORT_DB_QS (OPTS_MAX_DB_QUERIES + 1) /* q of a db run, /db's 0 among them */
/* The headline's caption on the load generator's cost (both pages). */
#define REPORT_LOADGEN_NOTE "At equal load each server's CPU microseconds per request " \
    "stand beside loadgen's own (server / loadgen). On loopback the two are about 1:1: " \
    "most of loadgen's time is each request's write, which runs the server's TCP " \
    "receive in loadgen's context. So on 2 cores the fastest servers cannot be " \
    "saturated from this machine (their sustainable rates are lower bounds, >=); " \
    "--load-hosts, the load from other machines, removes that limit." 
#define REPORT_VERDICT_LINES 14    /* sentences of the verdict at most */

struct report_headline {
    char model[32], category[16];
    /* open loop: the maximum sustainable rate (median over rounds, its
     * spread), server CPU per request at each equal-load rate, corrected
     * p99 at 50% and 80% of the model's own MSR; -1 when not measured */
    double msr, msr_min, msr_max;
    bool msr_lower_bound;          /* the search stopped at loadgen's limit */
    bool msr_noisy;                /* ... or at the machine's noise */
    bool inconsistent;             /* an open-loop point is (stats.h): its
                                      open-loop cells show "-" */
    double cpu_us[REPORT_EQUAL], cpu_us_min[REPORT_EQUAL], cpu_us_max[REPORT_EQUAL];
    double cli_us[REPORT_EQUAL];   /* loadgen's CPU µs per request there */
    double p99_cap50_ms, p99_cap80_ms;
    /* mixed: the cheap and the expensive class's p99 at each equal-load
     * rate, ms; the cheap one is the workload's figure of merit */
    double cheap_ms[REPORT_EQUAL], expensive_ms[REPORT_EQUAL];
    double best_rps; int best_conns;
    double rps[REPORT_LEVELS], p99_ms[REPORT_LEVELS], eff[REPORT_LEVELS];
    double vs_nginx;               /* req per server CPU-s / nginx's (geomean) */
    double mem_per_conn_kib;
    enum row_status status;        /* crashed if a point crashed, else the
                                      last other status not ok, else ok */
    bool starved;                  /* some level starved while status was ok */
};
/* The headline's status in words: "starved" when ok but starved, else
 * row_status_name(). */
const char *report_status(const struct report_headline *h);

/* Warnings (warn.c): one per point and problem, in the order of the
 * points; the pages show a summary line per kind, then its points. */
enum warn_kind {
    WARN_FAILURE, WARN_LOST, WARN_INCONSISTENT, WARN_STARVED, WARN_ERRORS, WARN_UNSUSTAINED,
    WARN_CLIENT_BOUND, WARN_NOISE, WARN_HIGH_CV, WARN_KINDS
};

struct report_warning {
    enum warn_kind kind;
    const struct stats_point *point;   /* in report.points */
    char text[640];                    /* "epoll at c=256: wrk at 99% CPU ..." */
};

struct report_warn_kind {
    int count;                         /* points with this warning */
    char models[512];                  /* "every event-driven model, nginx" */
    char where[512];                   /* "c=256, 1024; open loop at equal load" */
    char line[1280];                   /* "52 points, every event-driven model
                                          at c=256: read req/CPU-s, not req/s" */
};

/* What the pages say about the run, from meta.txt ("?" when missing). */
struct report_run {
    char date[32];                 /* "2025-01-01 12:00:00" */
    char cpu[128], kernel[128];
    char slo_ms[24];               /* --slo-p99; db, queries: "10 + 2 q" (+ q x D) */
    char load_hosts[512], target[64]; /* "?" without load hosts */
    bool quick;                    /* a --quick run */
    char workload[768];            /* meta.txt's workload_detail */
    char disk[256];                /* where disk reads came from */
    int db_delay_ms;               /* db, queries: --db-delay-ms (D), ms:
                                      slo_db_wait_ms_per_query, else as
                                      workload_detail words it; -1: unknown */
};

struct report {
    const char *dir;
    struct report_run run;         /* report_load(), from meta.txt */
    struct stats_points points;           /* load from here, or merged (host=all) */
    struct stats_points host_points;      /* each load host's own rows */
    /* queries: the rows at the first q of --db-queries (db_queries) are the
     * points; those of each further q (a search and its msr row each) are
     * here, for the workload's section and the table of every point only:
     * the headline, verdict, plots and warnings never mix q */
    struct stats_points q_points;
    int first_q;                          /* 0: not the queries workload */
    /* db, queries: the q measured, the first q first (0: the db workload's
     * one query), the further ones ascending; n_db_qs 0: neither workload */
    int db_qs[REPORT_DB_QS], n_db_qs;
    int levels[REPORT_LEVELS], n_levels;  /* closed-loop headline levels */
    double equal[REPORT_EQUAL];           /* equal-load rates, req/s */
    int n_equal;
    /* mixed: the rate of the cheap requests alone (step alone) paired
     * with equal[e], req/s: the e-th lowest alone rate of the run (each is
     * an equal-load rate times the cheap share); -1 when the run has not
     * one alone rate for each equal-load rate */
    double alone[REPORT_EQUAL];
    bool open;                            /* the run has open-loop rows */
    bool mixed;                           /* ... with per-class p99 (mixed) */
    struct report_headline head[REPORT_MAX_MODELS];
    int n_head;
    struct plot_set plots;
    char *meta;                    /* meta.txt, or NULL */
    struct report_warning *warn;   /* warn_collect() */
    size_t n_warn, cap_warn;
    bool warn_oom;
    struct report_warn_kind warn_kinds[WARN_KINDS];
    char verdict[REPORT_VERDICT_LINES][2048]; /* verdict_build(): plain text */
    int n_verdict;
};

/* Reads dir/results.csv and meta.txt into r: points, headline levels,
 * equal-load rates, a db run's q, the headline per model. -1 with err ("open
 * dir/results.csv: ...") when it cannot; report_free releases r. */
int report_load(struct report *r, const char *dir, char *err, size_t errlen);
void report_free(struct report *r);
/* The slow-client point of model at conns connections (step slow), or
 * NULL; report_slow_conns lists the connection counts measured, ascending. */
const struct stats_point *report_slow_point(const struct report *r, const char *model,
                                            double conns);
int report_slow_conns(const struct report *r, double *conns, int max);
/* mixed: model's point of the cheap requests alone paired with the e-th
 * equal-load rate (r->alone[e]), or NULL. */
const struct stats_point *report_alone_point(const struct report *r, const char *model,
                                             int e);
/* mixed: the cheap class's p99 of a point, us (cheap_p99_us, else, on a
 * list of cheap requests only, lat_p99_us; -1 when neither); the ratio of
 * the cheap p99 in the mix (point mix) to the same requests' alone (point
 * alone), or -1 unless both are ok, sustained and measured. What the ratio
 * means, in one sentence for both pages: */
double report_cheap_p99_us(const struct stats_point *p);
double report_mixed_ratio(const struct stats_point *mix, const struct stats_point *alone);
#define REPORT_MIXED_RATIO "mix / alone = how many times longer the slowest 1% of " \
    "cheap requests take because expensive ones share the server: 1.0 means the model " \
    "keeps them apart, 10 means a cheap answer waits ten times as long."
/* The db and queries workloads' figures per model and q (html_db.c), for
 * each q of r->db_qs: report_db_line gives model's figures at q from the
 * points of that q only, -1 where not measured. */
struct report_db_line {
    double msr;        /* its maximum sustainable rate, req/s */
    bool lower_bound;  /* ... a lower bound */
    double conns;      /* database connections PostgreSQL counted at the MSR's step */
    double conns_most; /* ... the most in any step (closed loop included) */
    double limit;      /* Little's law: conns / (D x q) req/s at the MSR's step; -1:
                          none (D = 0, no connection, or not counted) */
    bool applicable;   /* a row of it was measured (references: never, their
                          cells say "not applicable"; others' say "-") */
    double fraction;   /* msr / limit */
    double srv_us, db_us; /* server's and database's CPU us per request at msr */
};
void report_db_line(const struct report *r, const char *model, int q,
                    struct report_db_line *d);
/* The value of "key: value" in meta.txt, or "?". */
void report_meta(const struct report *r, const char *key, char *out, size_t outlen);

#endif
