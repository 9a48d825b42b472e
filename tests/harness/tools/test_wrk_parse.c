/* wrk's report line (bench/report.lua) and the thread count rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tools/wrk.h"

#define LINE "c10k-wrk: duration_us=3001234 requests=45678 bytes=751234567 " \
             "connect=1 read=2 write=3 status=4 timeout=5 mean_us=1234.5 " \
             "stdev_us=67.8 p50_us=1100 p90_us=1900 p99_us=4200 p999_us=9100 " \
             "max_us=15000"

static void parses_every_field(void **state)
{
    (void)state;
    struct wrk_result r;
    assert_int_equal(wrk_parse_line(LINE, &r), 0);
    assert_true(r.duration_s > 3.0012 && r.duration_s < 3.0013);
    assert_int_equal(r.requests, 45678);
    assert_int_equal(r.bytes, 751234567);
    assert_int_equal(r.err_connect, 1);
    assert_int_equal(r.err_read, 2);
    assert_int_equal(r.err_write, 3);
    assert_int_equal(r.err_status, 4);
    assert_int_equal(r.err_timeout, 5);
    assert_true(r.mean_us > 1234.4 && r.mean_us < 1234.6);
    assert_true(r.stdev_us > 67.7 && r.stdev_us < 67.9);
    assert_int_equal(r.p50_us, 1100);
    assert_int_equal(r.p90_us, 1900);
    assert_int_equal(r.p99_us, 4200);
    assert_int_equal(r.p999_us, 9100);
    assert_int_equal(r.max_us, 15000);
}

static void rejects_broken_lines(void **state)
{
    (void)state;
    struct wrk_result r;
    static const char *bad[] = {
        "",
        "Requests/sec: 1234.5",
        "c10k-wrk: requests=1",                                  /* fields missing */
        "c10k-wrk: duration_us=x requests=1 bytes=1 connect=0 read=0 write=0 "
        "status=0 timeout=0 mean_us=1 stdev_us=1 p50_us=1 p90_us=1 p99_us=1 "
        "p999_us=1 max_us=1",                                   /* not a number */
        "c10k-wrk: duration_us=1 requests=-1 bytes=1 connect=0 read=0 write=0 "
        "status=0 timeout=0 mean_us=1 stdev_us=1 p50_us=1 p90_us=1 p99_us=1 "
        "p999_us=1 max_us=1",                                   /* negative */
        "c10k-wrk: duration_us=1 requests=12abc bytes=1 connect=0 read=0 write=0 "
        "status=0 timeout=0 mean_us=1 stdev_us=1 p50_us=1 p90_us=1 p99_us=1 "
        "p999_us=1 max_us=1",                                   /* trailing junk */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(wrk_parse_line(bad[i], &r), -1);
}

static void finds_the_line_after_wrk_text(void **state)
{
    (void)state;
    struct wrk_result r;
    const char *out =
        "Running 3s test @ http://127.0.0.1:1234/bench/16k.html\n"
        "  1 threads and 16 connections\n"
        "  Latency Distribution\n     50%    1.10ms\n"
        "Requests/sec:  15225.67\n" LINE "\n";
    assert_int_equal(wrk_parse_output(out, &r), 0);
    assert_int_equal(r.requests, 45678);
    assert_int_equal(wrk_parse_output("no line here\n", &r), -1);
    /* Only at the start of a line: quoted inside another line it is not ours. */
    assert_int_equal(wrk_parse_output("x " LINE "\n", &r), -1);
}

static void threads_divide_connections(void **state)
{
    (void)state;
    static const struct { int conns, max, want; } cases[] = {
        {1, 1, 1}, {1, 4, 1}, {4, 4, 4}, {16, 2, 2}, {10000, 1, 1},
        {10000, 3, 2}, {10000, 16, 16}, {9, 4, 3}, {7, 4, 1}, {3, 8, 3},
        {1024, 6, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int t = wrk_threads(cases[i].conns, cases[i].max);
        assert_int_equal(t, cases[i].want);
        assert_int_equal(cases[i].conns % t, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_every_field),
        cmocka_unit_test(rejects_broken_lines),
        cmocka_unit_test(finds_the_line_after_wrk_text),
        cmocka_unit_test(threads_divide_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
