/* A log-linear latency histogram, in the manner of HdrHistogram (Gil Tene):
 * fixed size, no allocation, recording is O(1), two histograms merge by
 * adding their buckets, so several threads or hosts can be combined exactly.
 *
 *   struct hist h;
 *   hist_init(&h);
 *   hist_record(&h, latency_ns);
 *   uint64_t p99 = hist_percentile(&h, 99.0);     // ns
 *   hist_write(&h, "corrected", stdout);          // one text line
 *
 * Layout: values in nanoseconds; below 256 ns one bucket per nanosecond,
 * above that 128 buckets per power of two. A percentile is reported as its
 * bucket's midpoint, so the relative error is at most 1/256 (0.4%) over the
 * whole range 1 µs .. 60 s. Values above HIST_MAX_NS are recorded as
 * HIST_MAX_NS and counted in `clamped`.
 *
 * Text format (one line, key=value, buckets sparse as index:count):
 *   hist name=NAME sub_buckets=128 count=N sum_ns=N min_ns=N max_ns=N
 *        clamped=N buckets=I:C,I:C,...
 * Bucket index i covers [low(i), low(i) + width(i)): for i < 256 low = i,
 * width = 1; otherwise g = i / 128 - 1, low = (i - 128 * g) << g,
 * width = 1 << g. */
#ifndef HIST_H
#define HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_MAX_NS 60000000000ull  /* 60 s; larger values are clamped, counted */
#define HIST_SUB_BITS 7             /* 128 sub-buckets per power of two */
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS 3840           /* 30 powers of two; HIST_MAX_NS is index 3807 */
#define HIST_NAME_MAX 64            /* longest name hist_parse accepts, with NUL */

struct hist {
    uint64_t count;    /* values recorded */
    uint64_t sum_ns;   /* their sum (after clamping) */
    uint64_t max_ns;   /* largest, 0 when empty */
    uint64_t min_ns;   /* smallest, 0 when empty */
    uint64_t clamped;  /* values that were above HIST_MAX_NS */
    uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t ns);
/* Adds every bucket and count of `from` into `into`. */
void hist_merge(struct hist *into, const struct hist *from);
/* The value at percentile pct in [0, 100], in ns: the smallest recorded value
 * v such that at least pct% of the values are <= v (bucket midpoint, within
 * [min_ns, max_ns]). 0 if empty. */
uint64_t hist_percentile(const struct hist *h, double pct);
/* Mean in ns, 0 if empty. */
double hist_mean(const struct hist *h);
/* Writes the one-line text format with its newline; 0 ok, -1 on a write
 * error (errno set). */
int hist_write(const struct hist *h, const char *name, FILE *f);
/* Writes h as an HdrHistogram percentile distribution (the .hgrm text
 * wrk2 prints and HdrHistogram's plotter reads): a row per percentile
 * step (value in units of unit_ns, e.g. 1e6 for ms; the percentile as a
 * fraction; the count of values up to it; 1/(1-percentile)), the 100% row,
 * then the mean, standard deviation, max and count. A row's value is
 * hist_percentile() at its percentile. 0 ok, -1 on a write error. */
#define HGRM_TICKS 5                /* percentile ticks per half distance */
int hist_write_hgrm(const struct hist *h, double unit_ns, FILE *f);
/* Parses one line of the text format (a trailing newline is allowed) into h,
 * and the name into name[namelen]. 0 ok; -1 if the line is not in the format,
 * its layout differs, an index is out of range or the bucket counts do not
 * add up to count. */
int hist_parse(struct hist *h, const char *line, char *name, size_t namelen);

#endif
