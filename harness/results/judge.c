/* Two figures differ when their rounds do not overlap (see judge.h). */
#include "results/judge.h"

#include <string.h>

enum judge judge_rounds(const struct judge_figure *a, const struct judge_figure *b)
{
    if (a->rounds < 2 || b->rounds < 2)
        return JUDGE_ONE_ROUND;
    if (a->lo > b->hi)
        return JUDGE_HIGHER;
    if (a->hi < b->lo)
        return JUDGE_LOWER;
    return JUDGE_OVERLAP;
}

static struct judge_figure figure(const struct stats_point *p, double med, double lo,
                                  double hi)
{
    struct judge_figure f = {-1, -1, -1, 0};
    if (!p || p->ok_rounds == 0 || med < 0)
        return f;
    f.med = med;
    f.lo = lo >= 0 ? lo : med;
    f.hi = hi >= 0 ? hi : med;
    f.rounds = p->ok_rounds;
    return f;
}

struct judge_figure judge_rps(const struct stats_point *p)
{
    return p ? figure(p, p->med.req_per_s, p->rps_min, p->rps_max) : figure(p, -1, -1, -1);
}

/* req/CPU-s = 10^6 / (server CPU µs per request), round by round, so its
 * range is the inverse of the CPU range. */
struct judge_figure judge_eff(const struct stats_point *p)
{
    if (!p)
        return figure(p, -1, -1, -1);
    return figure(p, p->med.req_per_cpu_s, p->cpu_max > 0 ? 1e6 / p->cpu_max : -1,
                  p->cpu_min > 0 ? 1e6 / p->cpu_min : -1);
}

struct judge_figure judge_cpu(const struct stats_point *p)
{
    return p ? figure(p, p->med.srv_cpu_us_per_req, p->cpu_min, p->cpu_max)
             : figure(p, -1, -1, -1);
}

struct judge_figure judge_p99(const struct stats_point *p)
{
    if (!p)
        return figure(p, -1, -1, -1);
    return figure(p, p->med.lat_p99_us < 0 ? -1 : p->med.lat_p99_us / 1000,
                  p->p99_min < 0 ? -1 : p->p99_min / 1000,
                  p->p99_max < 0 ? -1 : p->p99_max / 1000);
}

struct judge_figure judge_cheap_p99(const struct stats_point *p)
{
    if (!p || p->med.cheap_p99_us < 0)
        return figure(NULL, -1, -1, -1);
    return figure(p, p->med.cheap_p99_us / 1000, p->cheap_min / 1000, p->cheap_max / 1000);
}

struct judge_figure judge_msr(const struct stats_point *p)
{
    if (!p || p->med.kind != ROW_KIND_MSR)
        return figure(NULL, -1, -1, -1);
    return figure(p, p->med.offered_rps, p->rps_min, p->rps_max);
}
