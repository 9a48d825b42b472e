/* The flags of a measurement (measure/measure_flags.c) on recorded rows:
 * who was the busy side, a starved level (Little's law), the machine's
 * noise, the server's count against the generator's, and in the open loop
 * a late loadgen, an unsustained rate, a missed SLO. The rows are shaped
 * like tests/report/run-a's (a real --quick run on 2 cores). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "measure/measure_int.h"
#include "workload/workload.h"

static cpu_set_t one_cpu, other_cpu;
static struct measure_cfg cfg = {.slo_p99_ms = 10};

static int setup(void **state)
{
    (void)state;
    CPU_ZERO(&one_cpu);
    CPU_SET(0, &one_cpu);
    CPU_ZERO(&other_cpu);
    CPU_SET(1, &other_cpu);
    cfg.server_cpus = &one_cpu;
    cfg.client_cpus = &other_cpu;
    return 0;
}

static struct row level(double conns, double rps, double mean_us, double srv, double cli)
{
    struct row r;
    row_init(&r);
    r.conns = conns;
    r.threads = 1;
    r.pipeline = 1;
    r.requests = rps;
    r.req_per_s = rps;
    r.lat_mean_us = mean_us;
    r.srv_cpu_pct = srv;
    r.cli_cpu_pct = cli;
    r.err_connect = r.err_read = r.err_write = r.err_status = r.err_timeout = 0;
    r.steal_pct = r.other_pct = 0;
    return r;
}

/* wrk at 99% of its CPU while the server used 52% of its own: client-bound.
 * single at c=256: 5200 req/s with a mean latency of 2 ms has 10 of 256
 * connections in service: starved. */
static void closed_loop_flags(void **state)
{
    (void)state;
    struct row r = level(256, 58511, 4300, 52, 99);
    measure_flag_level(&r, &cfg, 1);
    assert_true(row_has_flag(&r, ROW_FLAG_CLIENT_BOUND));
    assert_false(row_has_flag(&r, ROW_FLAG_STARVED));
    r = level(256, 5200, 2000, 99, 40);
    measure_flag_level(&r, &cfg, 1);
    assert_true(row_has_flag(&r, ROW_FLAG_STARVED));
    assert_false(row_has_flag(&r, ROW_FLAG_CLIENT_BOUND));
    assert_non_null(strstr(r.note, "10.4 of 256 connections"));
    r = level(16, 40000, 380, 98, 60); /* 15.2 of 16 in service, server busy */
    r.steal_pct = 6.2;
    r.err_connect = 3;
    measure_flag_level(&r, &cfg, 1);
    assert_true(row_has_flag(&r, ROW_FLAG_STEAL) && row_has_flag(&r, ROW_FLAG_ERRORS) &&
                row_has_flag(&r, ROW_FLAG_REFUSED));
    assert_false(row_has_flag(&r, ROW_FLAG_STARVED) || row_has_flag(&r, ROW_FLAG_NOISY));
    assert_int_equal(r.flags.order[0], ROW_FLAG_ERRORS); /* in the order raised */
}

/* Open loop, epoll round 0 at 29.3k req/s: achieved more than offered
 * (catching up), p99 28.9 ms over a 10 ms SLO, loadgen late (4.3 ms lag)
 * at 66% CPU: client-bound, slo-missed, not unsustained. */
static void open_loop_flags(void **state)
{
    (void)state;
    struct row r = level(256, 30094, 9000, 70, 65.9);
    struct lg_result g = {.client_cpu_pct = 65.9};
    r.mode = ROW_MODE_OPEN;
    r.offered_rps = 29255.7;
    r.achieved_rps = 30094;
    r.lat_p99_us = 28901;
    r.lag_p99_us = 4276;
    measure_flag_open(&r, &cfg, &g);
    assert_true(row_has_flag(&r, ROW_FLAG_CLIENT_BOUND) && row_has_flag(&r, ROW_FLAG_SLO_MISSED));
    assert_false(row_has_flag(&r, ROW_FLAG_UNSUSTAINED));
    assert_string_equal(r.note, "loadgen at 66% CPU, send lag p99 4276 us");
    r = level(256, 11772, 9000, 99, 27.2); /* fork at 14.6k: fell behind */
    r.mode = ROW_MODE_OPEN;
    r.offered_rps = 14627.8;
    r.achieved_rps = 11772;
    r.lat_p99_us = 235405;
    r.lag_p99_us = 300;
    g.client_cpu_pct = 27.2;
    measure_flag_open(&r, &cfg, &g);
    assert_true(row_has_flag(&r, ROW_FLAG_UNSUSTAINED) && row_has_flag(&r, ROW_FLAG_SLO_MISSED));
    assert_false(row_has_flag(&r, ROW_FLAG_CLIENT_BOUND));
    assert_false(row_sustained(&r));
}

/* queries at q = 20 with D = 2 ms: PostgreSQL is told to wait 40 ms per
 * request, so the SLO is 10 + 40 ms; the db workload (q 0) adds D once,
 * the others nothing. */
static void slo_with_db_wait(void **state)
{
    (void)state;
    struct workload w = {.db_delay_ms = 2, .db_queries = 20};
    struct measure_cfg c = cfg;
    struct lg_result g = {.client_cpu_pct = 10};
    c.wl = &w;
    struct row r = level(256, 200, 45000, 20, 10);
    r.mode = ROW_MODE_OPEN;
    r.offered_rps = r.achieved_rps = 200;
    r.lat_p99_us = 49000;
    r.lag_p99_us = 100;
    measure_flag_open(&r, &c, &g);
    assert_false(row_has_flag(&r, ROW_FLAG_SLO_MISSED));
    r.flags = (struct row_flags){0};
    r.lat_p99_us = 51000;
    measure_flag_open(&r, &c, &g);
    assert_true(row_has_flag(&r, ROW_FLAG_SLO_MISSED));
    w.db_queries = 0; /* db: one query */
    r.flags = (struct row_flags){0};
    r.lat_p99_us = 11500;
    measure_flag_open(&r, &c, &g);
    assert_false(row_has_flag(&r, ROW_FLAG_SLO_MISSED));
    assert_true(workload_db_wait_ms(&w) == 2 && workload_db_wait_ms(NULL) == 0);
    w.db_delay_ms = 0;
    assert_true(workload_db_wait_ms(&w) == 0);
}

/* The server's counters against wrk's: more completed than sent is a
 * mismatch; more sent than can be in flight too; refusals are flagged. */
static void counts(void **state)
{
    (void)state;
    struct snapshot a = {.counters_ok = 1}, b = {.counters_ok = 1};
    struct row r = level(256, 1000, 1000, 50, 50);
    a.counters.requests = 100;
    b.counters.requests = 100 + 1000 + 200; /* 200 in flight at most 256 */
    measure_check_counts(&r, &a, &b, 256, 1);
    assert_true(r.srv_responses == 1200);
    assert_false(row_has_flag(&r, ROW_FLAG_COUNT_MISMATCH));
    b.counters.requests = 100 + 1000 + 300;
    b.counters.refused = 4;
    r = level(256, 1000, 1000, 50, 50);
    measure_check_counts(&r, &a, &b, 256, 1);
    assert_true(row_has_flag(&r, ROW_FLAG_COUNT_MISMATCH) && row_has_flag(&r, ROW_FLAG_REFUSED));
    assert_non_null(strstr(r.note, "300 responses wrk never completed"));
    b.counters.requests = 100 + 900;
    b.counters.refused = 0;
    r = level(256, 1000, 1000, 50, 50);
    measure_check_counts(&r, &a, &b, 256, 1);
    assert_true(row_has_flag(&r, ROW_FLAG_COUNT_MISMATCH));
    assert_non_null(strstr(r.note, "wrk completed 100 responses more than the server sent"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_loop_flags),
        cmocka_unit_test(open_loop_flags),
        cmocka_unit_test(slo_with_db_wait),
        cmocka_unit_test(counts),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
