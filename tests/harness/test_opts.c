/* The command line: defaults, --quick, explicit values, and the errors
 * that must stop the harness before any work. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "opts.h"

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
    int want[] = {1, 4, 16, 64, 256, 1024, 4096, 10000};
    assert_int_equal(o.n_conns, 8);
    assert_memory_equal(o.conns, want, sizeof want);
    assert_int_equal(o.duration_s, OPTS_DEFAULT_DURATION_S);
    assert_int_equal(o.warmup_s, OPTS_DEFAULT_WARMUP_S);
    assert_int_equal(o.repeat, 1);
    assert_int_equal(o.pipeline, 1);
    assert_int_equal(o.memory_idle, OPTS_DEFAULT_MEMORY_IDLE);
    assert_string_equal(o.path, "/bench/16k.html");
    assert_true(CPU_COUNT(&o.server_cpus) >= 1 && CPU_COUNT(&o.client_cpus) >= 1);
    assert_int_equal(o.threads, CPU_COUNT(&o.client_cpus));
}

static void quick_sets_only_what_was_not_given(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--quick"), 0);
    assert_int_equal(o.n_conns, 2);
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
    assert_int_equal(PARSE("--help"), 0);
    assert_int_equal(o.cmd, CMD_HELP);
    assert_int_equal(PARSE("run", "--help"), 0);
    assert_int_equal(o.cmd, CMD_HELP);
}

static void bad_command_lines_say_why(void **state)
{
    (void)state;
    static const struct { char *argv[6]; const char *says; } cases[] = {
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
        {{"harness", "run", "extra", NULL}, "unexpected argument 'extra'"},
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
        cmocka_unit_test(quick_sets_only_what_was_not_given),
        cmocka_unit_test(explicit_values),
        cmocka_unit_test(idle_sweep_drops_the_memory_row),
        cmocka_unit_test(commands),
        cmocka_unit_test(bad_command_lines_say_why),
        cmocka_unit_test(lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
