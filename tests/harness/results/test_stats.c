/* Rounds to points: medians, spread, CV, merged flags, report order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "results/stats.h"

static void median_and_cv(void **state)
{
    (void)state;
    double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2}, one[] = {7};
    assert_true(stats_median(odd, 3) == 2);
    assert_true(stats_median(even, 4) == 2.5);
    assert_true(stats_median(one, 1) == 7);
    assert_true(stats_median(one, 0) == -1);
    double same[] = {100, 100, 100}, spread[] = {90, 100, 110};
    assert_true(stats_cv_pct(same, 3) == 0);
    assert_true(stats_cv_pct(spread, 3) > 9.99 && stats_cv_pct(spread, 3) < 10.01);
    assert_true(stats_cv_pct(spread, 1) == -1);
}

static struct row make(const char *model, const char *category, int round, int conns,
                       double rps, enum row_status status)
{
    struct row r;
    row_init(&r);
    snprintf(r.model, sizeof r.model, "%s", model);
    snprintf(r.category, sizeof r.category, "%s", category);
    r.status = status;
    r.round = round;
    r.conns = conns;
    r.idle = 0;
    r.req_per_s = rps;
    r.requests = rps * 3;
    return r;
}

static void rounds_become_points(void **state)
{
    (void)state;
    struct row rows[] = {
        make("nginx", "reference", 0, 16, 1000, ROW_STATUS_OK),
        make("epoll", "event-driven", 0, 256, 900, ROW_STATUS_OK),
        make("epoll", "event-driven", 0, 16, 500, ROW_STATUS_OK),
        make("epoll", "event-driven", 1, 16, 600, ROW_STATUS_OK),
        make("epoll", "event-driven", 2, 16, 1000, ROW_STATUS_CRASHED),
        make("single", "blocking", 0, 16, 100, ROW_STATUS_OK),
        make("single", "blocking", 1, 16, 101, ROW_STATUS_OK),
    };
    row_flag(&rows[3], ROW_FLAG_NOISY);
    row_note(&rows[4], "server ended during the level");
    struct stats_points p;
    assert_int_equal(stats_points(rows, sizeof rows / sizeof rows[0], &p), 0);
    assert_int_equal(p.n, 4);
    /* blocking, then event-driven (by conns), then the reference. */
    assert_string_equal(p.v[0].med.model, "single");
    assert_string_equal(p.v[1].med.model, "epoll");
    assert_true(p.v[1].med.conns == 16);
    assert_true(p.v[2].med.conns == 256);
    assert_string_equal(p.v[3].med.model, "nginx");
    const struct stats_point *e = stats_find(&p, "epoll", 16);
    assert_non_null(e);
    assert_int_equal(e->rounds, 3);
    assert_int_equal(e->ok_rounds, 2);   /* the crashed round is not in the median */
    assert_true(e->med.req_per_s == 550);
    assert_true(e->rps_min == 500 && e->rps_max == 600);
    assert_int_equal(e->med.status, ROW_STATUS_CRASHED);
    assert_true(row_has_flag(&e->med, ROW_FLAG_NOISY));
    assert_true(row_has_flag(&e->med, ROW_FLAG_HIGH_CV));
    assert_non_null(strstr(e->med.note, "server ended"));
    const struct stats_point *s = stats_find(&p, "single", 16);
    assert_false(row_has_flag(&s->med, ROW_FLAG_HIGH_CV));
    assert_null(stats_find(&p, "single", 256));
    stats_free(&p);
}

static void memory_comes_from_enough_answers(void **state)
{
    (void)state;
    struct row rows[] = {
        make("single", "blocking", 0, 0, 0, ROW_STATUS_OK),
        make("thread", "blocking", 0, 64, 10, ROW_STATUS_OK),
        make("thread", "blocking", 0, 64, 10, ROW_STATUS_OK),
    };
    rows[0].kind = ROW_KIND_MEMORY;
    rows[0].idle = 2000;
    rows[0].idle_open = 1;        /* a blocking server answered one */
    rows[0].mem_per_idle_b = 0;
    rows[1].idle = 1000;
    rows[1].idle_open = 1000;
    rows[1].mem_per_idle_b = 30000;
    rows[2].idle = 5000;
    rows[2].idle_open = 5000;
    rows[2].mem_per_idle_b = 29000;
    struct stats_points p;
    assert_int_equal(stats_points(rows, 3, &p), 0);
    assert_null(stats_memory_point(&p, "single"));
    const struct stats_point *t = stats_memory_point(&p, "thread");
    assert_non_null(t);
    assert_true(t->med.idle == 5000); /* the sweep's largest idle count */
    stats_free(&p);
}

/* With load hosts a point has a merged row (host=all) and a row per host
 * each round: the hosts' rows are points of their own, never rounds of
 * the merged point. */
static void load_hosts_rows_are_their_own_points(void **state)
{
    (void)state;
    struct row rows[6];
    const char *hosts[] = {"all", "h0", "h1"};
    for (int i = 0; i < 6; i++) {
        rows[i] = make("epoll", "event-driven", i / 3, 16, i % 3 ? 500 : 1000, ROW_STATUS_OK);
        snprintf(rows[i].host, sizeof rows[i].host, "%s", hosts[i % 3]);
    }
    struct stats_points p;
    assert_int_equal(stats_points(rows, 6, &p), 0);
    assert_int_equal(p.n, 3);
    for (size_t i = 0; i < p.n; i++) {
        assert_int_equal(p.v[i].rounds, 2);
        bool merged = strcmp(p.v[i].med.host, "all") == 0;
        assert_true(p.v[i].med.req_per_s == (merged ? 1000 : 500));
        assert_int_equal(stats_per_host(&p.v[i].med), !merged);
    }
    stats_free(&p);
    struct row here = make("epoll", "event-driven", 0, 16, 1, ROW_STATUS_OK);
    assert_false(stats_per_host(&here)); /* load from this machine: host "" */
}

/* An open-loop step that crashed in every round is still the point of the
 * rate it was asked for (the report finds it there, "crashed"), not a
 * point at -1 req/s. */
static void crashed_open_step_keeps_its_rate(void **state)
{
    (void)state;
    struct row rows[2];
    for (int i = 0; i < 2; i++) {
        rows[i] = make("fork", "blocking", i, 256, -1, ROW_STATUS_CRASHED);
        rows[i].mode = ROW_MODE_OPEN;
        rows[i].step = ROW_STEP_EQUAL;
        rows[i].offered_rps = 11088.2;
    }
    struct stats_points p;
    assert_int_equal(stats_points(rows, 2, &p), 0);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.v[0].ok_rounds, 0);
    assert_true(p.v[0].med.offered_rps == 11088.2);
    assert_int_equal(p.v[0].med.status, ROW_STATUS_CRASHED);
    stats_free(&p);
}

/* A point's flags are its rounds' in the order first seen (summary.csv
 * lists them so), its status the worst round's. */
static void flags_merge_in_first_seen_order(void **state)
{
    (void)state;
    struct row rows[] = {
        make("epoll", "event-driven", 0, 16, 500, ROW_STATUS_OK),
        make("epoll", "event-driven", 1, 16, 500, ROW_STATUS_SKIPPED),
        make("epoll", "event-driven", 2, 16, 500, ROW_STATUS_FAILED),
    };
    row_flag(&rows[0], ROW_FLAG_UNSUSTAINED);
    row_flag(&rows[0], ROW_FLAG_SLO_MISSED);
    row_flag(&rows[1], ROW_FLAG_CLIENT_BOUND);
    row_flag(&rows[1], ROW_FLAG_SLO_MISSED);
    row_flag(&rows[2], ROW_FLAG_NOISY);
    struct stats_points p;
    assert_int_equal(stats_points(rows, 3, &p), 0);
    assert_int_equal(p.n, 1);
    const struct row *m = &p.v[0].med;
    static const unsigned char order[] = {ROW_FLAG_UNSUSTAINED, ROW_FLAG_SLO_MISSED,
                                          ROW_FLAG_CLIENT_BOUND, ROW_FLAG_NOISY};
    assert_int_equal(m->flags.n, sizeof order);
    assert_memory_equal(m->flags.order, order, sizeof order);
    assert_int_equal(m->status, ROW_STATUS_FAILED);
    stats_free(&p);
}

/* An open-loop step at rate: sustained, or missing the SLO with loadgen
 * cpu_pct busy (one thread). */
static struct row step(int round, double rate, bool sustained, double cpu_pct)
{
    struct row r = make("epoll", "event-driven", round, 256, rate, ROW_STATUS_OK);
    r.mode = ROW_MODE_OPEN;
    r.step = ROW_STEP_SEARCH;
    r.offered_rps = r.achieved_rps = rate;
    r.threads = 1;
    r.cli_cpu_pct = cpu_pct;
    r.err_connect = r.err_read = r.err_write = r.err_status = r.err_timeout = 0;
    if (!sustained) {
        row_flag(&r, ROW_FLAG_SLO_MISSED);
        row_flag(&r, ROW_FLAG_CLIENT_BOUND);
    }
    return r;
}

static void contradictions_are_flagged(void **state)
{
    (void)state;
    struct row rows[6] = {
        step(0, 20000, true, 40), step(0, 10000, false, 30), /* contradicts */
        step(0, 40000, false, 99),                            /* loadgen's limit */
        step(1, 20000, true, 40), step(1, 40000, false, 30),  /* consistent */
        make("epoll", "event-driven", 0, 256, -1, ROW_STATUS_OK),
    };
    rows[5].kind = ROW_KIND_MSR;
    rows[5].mode = ROW_MODE_OPEN;
    rows[5].offered_rps = 20000;
    size_t hi, lo;
    assert_true(stats_contradiction(rows, 6, "epoll", &hi, &lo));
    assert_int_equal(hi, 0);
    assert_int_equal(lo, 1);
    assert_false(stats_contradiction(rows + 2, 3, "epoll", &hi, &lo));
    assert_false(stats_contradiction(rows, 6, "select", &hi, &lo));
    assert_int_equal(stats_mark_inconsistent(rows, 6), 3);
    bool want[6] = {true, true, false, false, false, true};
    for (int i = 0; i < 6; i++)
        assert_int_equal(row_has_flag(&rows[i], ROW_FLAG_INCONSISTENT), want[i]);
    assert_int_equal(stats_mark_inconsistent(rows, 6), 0); /* once */
    /* A lower rate that failed only because loadgen was saturated says
     * nothing about the server. */
    struct row busy[2] = {step(0, 20000, true, 40), step(0, 10000, false, 99)};
    assert_false(stats_contradiction(busy, 2, "epoll", &hi, &lo));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(median_and_cv),
        cmocka_unit_test(rounds_become_points),
        cmocka_unit_test(load_hosts_rows_are_their_own_points),
        cmocka_unit_test(memory_comes_from_enough_answers),
        cmocka_unit_test(flags_merge_in_first_seen_order),
        cmocka_unit_test(crashed_open_step_keeps_its_rate),
        cmocka_unit_test(contradictions_are_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
