/* harness --help (see opts.h): the commands, then the run options by
 * stage; the workloads (harness/workloads/, each its lines and options) and
 * the load-host options (opts_hosts.c) add their own. Every default is
 * shown. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "options/opts.h"
#include "options/workloads.h"
#include "run/plan.h"
#include "base/util.h"

#ifndef C10K_SOURCE_ROOT
#define C10K_SOURCE_ROOT "."
#endif

static void usage_commands(FILE *f)
{
    fputs(
"usage: harness list [--csv]\n"
"       harness verify [--models LIST] [--path P]\n"
"       harness run [options]\n"
"       harness report DIR\n"
"       harness compare RUN_A RUN_B [--out compare.html]\n"
"\n"
"list     every model and reference, its category, origin and whether it runs here\n"
"verify   start each model and check it serves the sample site (200 + exact body,\n"
"         404, HEAD, keep-alive); run does this before any load\n"
"run      measure: for each model a fresh server, verify, a memory-per-idle-\n"
"         connection row, the closed-loop levels (wrk), then the open-loop steps\n"
"         (loadgen at fixed offered rates)\n"
"report   regenerate plots, report.html and summary.md from DIR/results.csv\n"
"compare  B against A per model and point: ratios, faster/slower beyond the\n"
"         rounds' spread; Markdown on stdout, RUN_B/compare.html (or --out)\n"
"\n", f);
}

static void usage_run(FILE *f, int n_models)
{
    fprintf(f,
"run options (defaults in brackets):\n"
"  --models all|a,b,c   models, references or categories [all: %d here]\n"
"  --repeat N           rounds, models interleaved and rotated per round [1]\n"
"  --path P             URL path requested [" OPTS_DEFAULT_PATH "]\n"
"  --pipeline N         requests in flight per connection [1]\n"
"  --server-cpus LIST   CPUs of the server [first half of the usable CPUs]\n"
"  --client-cpus LIST   CPUs of the load generator and the harness [the other half]\n"
"  --quick              a smoke run: --conns " OPTS_QUICK_CONNS " --duration %d --warmup %d\n"
"                       --rate-duration %g --memory-idle %d\n"
"  --out DIR            results go to DIR/YYYYmmdd-HHMMSS, DIR/latest links it\n"
"                       [" C10K_SOURCE_ROOT "/results]\n",
            n_models, OPTS_QUICK_DURATION_S, OPTS_QUICK_WARMUP_S,
            OPTS_QUICK_RATE_DURATION_S, OPTS_QUICK_MEMORY_IDLE);
}

static void usage_closed(FILE *f)
{
    fprintf(f,
"closed loop (wrk: every connection sends when answered, the server saturated):\n"
"  --conns LIST|none    wrk connection counts [" OPTS_DEFAULT_CONNS "; 4 and 64\n"
"                       left out of the default to fit the open loop in the run]\n"
"  --duration S         seconds measured per level [%d]\n"
"  --warmup S           seconds of wrk before each measurement, 0 = none [%d]\n"
"  --threads N          wrk threads at most; lowered so they divide the\n"
"                       connections [number of client CPUs]\n"
"  --idle LIST          idle keep-alive connections held open during each level\n"
"                       (sweep, e.g. --idle 0,1000,5000,9000 --conns 64) [none]\n"
"  --memory-idle N      idle connections of the memory row, 0 = none [%d; quick %d;\n"
"                       none with --idle, whose rows carry the memory]\n",
            OPTS_DEFAULT_DURATION_S, OPTS_DEFAULT_WARMUP_S, OPTS_DEFAULT_MEMORY_IDLE,
            OPTS_QUICK_MEMORY_IDLE);
}

static void usage_open(FILE *f)
{
    fprintf(f,
"open loop (loadgen: requests offered at a fixed rate, latency from when each\n"
"was due, so a stalled server is charged for the queue it causes):\n"
"  --rates auto|none|LIST  auto: equal load, then each server's maximum sustainable\n"
"                       rate (MSR) by doubling and bisection, then 50%% and 80%% of\n"
"                       it; LIST: offered rates in req/s, e.g. 1000,5k,20k\n"
"                       [auto; none with --idle]\n"
"  --equal-load LIST    offered rates every server gets: %% of the calibration\n"
"                       server's MSR (measured first) or req/s [%s]\n"
"  --slo-p99 MS         a rate is sustained if >= 99%% is achieved and the p99\n"
"                       from the due time is within this [%g]; db, queries:\n"
"                       plus q x --db-delay-ms, the wait no server can avoid\n"
"  --rate-conns N       loadgen connections [%d]\n"
"  --rate-duration S    seconds measured per open-loop step, after %g s of\n"
"                       warm-up at the same rate [%g; quick %g after %g s,\n"
"                       a coarse search, no 50%%/80%% steps]\n",
            OPTS_DEFAULT_EQUAL_LOAD, OPTS_DEFAULT_SLO_P99_MS, OPTS_DEFAULT_RATE_CONNS,
            OPTS_RATE_WARMUP_S, OPTS_DEFAULT_RATE_DURATION_S, OPTS_QUICK_RATE_DURATION_S,
            OPTS_QUICK_RATE_WARMUP_S);
}

/* Each workload's lines under --workload, then each one's options. */
static void usage_workloads(FILE *f)
{
    fputs("\nworkloads (--workload, one per run; README: Workloads):\n", f);
    bool first = true;
    for (int i = 0; workloads_get(i); i++)
        for (const char *h = workloads_get(i)->help; *h; first = false) {
            int len = (int)strcspn(h, "\n");
            fprintf(f, "%s%.*s\n", first ? "  --workload NAME      " : "                       ",
                    len, h);
            h += len + (h[len] == '\n');
        }
    for (int i = 0; workloads_get(i); i++)
        if (workloads_get(i)->usage)
            workloads_get(i)->usage(f);
    fprintf(f,
"  --workers N          hybrid models' --workers [server CPUs; fileset-cold %d x\n"
"                       server CPUs, so that blocked processes or threads have\n"
"                       others beside them]\n", OPTS_COLD_WORKERS_PER_CPU);
}

void opts_usage(FILE *f, int n_models, int n_available)
{
    char est[32], quick[32];
    util_format_duration(plan_estimate_default(n_available, false), est, sizeof est);
    util_format_duration(plan_estimate_default(n_available, true), quick, sizeof quick);
    usage_commands(f);
    usage_run(f, n_models);
    usage_closed(f);
    usage_open(f);
    fprintf(f, "\nA full run of the %d models available here (of %d known) takes about %s,\n"
               "--quick about %s. Columns of results.csv: harness/README.md.\n",
            n_available, n_models, est, quick);
    usage_workloads(f);
    opts_hosts_usage(f);
}
