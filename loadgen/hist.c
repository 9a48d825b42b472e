/* The log-linear latency histogram (hist.h). Written here because Debian
 * packages no HdrHistogram for C; this is the part of it loadgen needs. */
#include "hist.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static unsigned hist_index(uint64_t v)
{
    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    unsigned g = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    return g * HIST_SUB + (unsigned)(v >> g);
}

/* The lowest value of bucket i and its width. */
static uint64_t hist_low(unsigned i, uint64_t *width)
{
    if (i < HIST_SUB) {
        *width = 1;
        return i;
    }
    unsigned g = i / HIST_SUB - 1;
    *width = 1ull << g;
    return (uint64_t)(i - HIST_SUB * g) << g;
}

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
}

void hist_record(struct hist *h, uint64_t ns)
{
    if (ns > HIST_MAX_NS) {
        ns = HIST_MAX_NS;
        h->clamped++;
    }
    if (h->count == 0 || ns < h->min_ns)
        h->min_ns = ns;
    if (ns > h->max_ns)
        h->max_ns = ns;
    h->count++;
    h->sum_ns += ns;
    h->b[hist_index(ns)]++;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    if (from->count == 0)
        return;
    if (into->count == 0 || from->min_ns < into->min_ns)
        into->min_ns = from->min_ns;
    if (from->max_ns > into->max_ns)
        into->max_ns = from->max_ns;
    into->count += from->count;
    into->sum_ns += from->sum_ns;
    into->clamped += from->clamped;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
}

/* The rank of the value at pct: ceil(pct% of count), at least 1; the
 * epsilon keeps 99% of 1000 at 990 despite 0.99 * 1000 = 990.0000000000001.
 * The bucket holding it, and how many values are in it or below. */
static unsigned hist_bucket_at(const struct hist *h, double pct, uint64_t *seen)
{
    uint64_t rank = (uint64_t)ceil(pct / 100.0 * (double)h->count - 1e-9);
    *seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        *seen += h->b[i];
        if (*seen >= (rank < 1 ? 1 : rank))
            return i;
    }
    return HIST_BUCKETS - 1;
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
    uint64_t seen, width;
    if (h->count == 0)
        return 0;
    if (pct <= 0)
        return h->min_ns;
    if (pct >= 100)
        return h->max_ns;
    unsigned i = hist_bucket_at(h, pct, &seen);
    uint64_t v = hist_low(i, &width) + width / 2;
    return v < h->min_ns ? h->min_ns : v > h->max_ns ? h->max_ns : v;
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)h->sum_ns / (double)h->count : 0.0;
}

int hist_write(const struct hist *h, const char *name, FILE *f)
{
    if (fprintf(f, "hist name=%s sub_buckets=%u count=%llu sum_ns=%llu min_ns=%llu"
                   " max_ns=%llu clamped=%llu buckets=",
                name, HIST_SUB, (unsigned long long)h->count,
                (unsigned long long)h->sum_ns, (unsigned long long)h->min_ns,
                (unsigned long long)h->max_ns, (unsigned long long)h->clamped) < 0)
        return -1;
    bool first = true;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        if (h->b[i] == 0)
            continue;
        if (fprintf(f, "%s%u:%llu", first ? "" : ",", i,
                    (unsigned long long)h->b[i]) < 0)
            return -1;
        first = false;
    }
    return fputc('\n', f) == EOF ? -1 : 0;
}

/* Reads "key=<unsigned>" at *p and moves past it and one space. */
static int hist_field(const char **p, const char *key, uint64_t *out)
{
    size_t n = strlen(key);
    if (strncmp(*p, key, n) != 0 || (*p)[n] != '=' || (*p)[n + 1] < '0' ||
        (*p)[n + 1] > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(*p + n + 1, &end, 10);
    if (errno || *end != ' ')
        return -1;
    *out = v;
    *p = end + 1;
    return 0;
}

/* Parses the "I:C,I:C..." list at p into h->b; returns the sum of counts or
 * -1 if malformed. */
static int hist_parse_buckets(struct hist *h, const char *p, uint64_t *total)
{
    *total = 0;
    while (*p && *p != '\n') {
        char *end;
        if (*p < '0' || *p > '9')
            return -1;
        errno = 0;
        unsigned long i = strtoul(p, &end, 10);
        if (errno || *end != ':' || i >= HIST_BUCKETS || end[1] < '0' || end[1] > '9')
            return -1;
        unsigned long long c = strtoull(end + 1, &end, 10);
        if (errno || (*end != ',' && *end != '\0' && *end != '\n') ||
            (*end == ',' && (end[1] < '0' || end[1] > '9')))
            return -1;
        h->b[i] += c;
        *total += c;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

int hist_parse(struct hist *h, const char *line, char *name, size_t namelen)
{
    static const char prefix[] = "hist name=";
    hist_init(h);
    if (strncmp(line, prefix, sizeof prefix - 1) != 0)
        return -1;
    const char *p = line + sizeof prefix - 1, *sp = strchr(p, ' ');
    if (!sp || sp == p || (size_t)(sp - p) >= namelen)
        return -1;
    memcpy(name, p, (size_t)(sp - p));
    name[sp - p] = '\0';
    p = sp + 1;
    uint64_t sub, total;
    if (hist_field(&p, "sub_buckets", &sub) || sub != HIST_SUB ||
        hist_field(&p, "count", &h->count) || hist_field(&p, "sum_ns", &h->sum_ns) ||
        hist_field(&p, "min_ns", &h->min_ns) || hist_field(&p, "max_ns", &h->max_ns) ||
        hist_field(&p, "clamped", &h->clamped) || strncmp(p, "buckets=", 8) != 0 ||
        hist_parse_buckets(h, p + 8, &total) || total != h->count)
        return -1;
    return 0;
}

/* Standard deviation from the buckets' midpoints, in ns. */
static double hist_stdev(const struct hist *h)
{
    double mean = hist_mean(h), sum = 0;
    for (unsigned i = 0; i < HIST_BUCKETS && h->count; i++) {
        uint64_t width;
        double d = (double)(hist_low(i, &width) + width / 2) - mean;
        sum += (double)h->b[i] * d * d;
    }
    return h->count ? sqrt(sum / (double)h->count) : 0;
}

/* HdrHistogram's percentile iteration (hdr_percentiles_print, as wrk2
 * calls it: 5 ticks per half distance): steps of 10% up to 50%, then
 * halving each time the distance to 100% halves. Written here because
 * Debian packages no C HdrHistogram, and our buckets are our own. */
int hist_write_hgrm(const struct hist *h, double unit_ns, FILE *f)
{
    int bad = fprintf(f, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount",
                      "1/(1-Percentile)") < 0;
    for (double pct = 0; h->count && !bad && pct < 100;) {
        uint64_t seen;
        hist_bucket_at(h, pct, &seen);
        bad |= fprintf(f, "%12.3f %12f %12llu %12.2f\n",
                       (double)hist_percentile(h, pct) / unit_ns, pct / 100,
                       (unsigned long long)seen, 1 / (1 - pct / 100)) < 0;
        if (seen == h->count)
            break;
        pct += 100.0 / (HGRM_TICKS * pow(2, floor(log2(100.0 / (100.0 - pct))) + 1));
    }
    if (h->count && !bad)
        bad |= fprintf(f, "%12.3f %12f %12llu %12s\n", (double)h->max_ns / unit_ns, 1.0,
                       (unsigned long long)h->count, "inf") < 0;
    bad |= fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
                      "#[Max     = %12.3f, Total count    = %12llu]\n"
                      "#[Buckets = %12d, SubBuckets     = %12d]\n",
                   hist_mean(h) / unit_ns, hist_stdev(h) / unit_ns,
                   (double)h->max_ns / unit_ns, (unsigned long long)h->count,
                   (HIST_BUCKETS - 2 * HIST_SUB) / HIST_SUB + 1, 2 * HIST_SUB) < 0;
    return bad ? -1 : 0;
}
