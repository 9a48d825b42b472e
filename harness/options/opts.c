/* The harness command line (see opts.h). */
#include "options/opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "options/workloads.h"

#ifndef C10K_SOURCE_ROOT
#define C10K_SOURCE_ROOT "."
#endif

enum {
    OPT_MODELS = 256, OPT_CONNS, OPT_IDLE, OPT_DURATION, OPT_WARMUP, OPT_REPEAT,
    OPT_PATH, OPT_PIPELINE, OPT_SERVER_CPUS, OPT_CLIENT_CPUS, OPT_THREADS,
    OPT_QUICK, OPT_OUT, OPT_CSV, OPT_HELP, OPT_MEMORY_IDLE, OPT_RATES, OPT_SLO,
    OPT_RATE_CONNS, OPT_EQUAL, OPT_RATE_DURATION, OPT_LOAD_HOSTS, OPT_TARGET,
    OPT_SSH_CONFIG, OPT_REMOTE_LOADGEN, OPT_WORKLOAD, OPT_WORKERS,
    OPT_PLUGIN, /* the workloads' own options: OPT_PLUGIN + index in plugin_names */
};
#define OPTS_MAX_PLUGIN_OPTS 32

static const struct option longopts[] = {
    {"models", required_argument, 0, OPT_MODELS},
    {"conns", required_argument, 0, OPT_CONNS},
    {"idle", required_argument, 0, OPT_IDLE},
    {"memory-idle", required_argument, 0, OPT_MEMORY_IDLE},
    {"duration", required_argument, 0, OPT_DURATION},
    {"warmup", required_argument, 0, OPT_WARMUP},
    {"repeat", required_argument, 0, OPT_REPEAT},
    {"path", required_argument, 0, OPT_PATH},
    {"pipeline", required_argument, 0, OPT_PIPELINE},
    {"server-cpus", required_argument, 0, OPT_SERVER_CPUS},
    {"client-cpus", required_argument, 0, OPT_CLIENT_CPUS},
    {"threads", required_argument, 0, OPT_THREADS},
    {"quick", no_argument, 0, OPT_QUICK},
    {"out", required_argument, 0, OPT_OUT},
    {"csv", no_argument, 0, OPT_CSV},
    {"rates", required_argument, 0, OPT_RATES},
    {"slo-p99", required_argument, 0, OPT_SLO},
    {"rate-conns", required_argument, 0, OPT_RATE_CONNS},
    {"equal-load", required_argument, 0, OPT_EQUAL},
    {"rate-duration", required_argument, 0, OPT_RATE_DURATION},
    {"load-hosts", required_argument, 0, OPT_LOAD_HOSTS},
    {"target", required_argument, 0, OPT_TARGET},
    {"ssh-config", required_argument, 0, OPT_SSH_CONFIG},
    {"remote-loadgen", required_argument, 0, OPT_REMOTE_LOADGEN},
    {"workload", required_argument, 0, OPT_WORKLOAD},
    {"workers", required_argument, 0, OPT_WORKERS},
    {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0},
};
#define N_LONGOPTS (sizeof longopts / sizeof longopts[0] - 1)

/* longopts, then each registered workload's own options (once each). */
static struct option all_opts[N_LONGOPTS + OPTS_MAX_PLUGIN_OPTS + 1];

static void build_options(void)
{
    size_t n = N_LONGOPTS;
    memcpy(all_opts, longopts, sizeof longopts);
    for (int i = 0; workloads_get(i); i++)
        for (const char *const *p = workloads_get(i)->options; p && *p; p++) {
            bool seen = false;
            for (size_t k = N_LONGOPTS; k < n; k++)
                seen |= strcmp(all_opts[k].name, *p) == 0;
            if (!seen && n < N_LONGOPTS + OPTS_MAX_PLUGIN_OPTS) {
                all_opts[n] = (struct option){*p, required_argument, 0,
                                              OPT_PLUGIN + (int)(n - N_LONGOPTS)};
                n++;
            }
        }
    all_opts[n] = (struct option){0, 0, 0, 0};
}

void opts_default_cpus(cpu_set_t *server, cpu_set_t *client)
{
    cpu_set_t all;
    int cpus[UTIL_MAX_CPUS], n = 0;
    CPU_ZERO(server);
    CPU_ZERO(client);
    if (sched_getaffinity(0, sizeof all, &all)) {
        CPU_SET(0, server);
        CPU_SET(0, client);
        return;
    }
    for (int c = 0; c < UTIL_MAX_CPUS; c++)
        if (CPU_ISSET(c, &all))
            cpus[n++] = c;
    int half = n / 2 > 0 ? n / 2 : 1;
    for (int i = 0; i < n; i++)
        CPU_SET(cpus[i], i < half ? server : client);
    if (n == 1) /* one CPU: share it, and say so in meta.txt */
        CPU_SET(cpus[0], client);
}

static int int_arg(const char *name, const char *s, int lo, int hi, int *out,
                   char *err, size_t errlen)
{
    int v[1];
    if (opts_parse_list(s, v, 1, lo, hi) != 1) {
        snprintf(err, errlen, "--%s %s: expected a whole number from %d to %d",
                 name, s, lo, hi);
        return -1;
    }
    *out = v[0];
    return 0;
}

static int rates_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    o->rates_given = true;
    if (strcmp(arg, "auto") == 0 || strcmp(arg, "none") == 0) {
        o->rates_mode = arg[0] == 'a' ? RATES_AUTO : RATES_NONE;
        return 0;
    }
    o->rates_mode = RATES_LIST;
    o->n_rates = opts_parse_rates(arg, o->rates, OPTS_MAX_LIST);
    if (o->n_rates > 0)
        return 0;
    snprintf(err, errlen, "--rates %s: expected auto, none or up to %d offered rates "
             "in req/s like 1000,5k,20000", arg, OPTS_MAX_LIST);
    return -1;
}

static int conns_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    o->conns_given = true;
    if (strcmp(arg, "none") == 0) {
        o->n_conns = 0;
        return 0;
    }
    o->n_conns = opts_parse_list(arg, o->conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (o->n_conns > 0)
        return 0;
    snprintf(err, errlen, "--conns %s: expected none or up to %d counts from 1 "
             "to %d, comma-separated", arg, OPTS_MAX_LIST, OPTS_MAX_CONNS);
    return -1;
}

static int idle_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    o->n_idle = opts_parse_list(arg, o->idle, OPTS_MAX_LIST, 0, OPTS_MAX_CONNS);
    if (o->n_idle > 0)
        return 0;
    snprintf(err, errlen, "--idle %s: expected counts from 0 to %d, "
             "comma-separated", arg, OPTS_MAX_CONNS);
    return -1;
}

static int equal_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    o->n_equal = opts_parse_loads(arg, o->equal, OPTS_MAX_LIST);
    if (o->n_equal > 0)
        return 0;
    snprintf(err, errlen, "--equal-load %s: expected rates like 25%%,50%% (of the "
             "calibration server's sustainable rate) or 5000,10k (req/s)", arg);
    return -1;
}

static int path_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    if (arg[0] != '/' || strlen(arg) >= sizeof o->path || strpbrk(arg, " \r\n")) {
        snprintf(err, errlen, "--path %s: expected a URL path starting with /", arg);
        return -1;
    }
    snprintf(o->path, sizeof o->path, "%s", arg);
    o->path_given = true;
    return 0;
}

static int cpu_arg(const char *name, const char *s, cpu_set_t *set, char *text,
                   char *err, size_t errlen)
{
    cpu_set_t allowed, both;
    if (util_cpuset_parse(s, set)) {
        snprintf(err, errlen, "--%s %s: expected a CPU list like 0 or 0-3,6", name, s);
        return -1;
    }
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
        CPU_AND(&both, set, &allowed);
        if (!CPU_EQUAL(&both, set)) {
            snprintf(err, errlen, "--%s %s: not all of these CPUs are usable here",
                     name, s);
            return -1;
        }
    }
    snprintf(text, 128, "%s", s);
    return 0;
}

static void set_defaults(struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->models = "all";
    o->duration_s = -1;
    o->warmup_s = -1;
    o->memory_idle = -1;
    o->repeat = 1;
    o->pipeline = 1;
    o->out = C10K_SOURCE_ROOT "/results";
    o->rates_mode = RATES_AUTO;
    o->slo_p99_ms = OPTS_DEFAULT_SLO_P99_MS;
    o->rate_conns = OPTS_DEFAULT_RATE_CONNS;
    o->rate_duration_s = -1;
    o->n_equal = opts_parse_loads(OPTS_DEFAULT_EQUAL_LOAD, o->equal, OPTS_MAX_LIST);
    snprintf(o->path, sizeof o->path, "%s", OPTS_DEFAULT_PATH);
    opts_default_cpus(&o->server_cpus, &o->client_cpus);
}

/* --quick sets the defaults of what was not given. */
static void finish_defaults(struct opts *o)
{
    for (int i = 0; workloads_get(i); i++)
        if (workloads_get(i)->defaults)
            workloads_get(i)->defaults(o, workloads_get(i) == o->workload);
    /* An idle sweep is about closed-loop levels: no open loop unless asked. */
    if (!o->rates_given && o->n_idle > 0)
        o->rates_mode = RATES_NONE;
    if (o->rate_duration_s < 0)
        o->rate_duration_s = o->quick ? OPTS_QUICK_RATE_DURATION_S
                                      : OPTS_DEFAULT_RATE_DURATION_S;
    o->rate_warmup_s = o->quick ? OPTS_QUICK_RATE_WARMUP_S : OPTS_RATE_WARMUP_S;
    o->search_precision = o->quick ? OPTS_QUICK_SEARCH_PRECISION : OPTS_SEARCH_PRECISION;
    if (!o->conns_given)
        o->n_conns = opts_parse_list(o->quick ? OPTS_QUICK_CONNS : OPTS_DEFAULT_CONNS,
                                     o->conns, OPTS_MAX_LIST, 1, OPTS_MAX_CONNS);
    if (o->duration_s < 0)
        o->duration_s = o->quick ? OPTS_QUICK_DURATION_S : OPTS_DEFAULT_DURATION_S;
    if (o->warmup_s < 0)
        o->warmup_s = o->quick ? OPTS_QUICK_WARMUP_S : OPTS_DEFAULT_WARMUP_S;
    if (o->memory_idle < 0)
        o->memory_idle = o->n_idle ? 0 : o->quick ? OPTS_QUICK_MEMORY_IDLE
                                                  : OPTS_DEFAULT_MEMORY_IDLE;
    opts_hosts_defaults(o);
    if (o->threads == 0)
        o->threads = CPU_COUNT(&o->client_cpus);
    util_cpuset_format(&o->server_cpus, o->server_cpus_text, sizeof o->server_cpus_text);
    util_cpuset_format(&o->client_cpus, o->client_cpus_text, sizeof o->client_cpus_text);
}

static int parse_command(struct opts *o, const char *word, char *err, size_t errlen)
{
    static const struct { const char *name; enum opts_cmd cmd; } cmds[] = {
        {"list", CMD_LIST}, {"verify", CMD_VERIFY}, {"run", CMD_RUN},
        {"report", CMD_REPORT}, {"compare", CMD_COMPARE}, {"help", CMD_HELP},
        {"--help", CMD_HELP},
        {"-h", CMD_HELP},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(word, cmds[i].name) == 0) {
            o->cmd = cmds[i].cmd;
            return 0;
        }
    snprintf(err, errlen, "unknown command '%s' (commands: list, verify, run, "
             "report, compare; harness --help)", word);
    return -1;
}

static const char *opt_name(int opt)
{
    for (const struct option *lo = all_opts; lo->name; lo++)
        if (lo->val == opt)
            return lo->name;
    return "?";
}

/* Options that only some commands take. */
static int check_allowed(const struct opts *o, int opt, char *err, size_t errlen)
{
    static const char *cmd_names[] = {"help", "list", "verify", "run", "report", "compare"};
    bool ok = opt == OPT_HELP || (o->cmd == CMD_RUN && opt != OPT_CSV) ||
              (o->cmd == CMD_COMPARE && opt == OPT_OUT) ||
              (o->cmd == CMD_VERIFY && (opt == OPT_MODELS || opt == OPT_PATH ||
                                        opt == OPT_WORKLOAD || opt >= OPT_PLUGIN)) ||
              (o->cmd == CMD_LIST && opt == OPT_CSV);
    if (!ok)
        snprintf(err, errlen, "'%s' does not take --%s", cmd_names[o->cmd], opt_name(opt));
    return ok ? 0 : -1;
}

/* --workload NAME, one of the table's. */
static int workload_arg(struct opts *o, const char *arg, char *err, size_t errlen)
{
    char names[256] = "";
    o->workload = workloads_find(arg);
    if (o->workload)
        return 0;
    for (int i = 0; workloads_get(i); i++) {
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", i == 0 ? "" : workloads_get(i + 1)
                 ? ", " : " or ", workloads_get(i)->name);
    }
    snprintf(err, errlen, "--workload %s: expected %s", arg, names);
    return -1;
}

/* One of a workload's own options: parsed by the first workload that
 * lists it, remembered for the check against the chosen one. */
static int plugin_arg(struct opts *o, const char *name, const char *arg, char *err,
                      size_t errlen)
{
    for (int i = 0; workloads_get(i); i++)
        for (const char *const *p = workloads_get(i)->options; p && *p; p++)
            if (strcmp(*p, name) == 0) {
                if (o->n_workload_opts < OPTS_MAX_LIST)
                    o->workload_opts[o->n_workload_opts++] = *p;
                return workloads_get(i)->arg(o, name, arg, err, errlen);
            }
    return -1;
}

static bool lists_option(const struct workload_ops *w, const char *name)
{
    for (const char *const *p = w->options; p && *p; p++)
        if (strcmp(*p, name) == 0)
            return true;
    return false;
}

/* A workload's option given with another workload is refused, naming the
 * workloads that take it; then the chosen workload's own check. */
static int workload_check(const struct opts *o, char *err, size_t errlen)
{
    for (int k = 0; k < o->n_workload_opts; k++) {
        const char *name = o->workload_opts[k];
        char owners[256] = "";
        if (lists_option(o->workload, name))
            continue;
        for (int i = 0; workloads_get(i); i++)
            if (lists_option(workloads_get(i), name)) {
                size_t n = strlen(owners);
                snprintf(owners + n, sizeof owners - n, "%s%s", n ? " or " : "",
                         workloads_get(i)->name);
            }
        snprintf(err, errlen, "--%s is only used with --workload %s", name, owners);
        return -1;
    }
    return o->workload->check ? o->workload->check(o, err, errlen) : 0;
}

static int parse_one(struct opts *o, int opt, const char *arg, char *err, size_t errlen)
{
    switch (opt) {
    case OPT_MODELS: o->models = arg; return 0;
    case OPT_CONNS: return conns_arg(o, arg, err, errlen);
    case OPT_RATES: return rates_arg(o, arg, err, errlen);
    case OPT_EQUAL: return equal_arg(o, arg, err, errlen);
    case OPT_SLO:
        return opts_double_arg("slo-p99", arg, 0.01, 60000, &o->slo_p99_ms, err, errlen);
    case OPT_RATE_DURATION:
        return opts_double_arg("rate-duration", arg, 0.1, 3600, &o->rate_duration_s, err, errlen);
    case OPT_RATE_CONNS:
        return int_arg("rate-conns", arg, 1, OPTS_MAX_CONNS, &o->rate_conns, err, errlen);
    case OPT_IDLE: return idle_arg(o, arg, err, errlen);
    case OPT_MEMORY_IDLE:
        return int_arg("memory-idle", arg, 0, OPTS_MAX_CONNS, &o->memory_idle, err, errlen);
    case OPT_DURATION: return int_arg("duration", arg, 1, 3600, &o->duration_s, err, errlen);
    case OPT_WARMUP: return int_arg("warmup", arg, 0, 600, &o->warmup_s, err, errlen);
    case OPT_REPEAT: return int_arg("repeat", arg, 1, 100, &o->repeat, err, errlen);
    case OPT_PIPELINE: return int_arg("pipeline", arg, 1, 1024, &o->pipeline, err, errlen);
    case OPT_THREADS: return int_arg("threads", arg, 1, 1024, &o->threads, err, errlen);
    case OPT_PATH: return path_arg(o, arg, err, errlen);
    case OPT_SERVER_CPUS:
        o->server_cpus_given = true;
        return cpu_arg("server-cpus", arg, &o->server_cpus, o->server_cpus_text, err, errlen);
    case OPT_CLIENT_CPUS:
        o->client_cpus_given = true;
        return cpu_arg("client-cpus", arg, &o->client_cpus, o->client_cpus_text, err, errlen);
    case OPT_LOAD_HOSTS: case OPT_TARGET: case OPT_SSH_CONFIG: case OPT_REMOTE_LOADGEN:
        return opts_hosts_arg(o, opt_name(opt), arg, err, errlen);
    case OPT_WORKLOAD: return workload_arg(o, arg, err, errlen);
    case OPT_WORKERS: return int_arg("workers", arg, 1, 1024, &o->workers, err, errlen);
    case OPT_QUICK: o->quick = true; return 0;
    case OPT_OUT: o->out = arg; return 0;
    case OPT_CSV: o->csv = true; return 0;
    case OPT_HELP: o->cmd = CMD_HELP; return 0;
    }
    return plugin_arg(o, opt_name(opt), arg, err, errlen);
}

static void save_command_line(struct opts *o, int argc, char **argv)
{
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof o->command_line; i++) {
        int w = snprintf(o->command_line + n, sizeof o->command_line - n, "%s%s",
                         i ? " " : "", argv[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

int opts_parse(struct opts *o, int argc, char **argv, char *err, size_t errlen)
{
    set_defaults(o);
    save_command_line(o, argc, argv);
    build_options();
    o->workload = workloads_get(0);
    if (!o->workload) {
        snprintf(err, errlen, "no workloads registered (workloads_register)");
        return -1;
    }
    if (argc < 2) {
        snprintf(err, errlen, "no command (list, verify, run, report, compare; harness "
                 "--help)");
        return -1;
    }
    if (parse_command(o, argv[1], err, errlen))
        return -1;
    if (o->cmd == CMD_COMPARE)
        o->out = NULL; /* compare.html goes beside RUN_B unless --out says */
    optind = 2;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":", all_opts, NULL)) != -1) {
        if (opt == '?' || opt == ':') {
            snprintf(err, errlen, "%s option '%s' (harness --help)",
                     opt == '?' ? "unknown" : "missing value for", argv[optind - 1]);
            return -1;
        }
        if (check_allowed(o, opt, err, errlen) || parse_one(o, opt, optarg, err, errlen))
            return -1;
    }
    if (o->cmd == CMD_REPORT && optind < argc)
        o->report_dir = argv[optind++];
    for (; o->cmd == CMD_COMPARE && optind < argc && !o->compare_b; optind++)
        *(o->compare_a ? &o->compare_b : &o->compare_a) = argv[optind];
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (o->cmd == CMD_REPORT && !o->report_dir) {
        snprintf(err, errlen, "report needs a run directory: harness report DIR");
        return -1;
    }
    if (o->cmd == CMD_COMPARE && !o->compare_b) {
        snprintf(err, errlen, "compare needs two run directories: harness compare RUN_A RUN_B");
        return -1;
    }
    /* verify starts what a workload needs only for the database's (finish). */
    if (o->cmd == CMD_VERIFY && o->workload != workloads_get(0) && !o->workload->finish) {
        snprintf(err, errlen, "'verify' takes --workload db or queries only (not %s)",
                 o->workload->name);
        return -1;
    }
    if (opts_hosts_check(o, err, errlen) || workload_check(o, err, errlen))
        return -1;
    finish_defaults(o);
    return 0;
}
