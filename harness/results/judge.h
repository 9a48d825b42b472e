/* Whether two measured figures differ: the rule the verdict and harness
 * compare share. A figure is a median with the range of its rounds; two
 * figures differ only when the ranges do not overlap (hyperfine and
 * criterion answer "within noise" the same way). With one round there is
 * no range: judge_rounds says so instead of guessing.
 *
 *   struct judge_figure a = {.med = 50e3, .lo = 48e3, .hi = 52e3, .rounds = 3};
 *   if (judge_rounds(&a, &b) == JUDGE_HIGHER) ...   // a above b, beyond noise
 */
#ifndef HARNESS_JUDGE_H
#define HARNESS_JUDGE_H

#include "results/stats.h"

struct judge_figure {
    double med, lo, hi;      /* median and range over the ok rounds; -1 unknown */
    int rounds;              /* ok rounds behind it */
};

enum judge {
    JUDGE_ONE_ROUND,         /* a side has fewer than 2 rounds: no judgement */
    JUDGE_OVERLAP,           /* the ranges overlap: within noise, a tie */
    JUDGE_HIGHER,            /* a's lowest round is above b's highest */
    JUDGE_LOWER,
};

enum judge judge_rounds(const struct judge_figure *a, const struct judge_figure *b);

/* Figures of a point (-1 everywhere when it has no ok round): req/s;
 * requests per server CPU-second (the range from the rounds' CPU per
 * request); server CPU µs per request; p99 in ms (range from the rounds'
 * p99); for an msr point, the sustainable rate. */
struct judge_figure judge_rps(const struct stats_point *p);
struct judge_figure judge_eff(const struct stats_point *p);
struct judge_figure judge_cpu(const struct stats_point *p);
struct judge_figure judge_p99(const struct stats_point *p);
struct judge_figure judge_msr(const struct stats_point *p);
/* The mixed workload's cheap-class p99 in ms (range from the rounds'). */
struct judge_figure judge_cheap_p99(const struct stats_point *p);

#endif
