/* The harness command line: a command word, then options.
 *
 *   struct opts o;
 *   if (opts_parse(&o, argc, argv, err, sizeof err)) { fprintf(stderr,
 *       "harness: %s\n", err); return 2; }
 *
 * --quick changes the defaults (not what was given explicitly). Model names
 * are checked later against the table (models_select), CPU lists here
 * against the CPUs this process may use. */
#ifndef HARNESS_OPTS_H
#define HARNESS_OPTS_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OPTS_MAX_LIST 32
#define OPTS_MAX_DB_QUERIES 8  /* --db-queries LIST, values at most */

struct workload_ops;
/* Trimmed from 1,4,16,64,... so that the open loop fits the 20-minute
 * budget of a full run on 2 cores. */
#define OPTS_DEFAULT_CONNS "1,16,256,1024,4096,10000"
#define OPTS_QUICK_CONNS "256"
#define OPTS_DEFAULT_DURATION_S 3
#define OPTS_QUICK_DURATION_S 1
#define OPTS_DEFAULT_WARMUP_S 1
#define OPTS_QUICK_WARMUP_S 0
#define OPTS_DEFAULT_PATH "/bench/16k.html"
#define OPTS_DEFAULT_MEMORY_IDLE 2000   /* idle conns of the memory row */
#define OPTS_QUICK_MEMORY_IDLE 200
#define OPTS_MAX_CONNS 100000
/* Open loop (loadgen): --rates auto measures, per model, the equal-load
 * rates (fractions of the calibration server's sustainable rate, or
 * absolute), searches the maximum sustainable rate (MSR: achieved >= 99% of
 * offered and corrected p99 <= --slo-p99) and measures 50% and 80% of it. */
#define OPTS_DEFAULT_SLO_P99_MS 10.0
#define OPTS_DEFAULT_RATE_CONNS 256
#define OPTS_DEFAULT_RATE_DURATION_S 2.0
#define OPTS_QUICK_RATE_DURATION_S 0.5
#define OPTS_DEFAULT_EQUAL_LOAD "25%,50%"
#define OPTS_MAX_RATE 10000000.0     /* req/s */
#define OPTS_RATE_WARMUP_S 0.5       /* loadgen at a step's rate before it */
#define OPTS_QUICK_RATE_WARMUP_S 0.2
#define OPTS_SEARCH_PRECISION 0.10   /* MSR search: stop when hi <= 1.1 lo */
#define OPTS_QUICK_SEARCH_PRECISION 1.0 /* quick: doubling only, no cap50/80 */
#define OPTS_MAX_HOSTS 16            /* --load-hosts */
/* Workloads (opts_workload.c, workload.h). Many slow clients: each
 * connection offers OPTS_DEFAULT_SLOW_RATE req/s, so that 20,000 of them
 * (20k req/s) stay below what loadgen offers from one CPU here. */
#define OPTS_DEFAULT_SLOW_CONNS "1000,5000,10000,20000"
#define OPTS_QUICK_SLOW_CONNS "1000,5000"
#define OPTS_DEFAULT_SLOW_RATE 1.0   /* req/s per connection */
/* Requests each slow connection offers before and in a step's window (not
 * with --quick): the server's CPU over a step includes accepting the
 * connections, so each must send several for the CPU per request to
 * describe serving, not connecting. */
#define OPTS_SLOW_REQS_WARMUP 2.0
#define OPTS_SLOW_REQS_WINDOW 3.0
#define OPTS_DEFAULT_COLD_MEMORY_MB 64 /* the server's memory, page cache included */
#define OPTS_COLD_CACHE_MB 4         /* models' --cache-mb in fileset-cold */
#define OPTS_COLD_WORKERS_PER_CPU 4  /* hybrid models' --workers in fileset-cold */

enum opts_cmd { CMD_HELP, CMD_LIST, CMD_VERIFY, CMD_RUN, CMD_REPORT, CMD_COMPARE };
enum opts_rates { RATES_NONE, RATES_LIST, RATES_AUTO };

/* An equal-load rate: absolute (req/s) or a percentage of the calibration
 * server's maximum sustainable rate. */
struct opts_load {
    double value;
    bool pct;
};

struct opts {
    enum opts_cmd cmd;
    const char *models;          /* "all", or names and categories, comma-separated */
    int conns[OPTS_MAX_LIST], n_conns; /* closed loop; --conns none: 0 */
    bool conns_given;
    enum opts_rates rates_mode;  /* default auto, none with --idle */
    bool rates_given;
    double rates[OPTS_MAX_LIST]; /* --rates LIST, req/s */
    int n_rates;
    struct opts_load equal[OPTS_MAX_LIST];
    int n_equal;
    double slo_p99_ms;
    int rate_conns;              /* loadgen connections */
    double rate_duration_s;      /* measured seconds per open-loop step */
    double rate_warmup_s;        /* loadgen at the step's rate before it */
    double search_precision;     /* stop when hi <= (1 + this) lo */
    int idle[OPTS_MAX_LIST], n_idle; /* --idle sweep; 0 entries: not given */
    int memory_idle;             /* 0: no memory row (with --idle) */
    int duration_s, warmup_s, repeat, pipeline, threads;
    char path[256];
    bool path_given;
    /* The workload (options/workloads.h; its options parsed by its file in
     * harness/workloads/): the file set's parameters, the disk-bound
     * variant's memory limit, the slow clients' steps. */
    const struct workload_ops *workload;
    const char *workload_opts[OPTS_MAX_LIST]; /* its options given, by name */
    int n_workload_opts;
    int fileset_dirs;
    unsigned long long fileset_seed;
    const char *fileset_cache;
    int cold_memory_mb;
    int gzip_level;              /* gzip, mixed: --gzip-level of every server */
    int mix_cheap_pct;           /* mixed: --mix CHEAP/EXPENSIVE, the cheap % */
    int workers;                 /* hybrid models' --workers; 0: the default */
    int slow_conns[OPTS_MAX_LIST], n_slow; /* connections per slow step */
    double slow_rate;            /* req/s per slow connection */
    /* db, queries (workloads/db.c): the database behind /db and /queries. */
    int db_conns, db_delay_ms;
    /* --db-queries LIST (queries): q of /queries?q=N, 1..500 each; the
     * first is the closed and open loop's, each further one a search of its
     * own (workloads/db_steps.c) */
    int db_queries[OPTS_MAX_DB_QUERIES], n_db_queries;
    bool db_sync;                /* --db-api sync */
    cpu_set_t db_cpus;           /* PostgreSQL's; default the load CPUs */
    bool db_cpus_given;
    cpu_set_t server_cpus, client_cpus;
    bool server_cpus_given, client_cpus_given;
    /* Load hosts (hosts.h): ssh destinations, the server's address as they
     * reach it; NULL/0 when the load is generated here. */
    const char *load_hosts[OPTS_MAX_HOSTS];
    int n_load_hosts;
    char load_hosts_text[1024];  /* the --load-hosts list, split in place */
    const char *target, *ssh_config, *remote_loadgen;
    char server_cpus_text[128], client_cpus_text[128];
    bool quick, csv;
    const char *out;             /* parent of the run directory; compare: the page */
    const char *report_dir;      /* report DIR */
    const char *compare_a, *compare_b; /* compare RUN_A RUN_B */
    char command_line[2048];     /* for meta.txt */
};

int opts_parse(struct opts *o, int argc, char **argv, char *err, size_t errlen);
/* --name s as a number in [lo, hi]; -1 with "--name s: expected a number
 * from lo to hi" in err. */
int opts_double_arg(const char *name, const char *s, double lo, double hi, double *out,
                    char *err, size_t errlen);
/* Parses "1,4,16" into v (at most max values in [lo, hi]). */
int opts_parse_list(const char *s, int *v, int max, int lo, int hi);
/* --name s as a whole number in [lo, hi] (doubles hold every one up to
 * 2^53); -1 with "--name s: expected a whole number from lo to hi". */
int opts_whole_arg(const char *name, const char *s, double lo, double hi, double *out,
                   char *err, size_t errlen);
/* Parses "1000,2.5k,40000" (req/s, k = thousands) into v; -1 if bad. */
int opts_parse_rates(const char *s, double *v, int max);
/* Parses "25%,50%" or "5000,10k" into v; -1 if bad. */
int opts_parse_loads(const char *s, struct opts_load *v, int max);
void opts_usage(FILE *f, int n_models, int n_available);

/* The load-host options (opts_hosts.c), for opts.c: name is the long
 * option without its dashes; check: they come together; defaults: with load
 * hosts the server and the harness may use every CPU. */
int opts_hosts_arg(struct opts *o, const char *name, const char *arg, char *err,
                   size_t errlen);
int opts_hosts_check(const struct opts *o, char *err, size_t errlen);
void opts_hosts_defaults(struct opts *o);
void opts_hosts_usage(FILE *f);
/* Default split of the usable CPUs: first half server, rest client. */
void opts_default_cpus(cpu_set_t *server, cpu_set_t *client);

#endif
