/* What the files of the verdict share (internal to report/): verdict.c
 * words the answer in order, verdict_msr.c the sustainable-rate sentence,
 * verdict_rank.c the figures of a question, their ranking and the one
 * sentence that answers it. Calls go verdict.c -> verdict_msr.c ->
 * verdict_rank.c only. */
#ifndef HARNESS_VERDICT_INT_H
#define HARNESS_VERDICT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "report/report.h"
#include "results/judge.h"

/* Closed loop (param: connections), equal load (param: offered req/s),
 * maximum sustainable rate (param unused), the mixed workload's cheap-class
 * p99 at equal load (param: offered req/s; lower is better). */
enum question { Q_CLOSED, Q_EQUAL, Q_MSR, Q_CHEAP };

struct cand {
    const char *model;
    struct judge_figure f;
};

/* One sentence more, if there is room (REPORT_VERDICT_LINES). */
void verdict_say(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* text after out's end, with sep before it unless out is empty. */
void verdict_append(char *out, size_t outlen, const char *sep, const char *text);
/* A model (blocking, event-driven, hybrid): not the calibration server or
 * a reference. */
bool verdict_is_model(const char *category);
/* The model has at least one usable point. */
bool verdict_measured(const struct report *r, const char *model);
/* ", 0.64x the calibration server's 99.2k, 1.82x nginx's 34.6k" for a
 * figure v; without the calibration server when calibration is false. */
void verdict_versus(const struct report *r, enum question q, double param, double v,
                    bool calibration, char *out, size_t outlen);
/* The models' figures for q into c, best first (their count); those not
 * ranked, with why, into unranked. */
int verdict_candidates(const struct report *r, enum question q, double param,
                       struct cand *c, char *unranked, size_t ulen);
/* " a, b tie with it (their rounds overlap)." for the models of c[1..n)
 * that tie with c[0], or "". */
void verdict_ties(const struct report *r, enum question q, const struct cand *c, int n,
                  char *out, size_t outlen);
/* The sentence "label: best, its figure, the scale, ties, extra, not
 * ranked". */
void verdict_answer(struct report *r, enum question q, double param, const char *label,
                    const char *extra);
/* The sustainable-rate sentence (verdict_msr.c). */
void verdict_msr(struct report *r);
/* A mixed run: some point has a cheap-class p99. */
bool verdict_mixed(const struct report *r);

#endif
