/* What the open-loop steps decide from measured rows (rates.c), apart
 * from measuring them: pure functions of rows, so that the unit tests
 * replay a recorded run's rows through them (tests/harness/run/).
 *
 *   if (step_late_failure(r)) ...measure once more...
 *   search_record(&se, rate, row_sustained(r), step_generator_limited(r));
 *   step_msr_row(msr, &se, step_sustained_at(rows, n, model, se.lo),
 *                step_noisy_bound(rows, n, model, se.hi));
 */
#ifndef HARNESS_STEP_RULES_H
#define HARNESS_STEP_RULES_H

#include <stdbool.h>

#include "results/csv.h"
#include "run/search.h"

/* A failed step says nothing about the server when loadgen itself was
 * saturated: client-bound with its CPU busy (CLIENT_BUSY_FRACTION of its
 * threads), not only a late send. */
bool step_generator_limited(const struct row *r);
/* Not sustained with a late loadgen that was not busy: the machine may
 * have interfered (another process, the sampler, steal), not the server or
 * the generator's capacity. Such a step is measured once more. */
bool step_late_failure(const struct row *r);
/* ... and the machine did interfere: steal or other processes over 5% of
 * the measured CPUs (measure_flags.c). */
bool step_noisy_failure(const struct row *r);
/* Where a search starts without equal-load steps: half of the best
 * closed-loop req/s among rows[0..n) (the model's round so far), or 1000. */
double step_search_start(const struct row *rows, int n);
/* model's load row at offered rate lo that was sustained, or NULL. */
const struct row *step_sustained_at(const struct row *rows, int n, const char *model,
                                    double lo);
/* The step that failed at the search's upper bound hi in the machine's
 * noise both times it was measured (step_noisy_failure), or NULL: then the
 * rate found is a lower bound, not the server's limit. */
const struct row *step_noisy_bound(const struct row *rows, int n, const char *model,
                                   double hi);
/* Fills r (from row_init) as the kind=msr row of search se: the rate
 * found, the figures of the step sustained there (at, or NULL), the note
 * and flags: none-sustained, or lower-bound with client-bound (the search
 * ended at loadgen's own limit) or with noisy (noise: it ended in the
 * machine's noise). r's conns are the caller's. */
void step_msr_row(struct row *r, const struct search *se, const struct row *at,
                  const struct row *noise);

#endif
