/* The open-loop steps' decisions (run/step_rules.h, run/search.h) on
 * recorded inputs: the rows of a real --quick run (recorded/: main's
 * harness, `harness run --quick --models epoll,select,uring` on 2 cores,
 * its results.csv and meta.txt) replayed through the search and the msr
 * verdict must give back the rates it measured, where it stopped, and the
 * msr rows it wrote (three searches that ended at loadgen's limit, one at
 * the server's); and the rules that call a failed step the generator's
 * limit, the machine's interference or its noise, on rows shaped like a
 * recorded run's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options/opts.h"
#include "results/csv.h"
#include "run/search.h"
#include "run/step_rules.h"

#define FIXTURE C10K_SOURCE_ROOT "/tests/harness/run/recorded/results.csv"

static struct row *rows;
static size_t n_rows;

static int load_fixture(void **state)
{
    char err[256];
    (void)state;
    return csv_read(FIXTURE, &rows, &n_rows, err, sizeof err);
}

static int free_fixture(void **state)
{
    (void)state;
    free(rows);
    return 0;
}

static bool is_open_step(const struct row *r, enum row_step step)
{
    return r->kind == ROW_KIND_LOAD && r->mode == ROW_MODE_OPEN && r->step == step;
}

/* One model's round g[0..n): the search from its start (equal-load steps
 * first unless they came after the msr row: the calibration server's first
 * round), each next rate the one measured, the end where it ended, and the
 * msr row rebuilt from the rows as rates.c builds it. */
static void replay_round(const struct row *g, int n)
{
    int msr = -1, first_open = n;
    for (int i = 0; i < n; i++) {
        if (g[i].kind == ROW_KIND_MSR)
            msr = i;
        if (g[i].mode == ROW_MODE_OPEN && first_open == n)
            first_open = i;
    }
    if (msr < 0 || g[msr].status != ROW_STATUS_OK)
        return; /* skipped or not measured: no search */
    struct search se;
    search_init(&se, step_search_start(g, first_open), OPTS_QUICK_SEARCH_PRECISION);
    for (int i = 0; i < msr; i++)
        if (is_open_step(&g[i], ROW_STEP_EQUAL))
            search_record(&se, g[i].offered_rps, row_sustained(&g[i]),
                          step_generator_limited(&g[i]));
    for (int i = 0; i < msr; i++) {
        if (!is_open_step(&g[i], ROW_STEP_SEARCH))
            continue;
        double next = search_next(&se);
        if (fabs(next - g[i].offered_rps) > 0.5 + 1e-5 * next)
            fail_msg("%s round %.0f: search asked for %.1f, the run measured %.1f",
                     g[i].model, g[i].round, next, g[i].offered_rps);
        /* the rate asked for: results.csv keeps one decimal of it */
        search_record(&se, next, row_sustained(&g[i]), step_generator_limited(&g[i]));
    }
    if (search_next(&se) != 0)
        fail_msg("%s round %.0f: the search goes on at %.1f; the run stopped", g[0].model,
                 g[0].round, search_next(&se));
    struct row m;
    row_init(&m);
    step_msr_row(&m, &se, step_sustained_at(g, msr, g[0].model, se.lo),
                 step_noisy_bound(g, msr, g[0].model, se.hi));
    if (fabs(m.offered_rps - g[msr].offered_rps) > 0.5 || m.flags.set != g[msr].flags.set ||
        strcmp(m.note, g[msr].note))
        fail_msg("%s round %.0f: msr %.1f \"%s\", the run wrote %.1f \"%s\"", g[0].model,
                 g[0].round, m.offered_rps, m.note, g[msr].offered_rps, g[msr].note);
}

static void replays_the_recorded_searches(void **state)
{
    (void)state;
    int rounds = 0;
    for (size_t i = 0; i < n_rows;) {
        size_t j = i;
        while (j < n_rows && strcmp(rows[j].model, rows[i].model) == 0 &&
               rows[j].round == rows[i].round)
            j++;
        replay_round(&rows[i], (int)(j - i));
        rounds++;
        i = j;
    }
    assert_int_equal(rounds, 4); /* calibration, epoll, select, uring; one round */
}

static struct row step(double offered, double achieved, double p99_us, double cli_pct)
{
    struct row r;
    row_init(&r);
    r.mode = ROW_MODE_OPEN;
    r.status = ROW_STATUS_OK;
    r.threads = 1;
    r.offered_rps = offered;
    r.achieved_rps = achieved;
    r.requests = achieved;
    r.lat_p99_us = p99_us;
    r.cli_cpu_pct = cli_pct;
    r.err_connect = r.err_read = r.err_write = r.err_status = r.err_timeout = 0;
    return r;
}

/* epoll round 0 at 29.3k: client-bound and slo-missed, loadgen at 66%:
 * late, not busy, so the failure is measured once more, and it is not the
 * generator's limit; at 95% CPU it would be; with steal it is noise. */
static void what_a_failed_step_means(void **state)
{
    (void)state;
    struct row r = step(29255.7, 30094, 28901, 65.9);
    row_flag(&r, ROW_FLAG_CLIENT_BOUND);
    row_flag(&r, ROW_FLAG_SLO_MISSED);
    assert_false(row_sustained(&r));
    assert_false(step_generator_limited(&r));
    assert_true(step_late_failure(&r));
    assert_false(step_noisy_failure(&r));
    row_flag(&r, ROW_FLAG_STEAL);
    assert_true(step_noisy_failure(&r));
    r.cli_cpu_pct = 95;
    assert_true(step_generator_limited(&r));
    assert_false(step_late_failure(&r)); /* the generator's limit: not retried */
    struct row ok = step(14627.8, 14630, 1757, 55.8);
    assert_true(row_sustained(&ok));
    assert_false(step_late_failure(&ok));
}

/* The msr verdict: a search that ended at loadgen's limit or in the
 * machine's noise is a lower bound; one that sustained nothing says so. */
static void the_msr_verdict(void **state)
{
    (void)state;
    struct search se = {.lo = 14627.8, .hi = 29255.7, .limited = true};
    struct row m, noise = step(29255.7, 25000, 90000, 40);
    noise.steal_pct = 7.4;
    row_init(&m);
    step_msr_row(&m, &se, NULL, NULL);
    assert_true(row_has_flag(&m, ROW_FLAG_LOWER_BOUND) &&
                row_has_flag(&m, ROW_FLAG_CLIENT_BOUND));
    assert_string_equal(m.note, "sustained 14.6k req/s, not 29.3k req/s; the search "
                                "stopped at loadgen's own limit: the server may sustain more");
    se.limited = false;
    row_init(&m);
    step_msr_row(&m, &se, NULL, &noise);
    assert_true(row_has_flag(&m, ROW_FLAG_LOWER_BOUND) && row_has_flag(&m, ROW_FLAG_NOISY));
    assert_non_null(strstr(m.note, "steal 7% and other processes 0% of the CPUs"));
    se.lo = 0;
    se.hi = 50;
    row_init(&m);
    step_msr_row(&m, &se, NULL, &noise);
    assert_true(row_has_flag(&m, ROW_FLAG_NONE_SUSTAINED));
    assert_false(row_has_flag(&m, ROW_FLAG_LOWER_BOUND));
    assert_string_equal(m.note, "no rate down to 50 req/s was sustained");
    assert_true(m.offered_rps == 0 && m.kind == ROW_KIND_MSR && m.mode == ROW_MODE_OPEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replays_the_recorded_searches),
        cmocka_unit_test(what_a_failed_step_means),
        cmocka_unit_test(the_msr_verdict),
    };
    return cmocka_run_group_tests(tests, load_fixture, free_fixture);
}
