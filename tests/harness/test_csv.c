/* results.csv: header, quoting, empty numbers, and a round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"

static char *write_to_string(const struct row *rows, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(csv_write_header(f), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(csv_write_row(f, &rows[i]), 0);
    fclose(f);
    return buf;
}

static void header_lists_the_documented_columns(void **state)
{
    (void)state;
    struct row r;
    row_init(&r);
    char *text = write_to_string(&r, 0);
    assert_string_equal(text,
        "model,category,workload,round,kind,mode,step,host,conns,idle,idle_open,threads,"
        "pipeline,"
        "duration_s,requests,warmup_requests,req_per_s,offered_rps,achieved_rps,bytes_per_s,"
        "lat_mean_us,lat_stdev_us,lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,"
        "lat_p9999_us,lat_max_us,lat_p99_uncorrected_us,lag_p99_us,err_connect,"
        "err_read,err_write,err_status,err_timeout,backlog,reconnects,srv_user_s,"
        "srv_sys_s,srv_cpu_pct,cli_cpu_pct,req_per_cpu_s,srv_cpu_us_per_req,"
        "cli_cpu_us_per_req,peak_rss_kb,tasks,srv_responses,srv_refused,"
        "mem_per_idle_b,steal_pct,other_pct,disk_read_bytes,disk_read_ops,flags,status,"
        "note\n");
    free(text);
}

static void unmeasured_numbers_are_empty(void **state)
{
    (void)state;
    struct row r;
    row_init(&r);
    snprintf(r.model, sizeof r.model, "nginx");
    snprintf(r.category, sizeof r.category, "reference");
    r.conns = 256;
    char *text = write_to_string(&r, 1);
    const char *line = strchr(text, '\n') + 1;
    /* 55 columns: 7 filled, the other numbers and flags empty, status, note. */
    assert_string_equal(line, "nginx,reference,,,load,closed,,,256,,,,,,,,,,,,,,,,,,,,,,"
                              ",,,,,,,,,,,,,,,,,,,,,,,,ok,\n");
    free(text);
}

static void notes_are_quoted(void **state)
{
    (void)state;
    char line[] = "a,\"b, \"\"quoted\"\"\nnext\",,c";
    char *f[8];
    assert_int_equal(csv_split(line, f, 8), 4);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b, \"quoted\"\nnext");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "c");
}

static void rows_survive_a_round_trip(void **state)
{
    (void)state;
    struct row in[2], *out;
    size_t n;
    char path[] = "/tmp/c10k-test-csv-XXXXXX", err[256];
    row_init(&in[0]);
    row_init(&in[1]);
    snprintf(in[0].model, sizeof in[0].model, "epoll");
    snprintf(in[0].category, sizeof in[0].category, "event-driven");
    in[0].conns = 1024;
    in[0].req_per_s = 12345.6;
    in[0].lat_p99_us = 4200;
    in[0].srv_refused = 0;
    row_flag(&in[0], "client-bound");
    row_flag(&in[0], "noisy");
    row_flag(&in[0], "client-bound"); /* once only */
    row_note(&in[0], "server said \"hi\", twice");
    row_note(&in[0], "line two");
    snprintf(in[1].model, sizeof in[1].model, "select");
    snprintf(in[1].status, sizeof in[1].status, "crashed");
    in[1].conns = 4096;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(csv_write_header(f), 0);
    assert_int_equal(csv_write_row(f, &in[0]), 0);
    assert_int_equal(csv_write_row(f, &in[1]), 0);
    fclose(f);
    assert_int_equal(csv_read(path, &out, &n, err, sizeof err), 0);
    unlink(path);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].model, "epoll");
    assert_string_equal(out[0].category, "event-driven");
    assert_true(out[0].conns == 1024);
    assert_true(out[0].req_per_s > 12345.5 && out[0].req_per_s < 12345.7);
    assert_true(out[0].lat_p99_us == 4200);
    assert_true(out[0].srv_refused == 0);
    assert_true(out[0].srv_responses == -1);
    assert_string_equal(out[0].flags, "client-bound;noisy");
    assert_true(row_has_flag(&out[0], "noisy"));
    assert_false(row_has_flag(&out[0], "client"));
    assert_string_equal(out[0].note, "server said \"hi\", twice; line two");
    assert_string_equal(out[1].status, "crashed");
    assert_true(out[1].conns == 4096);
    free(out);
}

static void error_sum_skips_unmeasured(void **state)
{
    (void)state;
    struct row r;
    row_init(&r);
    assert_true(row_errors(&r) == 0);
    r.err_read = 3;
    r.err_timeout = 4;
    assert_true(row_errors(&r) == 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_lists_the_documented_columns),
        cmocka_unit_test(unmeasured_numbers_are_empty),
        cmocka_unit_test(notes_are_quoted),
        cmocka_unit_test(rows_survive_a_round_trip),
        cmocka_unit_test(error_sum_skips_unmeasured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
