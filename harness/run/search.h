/* The maximum sustainable rate (MSR) of a server: the highest offered rate
 * at which it keeps up (achieved >= 99% of offered) with a corrected p99
 * within the SLO. Found by doubling from what is known, then bisecting
 * (geometrically) between the highest sustained and the lowest failed rate
 * until they are within the precision asked for (e.g. 0.10: hi <= 1.1 lo). Pure: the caller
 * measures, this decides what to measure next.
 *
 *   struct search s;
 *   search_init(&s, 20000, 0.10);         // first rate if nothing is known
 *   search_record(&s, 10000, true, false); // e.g. an equal-load step
 *   for (double r; (r = search_next(&s)) > 0;)
 *       search_record(&s, r, sustained(r), client_bound(r));
 *   // s.lo: the MSR (0: nothing sustained down to SEARCH_FLOOR_RPS);
 *   // s.limited: the failure at s.hi was the load generator's own limit,
 *   // so s.lo is a lower bound.
 *
 * A failed step on which the generator was the busy side (client-bound)
 * says nothing about the server, only that the generator cannot offer that
 * rate: it bounds the search from above like any failure, and the
 * bisection goes on below it (doubling overshoots: a server may sustain
 * 1.9x the last rate that passed, and a factor 2 is no answer). When the
 * lowest failure was the generator's, the result is a lower bound. */
#ifndef HARNESS_SEARCH_H
#define HARNESS_SEARCH_H

#include <stdbool.h>

#define SEARCH_FLOOR_RPS 50.0    /* nothing sustained down to this: give up */
#define SEARCH_MAX_STEPS 16      /* rates recorded (equal-load ones too), at most */
#define SEARCH_MAX_RPS 10000000.0

struct search {
    double start;   /* first rate when nothing is known, req/s */
    double precision; /* stop when hi <= (1 + precision) lo */
    double lo;      /* highest sustained rate, 0 if none */
    double hi;      /* lowest failed rate, 0 if none */
    int steps;      /* rates recorded */
    bool limited;   /* the failure at hi was the generator's (client-bound) */
};

void search_init(struct search *s, double start, double precision);
void search_record(struct search *s, double rate, bool sustained, bool client_bound);
/* The next rate to measure, or 0 when the search is over. */
double search_next(const struct search *s);

#endif
