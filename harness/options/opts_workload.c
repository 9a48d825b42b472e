/* The workload options of `harness run` (see opts.h and workload.h):
 * --workload, the file set's parameters, the disk-bound variant's memory
 * limit, --workers, the slow clients' steps; what they change in the
 * defaults, the combinations refused, and their part of --help. */
#include "options/opts.h"

#include <stdio.h>
#include <string.h>

#include "workload/fileset.h"

static const char *const names[] = {"file", "fileset", "fileset-cold", "slow-clients"};

const char *opts_workload_name(enum opts_workload w)
{
    return names[w];
}

static int workload_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(arg, names[i]) == 0) {
            o->workload = (enum opts_workload)i;
            return 0;
        }
    snprintf(err, errlen, "--workload %s: expected file, fileset, fileset-cold or "
             "slow-clients", arg);
    return -1;
}

/* A whole number in [lo, hi] (doubles hold every one up to 2^53). */
static int whole(const char *name, const char *arg, double lo, double hi, double *out,
                 char *err, size_t errlen)
{
    if (opts_double_arg(name, arg, lo, hi, out, err, errlen))
        return -1;
    if (*out == (double)(long long)*out && !strpbrk(arg, ".eE"))
        return 0;
    snprintf(err, errlen, "--%s %s: expected a whole number from %.0f to %.0f", name,
             arg, lo, hi);
    return -1;
}

int opts_workload_arg(struct opts *o, const char *name, const char *arg, char *err,
                      size_t errlen)
{
    double v = 0;
    int rc = 0;
    if (strcmp(name, "workload") == 0)
        return workload_arg(o, arg, err, errlen);
    if (strcmp(name, "slow-conns") == 0) {
        o->slow_given = true;
        o->n_slow = opts_parse_list(arg, o->slow_conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
        if (o->n_slow > 0)
            return 0;
        snprintf(err, errlen, "--slow-conns %s: expected up to %d counts from 1 to %d, "
                 "comma-separated", arg, OPTS_MAX_LIST, OPTS_MAX_CONNS);
        return -1;
    }
    if (strcmp(name, "fileset-cache") == 0) {
        o->fileset_given = true;
        if (arg[0] == '/' && strlen(arg) < FILESET_DIR_MAX - 64) {
            o->fileset_cache = arg;
            return 0;
        }
        snprintf(err, errlen, "--fileset-cache %s: expected an absolute directory path "
                 "of under %d bytes", arg, FILESET_DIR_MAX - 64);
        return -1;
    }
    if (strcmp(name, "fileset-dirs") == 0) {
        o->fileset_given = true;
        rc = whole(name, arg, 1, FILESET_MAX_DIRS, &v, err, errlen);
        o->fileset_dirs = (int)v;
    } else if (strcmp(name, "fileset-seed") == 0) {
        o->fileset_given = true;
        rc = whole(name, arg, 1, 9007199254740992.0, &v, err, errlen);
        o->fileset_seed = (unsigned long long)v;
    } else if (strcmp(name, "cold-memory") == 0) {
        o->cold_given = true;
        rc = whole(name, arg, 8, 1 << 20, &v, err, errlen);
        o->cold_memory_mb = (int)v;
    } else if (strcmp(name, "workers") == 0) {
        rc = whole(name, arg, 1, 1024, &v, err, errlen);
        o->workers = (int)v;
    } else {
        o->slow_given = true;
        rc = opts_double_arg(name, arg, 0.01, 1000, &o->slow_rate, err, errlen);
    }
    return rc;
}

int opts_workload_check(const struct opts *o, char *err, size_t errlen)
{
    bool fileset = o->workload == WORKLOAD_FILESET || o->workload == WORKLOAD_FILESET_COLD;
    const char *w = names[o->workload];
    if (o->fileset_given && !fileset)
        snprintf(err, errlen, "--fileset-dirs, --fileset-seed and --fileset-cache are "
                 "only used with --workload fileset or fileset-cold");
    else if (o->cold_given && o->workload != WORKLOAD_FILESET_COLD)
        snprintf(err, errlen, "--cold-memory is only used with --workload fileset-cold");
    else if (o->slow_given && o->workload != WORKLOAD_SLOW_CLIENTS)
        snprintf(err, errlen, "--slow-conns and --slow-rate are only used with "
                 "--workload slow-clients");
    else if (fileset && o->path_given)
        snprintf(err, errlen, "--path with --workload %s: the file set's requests "
                 "follow its URL list, not one path", w);
    else if (fileset && o->n_load_hosts)
        snprintf(err, errlen, "--load-hosts with --workload %s: the URL list is not "
                 "copied to the load hosts; run the file-set workloads with the load "
                 "on this machine", w);
    else
        return 0;
    return -1;
}

void opts_workload_defaults(struct opts *o)
{
    if (!o->fileset_dirs)
        o->fileset_dirs = FILESET_DEFAULT_DIRS;
    if (!o->fileset_seed)
        o->fileset_seed = FILESET_DEFAULT_SEED;
    if (!o->fileset_cache)
        o->fileset_cache = FILESET_DEFAULT_CACHE;
    if (!o->cold_memory_mb)
        o->cold_memory_mb = OPTS_DEFAULT_COLD_MEMORY_MB;
    if (o->slow_rate <= 0)
        o->slow_rate = OPTS_DEFAULT_SLOW_RATE;
    if (o->n_slow == 0 && o->workload == WORKLOAD_SLOW_CLIENTS)
        o->n_slow = opts_parse_list(o->quick ? OPTS_QUICK_SLOW_CONNS : OPTS_DEFAULT_SLOW_CONNS,
                                    o->slow_conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (o->workload != WORKLOAD_SLOW_CLIENTS)
        return;
    /* Concurrency from the number of clients: no saturating closed loop and
     * no rate search unless asked for. */
    if (!o->conns_given) {
        o->conns_given = true;
        o->n_conns = 0;
    }
    if (!o->rates_given)
        o->rates_mode = RATES_NONE;
}

void opts_workload_usage(FILE *f)
{
    fprintf(f, "\n"
"workloads (--workload, one per run; README: Workloads):\n"
"  --workload NAME      file: one cached file (--path) [default]\n"
"                       fileset: a generated SPECweb99-style file set, four size\n"
"                       classes requested 35/50/14/1 %%, Zipf popularity, through a\n"
"                       pre-drawn URL list (wrk: bench/urls.lua, loadgen --urls)\n"
"                       fileset-cold: the same with each server in a memory cgroup\n"
"                       far smaller than the set and the set dropped from the page\n"
"                       cache before each level: reads go to the disk\n"
"                       slow-clients: many connections each offering a few req/s\n"
"                       (--slow-conns, --slow-rate), no closed loop or rate search\n"
"                       unless asked for\n"
"  --fileset-dirs N     directories of 4.9 MiB each [%d: %d MiB]\n"
"  --fileset-seed N     seed of the files and the request sequence [%d]\n"
"  --fileset-cache DIR  where sets are generated once and reused [%s]\n"
"  --cold-memory MB     fileset-cold: each server's memory limit, page cache\n"
"                       included (models get --cache-mb %d) [%d]\n"
"  --workers N          hybrid models' --workers [server CPUs; fileset-cold %d x\n"
"                       server CPUs, so that blocked processes or threads have\n"
"                       others beside them]\n"
"  --slow-conns LIST    slow-clients: connection counts, each a step [%s;\n"
"                       quick %s; steps beyond the descriptor limit are skipped]\n"
"  --slow-rate R        slow-clients: req/s each connection offers [%g]\n",
            FILESET_DEFAULT_DIRS, (int)(FILESET_DEFAULT_DIRS * FILESET_DIR_BYTES >> 20),
            FILESET_DEFAULT_SEED, FILESET_DEFAULT_CACHE, OPTS_COLD_CACHE_MB,
            OPTS_DEFAULT_COLD_MEMORY_MB, OPTS_COLD_WORKERS_PER_CPU,
            OPTS_DEFAULT_SLOW_CONNS, OPTS_QUICK_SLOW_CONNS, OPTS_DEFAULT_SLOW_RATE);
}
