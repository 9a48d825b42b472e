/* The rule the verdict and harness compare share: two figures differ only
 * when their rounds do not overlap; with one round there is no judgement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "results/judge.h"

static struct judge_figure fig(double med, double lo, double hi, int rounds)
{
    return (struct judge_figure){med, lo, hi, rounds};
}

static void rounds_decide(void **state)
{
    (void)state;
    struct judge_figure a = fig(100, 95, 105, 3), b = fig(120, 110, 130, 3);
    assert_int_equal(judge_rounds(&b, &a), JUDGE_HIGHER);
    assert_int_equal(judge_rounds(&a, &b), JUDGE_LOWER);
    struct judge_figure touching = fig(112, 105, 118, 3); /* its lowest is a's highest */
    assert_int_equal(judge_rounds(&touching, &a), JUDGE_OVERLAP);
    assert_int_equal(judge_rounds(&a, &a), JUDGE_OVERLAP);
    /* One round on either side: no judgement, however far apart. */
    struct judge_figure once = fig(1000, 1000, 1000, 1);
    assert_int_equal(judge_rounds(&once, &a), JUDGE_ONE_ROUND);
    assert_int_equal(judge_rounds(&a, &once), JUDGE_ONE_ROUND);
}

static struct stats_point point(double rps, double lo, double hi, double cpu_lo,
                                double cpu_hi, int ok)
{
    struct stats_point p;
    memset(&p, 0, sizeof p);
    row_init(&p.med);
    p.med.kind = ROW_KIND_LOAD;
    p.med.req_per_s = rps;
    p.med.req_per_cpu_s = 1e6 / ((cpu_lo + cpu_hi) / 2);
    p.med.srv_cpu_us_per_req = (cpu_lo + cpu_hi) / 2;
    p.med.lat_p99_us = 2000;
    p.rps_min = lo;
    p.rps_max = hi;
    p.cpu_min = cpu_lo;
    p.cpu_max = cpu_hi;
    p.p99_min = 1500;
    p.p99_max = 2500;
    p.ok_rounds = ok;
    p.rounds = ok;
    return p;
}

static void figures_of_a_point(void **state)
{
    (void)state;
    struct stats_point p = point(5000, 4800, 5200, 8, 12, 2);
    struct judge_figure eff = judge_eff(&p);
    /* req/CPU-s is the inverse of CPU per request, round by round. */
    assert_true(eff.lo > 83333 && eff.lo < 83334);
    assert_true(eff.hi == 125000);
    struct judge_figure p99 = judge_p99(&p);
    assert_true(p99.med == 2 && p99.lo == 1.5 && p99.hi == 2.5);
    assert_int_equal(judge_rps(&p).rounds, 2);
    /* No ok round: no figure. */
    p.ok_rounds = 0;
    assert_int_equal(judge_rps(&p).rounds, 0);
    assert_int_equal(judge_rps(NULL).rounds, 0);
    /* judge_msr only for msr points. */
    p.ok_rounds = 2;
    assert_int_equal(judge_msr(&p).rounds, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rounds_decide),
        cmocka_unit_test(figures_of_a_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
