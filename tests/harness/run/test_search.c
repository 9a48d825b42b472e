/* The maximum-sustainable-rate search against simulated servers: a server
 * that sustains everything up to a capacity converges to within the
 * precision below it, in few steps; equal-load steps are used; a failure of
 * the generator itself bounds the search, which bisects below it and says
 * the result is a lower bound unless a lower rate failed on the server;
 * nothing sustained gives 0. Also
 * row_sustained, which decides what a step means. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "results/csv.h"
#include "run/search.h"

/* Runs the search against a server of the given capacity (sustains any
 * rate <= capacity) and a generator that cannot offer more than gen_limit
 * (0: unlimited). Returns the number of steps. */
static int simulate(struct search *s, double capacity, double gen_limit)
{
    int steps = 0;
    for (double r; (r = search_next(s)) > 0; steps++) {
        bool client_bound = gen_limit > 0 && r > gen_limit;
        search_record(s, r, r <= capacity && !client_bound, client_bound);
        assert_true(steps < SEARCH_MAX_STEPS);
    }
    return steps;
}

static void converges_below_capacity(void **state)
{
    (void)state;
    const double caps[] = {60, 900, 12345, 47000, 250000};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        struct search s;
        search_init(&s, 1000, 0.10);
        int steps = simulate(&s, caps[i], 0);
        assert_true(s.lo <= caps[i]);
        assert_true(s.lo * 1.1 >= caps[i]);
        assert_true(s.hi > caps[i]);
        assert_false(s.limited);
        assert_true(steps <= 12);
    }
}

static void equal_load_steps_count(void **state)
{
    (void)state;
    struct search s;
    search_init(&s, 1000, 0.10);
    /* Equal load at 10k and 20k, both sustained: the search doubles from
     * 20k, it does not start again from 1000. */
    search_record(&s, 10000, true, false);
    search_record(&s, 20000, true, false);
    assert_true(search_next(&s) == 40000);
    search_record(&s, 40000, false, false);
    double mid = search_next(&s);
    assert_true(mid > 28000 && mid < 29000); /* geometric middle of 20k, 40k */
}

static void generator_limit_bounds(void **state)
{
    (void)state;
    struct search s;
    search_init(&s, 10000, 0.10);
    /* 10k, 20k, 40k sustained; 80k client-bound: the search bisects
     * between 40k and 80k up to the generator's limit, and says lower bound. */
    simulate(&s, 1e9, 45000);
    assert_true(s.limited);
    assert_true(s.lo <= 45000 && s.lo * 1.1 >= 45000);
    assert_true(s.hi > 45000);
    /* A server that gives out below the generator's limit: the failure at
     * hi is the server's, so the MSR is the server's (not a lower bound). */
    search_init(&s, 10000, 0.10);
    simulate(&s, 50000, 60000);
    assert_false(s.limited);
    assert_true(s.lo <= 50000 && s.lo * 1.1 >= 50000);
}

/* An equal-load step that failed (noise) below one that was sustained:
 * the failure is not the limit, the search doubles on from the higher. */
static void failure_below_a_success(void **state)
{
    (void)state;
    struct search s;
    search_init(&s, 1000, 0.10);
    search_record(&s, 10000, false, true);
    search_record(&s, 20000, true, false);
    assert_true(s.hi == 0 && !s.limited);
    assert_true(search_next(&s) == 40000);
    simulate(&s, 50000, 0);
    assert_true(s.lo <= 50000 && s.lo * 1.1 >= 50000);
}

static void nothing_sustained(void **state)
{
    (void)state;
    struct search s;
    search_init(&s, 1000, 0.10);
    simulate(&s, 10, 0);
    assert_true(s.lo == 0);
    assert_true(s.hi == SEARCH_FLOOR_RPS); /* tried down to the floor */
}

static struct row open_row(double offered, double achieved)
{
    struct row r;
    row_init(&r);
    r.mode = ROW_MODE_OPEN;
    r.offered_rps = offered;
    r.achieved_rps = achieved;
    r.requests = achieved * 2;
    r.err_connect = r.err_read = r.err_write = r.err_status = r.err_timeout = 0;
    return r;
}

static void what_sustained_means(void **state)
{
    (void)state;
    struct row ok = open_row(10000, 9950);
    assert_true(row_sustained(&ok));
    struct row short_of = open_row(10000, 9800);
    assert_false(row_sustained(&short_of));
    struct row slow = open_row(10000, 10000);
    row_flag(&slow, ROW_FLAG_SLO_MISSED);
    assert_false(row_sustained(&slow));
    struct row errs = open_row(10000, 10000);
    errs.err_status = 1;
    assert_false(row_sustained(&errs));
    struct row failed = open_row(10000, 10000);
    failed.status = ROW_STATUS_FAILED;
    assert_false(row_sustained(&failed));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(converges_below_capacity),
        cmocka_unit_test(equal_load_steps_count),
        cmocka_unit_test(generator_limit_bounds),
        cmocka_unit_test(failure_below_a_success),
        cmocka_unit_test(nothing_sustained),
        cmocka_unit_test(what_sustained_means),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
