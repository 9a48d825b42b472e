/* The verdict (verdict.c): a few generated sentences at the top of the
 * report. */
#ifndef HARNESS_VERDICT_H
#define HARNESS_VERDICT_H

#include "report/report.h"

/* The answer first (verdict.c): the best model at low, medium and high
 * concurrency, at each equal load and by sustainable rate, against the
 * calibration server and the references, claims only beyond the rounds'
 * spread; from r->points and r->head, into r->verdict. */
void verdict_build(struct report *r);

#endif
