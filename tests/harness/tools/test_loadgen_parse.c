/* loadgen's last line (harness/README.md, section loadgen), as the harness
 * reads it: every key, broken lines refused, the line found after other
 * output (the --histograms lines come before it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/loadgen.h"

#define LINE "mode=open offered_rps=20000.0 achieved_rps=19987.3 duration_s=3.000 " \
             "conns=256 threads=1 pipeline=1 sent=59970 completed=59962 backlog=3 " \
             "errors=15 err_connect=1 err_read=2 err_write=3 err_status=4 " \
             "err_timeout=5 err_parse=0 reconnects=7 bytes=982000000 mean_us=412.3 " \
             "p50_us=310 p90_us=620 p99_us=1830 p999_us=4100 p9999_us=8800 " \
             "max_us=9100 p50_uncorrected_us=300 p99_uncorrected_us=1500 " \
             "max_uncorrected_us=8000 lag_p50_us=8 lag_p99_us=120 lag_max_us=900 " \
             "client_cpu_s=1.234 client_cpu_pct=41.1 warmup_completed=9000 " \
             "class0_completed=56962 class0_p99_us=1200 class1_completed=3000 " \
             "class1_p99_us=9800"

static void parses_every_field(void **state)
{
    (void)state;
    struct lg_result r;
    assert_int_equal(loadgen_parse_line(LINE, &r), 0);
    assert_true(r.offered_rps == 20000.0);
    assert_true(r.achieved_rps > 19987.2 && r.achieved_rps < 19987.4);
    assert_true(r.duration_s == 3.0);
    assert_int_equal(r.sent, 59970);
    assert_int_equal(r.completed, 59962);
    assert_int_equal(r.backlog, 3);
    assert_int_equal(r.errors, 15);
    assert_int_equal(r.err_connect, 1);
    assert_int_equal(r.err_read, 2);
    assert_int_equal(r.err_write, 3);
    assert_int_equal(r.err_status, 4);
    assert_int_equal(r.err_timeout, 5);
    assert_int_equal(r.reconnects, 7);
    assert_int_equal(r.bytes, 982000000);
    assert_int_equal(r.p50_us, 310);
    assert_int_equal(r.p99_us, 1830);
    assert_int_equal(r.p9999_us, 8800);
    assert_int_equal(r.max_us, 9100);
    assert_int_equal(r.p99_uncorrected_us, 1500);
    assert_int_equal(r.lag_p99_us, 120);
    assert_true(r.client_cpu_s > 1.233 && r.client_cpu_s < 1.235);
    assert_true(r.client_cpu_pct > 41.0 && r.client_cpu_pct < 41.2);
    assert_int_equal(r.warmup_completed, 9000);
    assert_int_equal(r.class0_completed, 56962);
    assert_int_equal(r.class0_p99_us, 1200);
    assert_int_equal(r.class1_completed, 3000);
    assert_int_equal(r.class1_p99_us, 9800);
}

static void rejects_broken_lines(void **state)
{
    (void)state;
    struct lg_result r;
    static const char *bad[] = {
        "",
        "c10k-wrk: duration_us=1",
        "mode=open offered_rps=1 achieved_rps=1",          /* keys missing */
        "offered_rps=20000.0 " LINE,                        /* not first */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(loadgen_parse_line(bad[i], &r), -1);
}

static void finds_the_last_line(void **state)
{
    (void)state;
    struct lg_result r;
    const char *out = "hist name=corrected unit=ns count=3 b=1:3\n"
                      "mode=open broken\n" LINE "\n";
    assert_int_equal(loadgen_parse_output(out, &r), 0);
    assert_int_equal(r.completed, 59962);
    assert_int_equal(loadgen_parse_output("no line here\n", &r), -1);
}

/* What loadgen prints (lg_result_print) the harness reads back, key for
 * key: the one table of lg_result.def on both sides. */
static void reads_what_loadgen_prints(void **state)
{
    (void)state;
    struct lg_result out = {.offered_rps = 2500, .achieved_rps = 2499.5,
                            .duration_s = 1.25, .conns = 64, .sent = 3125,
                            .completed = 3124, .err_parse = 2, .mean_us = 81.5,
                            .p9999_us = 900, .lag_max_us = 12, .client_cpu_pct = 41.5,
                            .warmup_completed = 77, .class1_p99_us = 5}, in;
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    snprintf(out.mode, sizeof out.mode, "open");
    assert_int_equal(lg_result_print(f, &out), 0);
    fclose(f);
    assert_int_equal(strncmp(line, "mode=open offered_rps=2500.0 achieved_rps=2499.5 "
                                   "duration_s=1.250 conns=64 ", 63), 0);
    assert_int_equal(loadgen_parse_output(line, &in), 0);
    assert_memory_equal(&in, &out, sizeof in);
    char *cut = strstr(line, " class1_p99_us=");
    *cut = '\n';
    cut[1] = '\0';
    assert_int_equal(loadgen_parse_line(line, &in), -1); /* a key missing */
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_field),
        cmocka_unit_test(rejects_broken_lines),
        cmocka_unit_test(finds_the_last_line),
        cmocka_unit_test(reads_what_loadgen_prints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
