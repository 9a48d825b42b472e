/* The maximum-sustainable-rate search (see search.h). */
#include "run/search.h"

#include <math.h>

void search_init(struct search *s, double start, double precision)
{
    *s = (struct search){.start = start > SEARCH_FLOOR_RPS ? start : SEARCH_FLOOR_RPS,
                         .precision = precision};
}

void search_record(struct search *s, double rate, bool sustained, bool client_bound)
{
    s->steps++;
    if (sustained) {
        if (rate > s->lo)
            s->lo = rate;
        if (s->hi > 0 && rate >= s->hi) { /* an earlier failure was not the limit */
            s->hi = 0;
            s->limited = false;
        }
        return;
    }
    if (s->hi == 0 || rate < s->hi) {
        s->hi = rate;
        s->limited = client_bound; /* what failed at hi: the generator? */
    }
}

double search_next(const struct search *s)
{
    if (s->steps >= SEARCH_MAX_STEPS)
        return 0;
    if (s->lo == 0 && s->hi == 0)
        return s->start;
    if (s->hi == 0) /* nothing failed yet: double */
        return 2 * s->lo <= SEARCH_MAX_RPS ? 2 * s->lo : 0;
    if (s->lo == 0) /* nothing sustained yet: a quarter, down to the floor */
        return s->hi <= SEARCH_FLOOR_RPS ? 0 :
               s->hi / 4 > SEARCH_FLOOR_RPS ? s->hi / 4 : SEARCH_FLOOR_RPS;
    if (s->hi <= s->lo * (1 + s->precision))
        return 0;
    return sqrt(s->lo * s->hi);
}
