/* harness compare RUN_A RUN_B: did a change make a difference?
 *
 *   compare_command("results/before", "results/after", NULL);
 *
 * Per model and point present in both runs, the ratio B/A of the medians:
 * closed loop req/s, p99 and requests per server CPU-second; open loop the
 * maximum sustainable rate, server CPU per request at each equal load (the
 * n-th equal-load rate of A against the n-th of B) and at listed rates,
 * p99 at 50% and 80% of the MSR. A figure is called faster or slower only
 * when the rounds of the two runs do not overlap (judge.h), "within noise"
 * when they do, and not judged when a run has one round. Markdown goes to
 * stdout, the same as a page to html_out (default RUN_B/compare.html).
 * Returns 0; 2 with one line on stderr for a directory that is not a run;
 * 1 when compare.html cannot be written. */
#ifndef HARNESS_COMPARE_H
#define HARNESS_COMPARE_H

int compare_command(const char *run_a, const char *run_b, const char *html_out);

#endif
