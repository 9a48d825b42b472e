/* The command line: defaults, --quick, explicit values, and the errors
 * that must stop the harness before any work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "options/opts.h"
#include "workloads/workloads.h"

#define ARGV(...) ((char *[]){"harness", __VA_ARGS__, NULL})
#define ARGC(v) ((int)(sizeof(v) / sizeof(v[0])) - 1)

static struct opts o;
static char err[512];

static int parse(int argc, char **argv)
{
    err[0] = '\0';
    return opts_parse(&o, argc, argv, err, sizeof err);
}

#define PARSE(...) parse(ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__))

static void run_defaults(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run"), 0);
    assert_int_equal(o.cmd, CMD_RUN);
    assert_string_equal(o.models, "all");
    int want[] = {1, 16, 256, 1024, 4096, 10000};
    assert_int_equal(o.n_conns, 6);
    assert_memory_equal(o.conns, want, sizeof want);
    assert_int_equal(o.duration_s, OPTS_DEFAULT_DURATION_S);
    assert_int_equal(o.warmup_s, OPTS_DEFAULT_WARMUP_S);
    assert_int_equal(o.repeat, 1);
    assert_int_equal(o.pipeline, 1);
    assert_int_equal(o.memory_idle, OPTS_DEFAULT_MEMORY_IDLE);
    assert_string_equal(o.path, "/bench/16k.html");
    assert_true(CPU_COUNT(&o.server_cpus) >= 1 && CPU_COUNT(&o.client_cpus) >= 1);
    assert_int_equal(o.threads, CPU_COUNT(&o.client_cpus));
    /* The open loop is part of a default run. */
    assert_int_equal(o.rates_mode, RATES_AUTO);
    assert_int_equal(o.n_equal, 2);
    assert_true(o.equal[0].pct && o.equal[0].value == 25);
    assert_true(o.equal[1].pct && o.equal[1].value == 50);
    assert_true(o.slo_p99_ms == OPTS_DEFAULT_SLO_P99_MS);
    assert_int_equal(o.rate_conns, OPTS_DEFAULT_RATE_CONNS);
    assert_true(o.rate_duration_s == OPTS_DEFAULT_RATE_DURATION_S);
    assert_true(o.rate_warmup_s == OPTS_RATE_WARMUP_S);
}

static void quick_sets_only_what_was_not_given(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--quick"), 0);
    assert_int_equal(o.n_conns, 1);
    assert_true(o.rate_duration_s == OPTS_QUICK_RATE_DURATION_S);
    assert_true(o.rate_warmup_s == OPTS_QUICK_RATE_WARMUP_S);
    assert_true(o.search_precision == OPTS_QUICK_SEARCH_PRECISION);
    assert_int_equal(o.duration_s, OPTS_QUICK_DURATION_S);
    assert_int_equal(o.warmup_s, OPTS_QUICK_WARMUP_S);
    assert_int_equal(o.memory_idle, OPTS_QUICK_MEMORY_IDLE);
    assert_int_equal(PARSE("run", "--duration", "5", "--quick", "--conns", "8"), 0);
    assert_int_equal(o.duration_s, 5);
    assert_int_equal(o.n_conns, 1);
    assert_int_equal(o.conns[0], 8);
}

static void explicit_values(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--models", "epoll,nginx", "--conns", "1,64",
                           "--repeat", "3", "--path", "/bench/1k.html", "--pipeline",
                           "8", "--server-cpus", "0", "--client-cpus", "0",
                           "--threads", "2", "--out", "/tmp/x", "--warmup", "0"), 0);
    assert_string_equal(o.models, "epoll,nginx");
    assert_int_equal(o.n_conns, 2);
    assert_int_equal(o.conns[1], 64);
    assert_int_equal(o.repeat, 3);
    assert_int_equal(o.pipeline, 8);
    assert_int_equal(o.threads, 2);
    assert_int_equal(o.warmup_s, 0);
    assert_string_equal(o.path, "/bench/1k.html");
    assert_string_equal(o.out, "/tmp/x");
    assert_string_equal(o.server_cpus_text, "0");
    assert_true(CPU_ISSET(0, &o.server_cpus));
}

static void idle_sweep_drops_the_memory_row(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--idle", "0,1000,5000,9000", "--conns", "64"), 0);
    assert_int_equal(o.n_idle, 4);
    assert_int_equal(o.idle[3], 9000);
    assert_int_equal(o.memory_idle, 0);
    assert_int_equal(o.rates_mode, RATES_NONE); /* unless asked for */
    assert_int_equal(PARSE("run", "--idle", "0,1000", "--rates", "auto"), 0);
    assert_int_equal(o.rates_mode, RATES_AUTO);
}

static void open_loop_options(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--rates", "1000,2.5k,40000", "--slo-p99", "2.5",
                           "--rate-conns", "64", "--rate-duration", "1.5",
                           "--equal-load", "5k,10000", "--conns", "none"), 0);
    assert_int_equal(o.rates_mode, RATES_LIST);
    assert_int_equal(o.n_rates, 3);
    assert_true(o.rates[1] == 2500 && o.rates[2] == 40000);
    assert_true(o.slo_p99_ms == 2.5);
    assert_int_equal(o.rate_conns, 64);
    assert_true(o.rate_duration_s == 1.5);
    assert_int_equal(o.n_equal, 2);
    assert_true(!o.equal[0].pct && o.equal[0].value == 5000);
    assert_int_equal(o.n_conns, 0);
    assert_int_equal(PARSE("run", "--rates", "none"), 0);
    assert_int_equal(o.rates_mode, RATES_NONE);
    struct opts_load l[4];
    assert_int_equal(opts_parse_loads("10%,2k,33.5%", l, 4), 3);
    assert_true(l[2].pct && l[2].value == 33.5 && !l[1].pct && l[1].value == 2000);
    assert_int_equal(opts_parse_loads("10%%", l, 4), -1);
    double r[4];
    assert_int_equal(opts_parse_rates("1,2,3,4,5", r, 4), -1);
    assert_int_equal(opts_parse_rates("0", r, 4), -1);
}

static void load_hosts_take_every_cpu_here(void **state)
{
    (void)state;
    cpu_set_t all;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    assert_int_equal(PARSE("run", "--load-hosts", "h0,user@h1.example", "--target",
                           "192.0.2.1", "--ssh-config", "/dev/null",
                           "--remote-loadgen", "/opt/loadgen"), 0);
    assert_int_equal(o.n_load_hosts, 2);
    assert_string_equal(o.load_hosts[0], "h0");
    assert_string_equal(o.load_hosts[1], "user@h1.example");
    assert_string_equal(o.target, "192.0.2.1");
    assert_string_equal(o.ssh_config, "/dev/null");
    assert_string_equal(o.remote_loadgen, "/opt/loadgen");
    assert_true(CPU_EQUAL(&o.server_cpus, &all) && CPU_EQUAL(&o.client_cpus, &all));
    /* A split given stays. */
    assert_int_equal(PARSE("run", "--load-hosts", "h0", "--target", "192.0.2.1",
                           "--server-cpus", "0"), 0);
    assert_int_equal(CPU_COUNT(&o.server_cpus), 1);
    assert_true(CPU_EQUAL(&o.client_cpus, &all));
    assert_int_equal(PARSE("run"), 0);
    assert_int_equal(o.n_load_hosts, 0);
    assert_null(o.target);
}

static void commands(void **state)
{
    (void)state;
    assert_int_equal(PARSE("list", "--csv"), 0);
    assert_int_equal(o.cmd, CMD_LIST);
    assert_true(o.csv);
    assert_int_equal(PARSE("verify", "--models", "single"), 0);
    assert_int_equal(o.cmd, CMD_VERIFY);
    assert_int_equal(PARSE("report", "results/latest"), 0);
    assert_string_equal(o.report_dir, "results/latest");
    assert_int_equal(PARSE("compare", "before", "after"), 0);
    assert_int_equal(o.cmd, CMD_COMPARE);
    assert_string_equal(o.compare_a, "before");
    assert_string_equal(o.compare_b, "after");
    assert_null(o.out); /* compare.html beside RUN_B */
    assert_int_equal(PARSE("compare", "--out", "c.html", "before", "after"), 0);
    assert_string_equal(o.out, "c.html");
    assert_int_equal(PARSE("--help"), 0);
    assert_int_equal(o.cmd, CMD_HELP);
    assert_int_equal(PARSE("run", "--help"), 0);
    assert_int_equal(o.cmd, CMD_HELP);
}

static void bad_command_lines_say_why(void **state)
{
    (void)state;
    static const struct { char *argv[8]; const char *says; } cases[] = {
        {{"harness", NULL}, "no command"},
        {{"harness", "bench", NULL}, "unknown command 'bench'"},
        {{"harness", "run", "--bogus", NULL}, "unknown option '--bogus'"},
        {{"harness", "run", "--conns", NULL}, "missing value for"},
        {{"harness", "run", "--conns", "0", NULL}, "--conns 0"},
        {{"harness", "run", "--conns", "1,x", NULL}, "--conns 1,x"},
        {{"harness", "run", "--conns", "200000", NULL}, "--conns 200000"},
        {{"harness", "run", "--duration", "0", NULL}, "--duration 0"},
        {{"harness", "run", "--repeat", "-1", NULL}, "--repeat -1"},
        {{"harness", "run", "--pipeline", "2x", NULL}, "--pipeline 2x"},
        {{"harness", "run", "--path", "bench/16k.html", NULL}, "starting with /"},
        {{"harness", "run", "--server-cpus", "a", NULL}, "CPU list"},
        {{"harness", "run", "--client-cpus", "999", NULL}, "not all of these CPUs"},
        {{"harness", "list", "--conns", "4", NULL}, "'list' does not take --conns"},
        {{"harness", "verify", "--duration", "4", NULL}, "'verify' does not take"},
        {{"harness", "report", NULL}, "report needs a run directory"},
        {{"harness", "compare", "a", NULL}, "compare needs two run directories"},
        {{"harness", "compare", "a", "b", "c", NULL}, "unexpected argument 'c'"},
        {{"harness", "compare", "--conns", "4", "a", NULL}, "'compare' does not take"},
        {{"harness", "run", "extra", NULL}, "unexpected argument 'extra'"},
        {{"harness", "run", "--rates", "fast", NULL}, "--rates fast"},
        {{"harness", "run", "--rates", "0", NULL}, "--rates 0"},
        {{"harness", "run", "--rates", "-5", NULL}, "--rates -5"},
        {{"harness", "run", "--equal-load", "50%,x", NULL}, "--equal-load 50%,x"},
        {{"harness", "run", "--slo-p99", "0", NULL}, "--slo-p99 0"},
        {{"harness", "run", "--rate-conns", "0", NULL}, "--rate-conns 0"},
        {{"harness", "run", "--rate-duration", "abc", NULL}, "--rate-duration abc"},
        {{"harness", "verify", "--rates", "auto", NULL}, "'verify' does not take"},
        {{"harness", "run", "--load-hosts", "h0", NULL}, "--load-hosts needs --target"},
        {{"harness", "run", "--target", "192.0.2.1", NULL}, "--target is only used with"},
        {{"harness", "run", "--ssh-config", "/dev/null", NULL}, "--ssh-config is only"},
        {{"harness", "run", "--load-hosts", "h0,,h1", NULL}, "--load-hosts h0,,h1"},
        {{"harness", "run", "--load-hosts", "-oProxyCommand=x", NULL}, "ssh destinations"},
        {{"harness", "run", "--load-hosts", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", NULL},
         "up to 16"},
        {{"harness", "run", "--target", "::1", NULL}, "--target ::1: expected an IPv4"},
        {{"harness", "run", "--ssh-config", "/nonexistent/c", NULL},
         "--ssh-config /nonexistent/c: No such file"},
        {{"harness", "verify", "--load-hosts", "h0", NULL}, "'verify' does not take"},
        {{"harness", "run", "--workload", "disk", NULL}, "--workload disk: expected"},
        {{"harness", "run", "--fileset-dirs", "4", NULL}, "only used with --workload fileset"},
        {{"harness", "run", "--workload", "fileset", "--fileset-dirs", "0", NULL},
         "--fileset-dirs 0"},
        {{"harness", "run", "--workload", "fileset", "--fileset-dirs", "2.5", NULL},
         "whole number"},
        {{"harness", "run", "--workload", "fileset", "--fileset-cache", "rel", NULL},
         "absolute"},
        {{"harness", "run", "--workload", "fileset", "--cold-memory", "64", NULL},
         "--cold-memory is only used with --workload fileset-cold"},
        {{"harness", "run", "--workload", "fileset-cold", "--cold-memory", "4", NULL},
         "--cold-memory 4"},
        {{"harness", "run", "--workload", "fileset", "--path", "/x", NULL},
         "URL list, not one path"},
        {{"harness", "run", "--slow-rate", "2", NULL}, "only used with --workload slow"},
        {{"harness", "run", "--workload", "slow-clients", "--slow-conns", "0", NULL},
         "--slow-conns 0"},
        {{"harness", "run", "--workers", "0", NULL}, "--workers 0"},
        {{"harness", "verify", "--workload", "fileset", NULL},
         "'verify' takes --workload db or queries only (not fileset)"},
        {{"harness", "verify", "--rates", "1k", NULL}, "'verify' does not take"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = 0;
        while (cases[i].argv[argc])
            argc++;
        assert_int_equal(parse(argc, (char **)cases[i].argv), -1);
        if (!strstr(err, cases[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].says);
    }
}

static void workloads(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run"), 0);
    assert_string_equal(o.workload->name, "file");
    assert_int_equal(o.n_slow, 0);
    assert_int_equal(PARSE("run", "--workload", "fileset-cold"), 0);
    assert_int_equal(o.fileset_dirs, 60);
    assert_true(o.fileset_seed == 1);
    assert_int_equal(o.cold_memory_mb, OPTS_DEFAULT_COLD_MEMORY_MB);
    assert_int_equal(o.n_conns, 6);          /* the usual levels */
    assert_int_equal(o.rates_mode, RATES_AUTO);
    assert_int_equal(PARSE("run", "--workload", "fileset", "--fileset-dirs", "8",
                           "--fileset-seed", "3", "--workers", "6"), 0);
    assert_true(o.fileset_dirs == 8 && o.fileset_seed == 3 && o.workers == 6);
    /* Slow clients: concurrency from the clients, so no closed loop and no
     * rate search unless asked for. */
    assert_int_equal(PARSE("run", "--workload", "slow-clients"), 0);
    int want[] = {1000, 5000, 10000, 20000};
    assert_int_equal(o.n_slow, 4);
    assert_memory_equal(o.slow_conns, want, sizeof want);
    assert_true(o.slow_rate == OPTS_DEFAULT_SLOW_RATE);
    assert_int_equal(o.n_conns, 0);
    assert_int_equal(o.rates_mode, RATES_NONE);
    assert_int_equal(PARSE("run", "--workload", "slow-clients", "--quick"), 0);
    assert_int_equal(o.n_slow, 2);
    assert_int_equal(PARSE("run", "--workload", "slow-clients", "--conns", "64",
                           "--rates", "1000", "--slow-conns", "300", "--slow-rate", "2.5"),
                     0);
    assert_true(o.n_conns == 1 && o.rates_mode == RATES_LIST && o.n_slow == 1 &&
                o.slow_conns[0] == 300 && o.slow_rate == 2.5);
    /* The URL list is not sent to load hosts: refused, with the reason. */
    assert_int_equal(PARSE("run", "--workload", "fileset", "--load-hosts", "h0",
                           "--target", "192.0.2.1"), -1);
    assert_non_null(strstr(err, "not copied to the load hosts"));
}

static void lists(void **state)
{
    (void)state;
    int v[4];
    assert_int_equal(opts_parse_list("1,4,16", v, 4, 1, 100), 3);
    assert_int_equal(v[2], 16);
    assert_int_equal(opts_parse_list("1,2,3,4,5", v, 4, 1, 100), -1);
    assert_int_equal(opts_parse_list("1,,2", v, 4, 1, 100), -1);
    assert_int_equal(opts_parse_list("", v, 4, 1, 100), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_defaults),
        cmocka_unit_test(load_hosts_take_every_cpu_here),
        cmocka_unit_test(quick_sets_only_what_was_not_given),
        cmocka_unit_test(explicit_values),
        cmocka_unit_test(idle_sweep_drops_the_memory_row),
        cmocka_unit_test(open_loop_options),
        cmocka_unit_test(commands),
        cmocka_unit_test(bad_command_lines_say_why),
        cmocka_unit_test(workloads),
        cmocka_unit_test(lists),
    };
    workloads_register(workloads_table);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
