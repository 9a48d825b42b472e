/* loadgen's latency histogram (loadgen/hist.h): percentiles against sorted
 * arrays over several distributions, merging, the text format's round trip
 * and what it refuses, clamping above 60 s. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"

#define N 100000
#define MAX_REL_ERR 0.01  /* the promise of hist.h is 1/256; the bound is 1% */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* splitmix64: reproducible and good enough to shape distributions. */
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform01(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Records v[0..n) and checks every percentile of interest against the value
 * of the same rank in the sorted array. */
static void check_percentiles(uint64_t *v, size_t n)
{
    static const double pcts[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
    static struct hist h;
    hist_init(&h);
    for (size_t i = 0; i < n; i++)
        hist_record(&h, v[i]);
    qsort(v, n, sizeof *v, cmp_u64);
    assert_int_equal(h.count, n);
    assert_int_equal(h.min_ns, v[0]);
    assert_int_equal(h.max_ns, v[n - 1]);
    for (size_t j = 0; j < sizeof pcts / sizeof pcts[0]; j++) {
        size_t rank = (size_t)ceil(pcts[j] / 100.0 * (double)n - 1e-9);
        uint64_t want = v[rank ? rank - 1 : 0], got = hist_percentile(&h, pcts[j]);
        double err = fabs((double)got - (double)want) / (double)want;
        if (err > MAX_REL_ERR)
            fail_msg("p%g: got %llu ns, want %llu ns (error %.3f%%)", pcts[j],
                     (unsigned long long)got, (unsigned long long)want, err * 100);
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)v[i];
    assert_true(fabs(hist_mean(&h) - sum / (double)n) < 1.0);
}

static void percentiles_uniform(void **state)
{
    (void)state;
    static uint64_t v[N];
    for (size_t i = 0; i < N; i++)  /* 1 µs .. 10 ms */
        v[i] = 1000 + (uint64_t)(uniform01() * 9999000.0);
    check_percentiles(v, N);
}

static void percentiles_exponential(void **state)
{
    (void)state;
    static uint64_t v[N];
    for (size_t i = 0; i < N; i++)  /* mean 500 µs, floor 1 µs */
        v[i] = 1000 + (uint64_t)(-log(1.0 - uniform01()) * 500000.0);
    check_percentiles(v, N);
}

static void percentiles_bimodal_far_tail(void **state)
{
    (void)state;
    static uint64_t v[N];
    /* 98% near 100 µs, 2% near 5 s: p99 and above land in the tail. */
    for (size_t i = 0; i < N; i++)
        v[i] = i % 50 == 0 ? 4500000000ull + (uint64_t)(uniform01() * 1e9)
                           : 80000 + (uint64_t)(uniform01() * 40000.0);
    check_percentiles(v, N);
}

static void percentiles_range_edges(void **state)
{
    (void)state;
    static uint64_t v[N];
    /* A third at 1 µs, a third at exactly 60 s, a third spread between. */
    for (size_t i = 0; i < N; i++)
        v[i] = i % 3 == 0 ? 1000 : i % 3 == 1 ? HIST_MAX_NS
                                              : 1000 + rng() % (HIST_MAX_NS - 1000);
    check_percentiles(v, N);
}

static void percentiles_small_counts(void **state)
{
    (void)state;
    uint64_t one[] = {123456};
    check_percentiles(one, 1);
    uint64_t two[] = {5000, 7000000};
    check_percentiles(two, 2);
    static struct hist empty;
    hist_init(&empty);
    assert_int_equal(hist_percentile(&empty, 99), 0);
    assert_true(hist_mean(&empty) == 0.0);
}

static void merge_equals_recording_both(void **state)
{
    (void)state;
    static struct hist a, b, both, empty;
    hist_init(&a);
    hist_init(&b);
    hist_init(&both);
    hist_init(&empty);
    for (int i = 0; i < N; i++) {
        uint64_t x = 500 + rng() % 20000000, y = 2000 + rng() % 70000000000ull;
        hist_record(&a, x);
        hist_record(&b, y);
        hist_record(&both, x);
        hist_record(&both, y);
    }
    hist_merge(&a, &empty);  /* merging nothing changes nothing */
    hist_merge(&a, &b);
    assert_memory_equal(&a, &both, sizeof a);
    hist_merge(&empty, &both);  /* into an empty one: a copy */
    assert_memory_equal(&empty, &both, sizeof a);
    assert_true(both.clamped > 0);
}

static void clamps_above_60s_and_counts(void **state)
{
    (void)state;
    static struct hist h;
    hist_init(&h);
    hist_record(&h, 1000);
    hist_record(&h, HIST_MAX_NS);       /* at the limit: not clamped */
    hist_record(&h, HIST_MAX_NS + 1);
    hist_record(&h, 3600000000000ull);  /* an hour */
    assert_int_equal(h.count, 4);
    assert_int_equal(h.clamped, 2);
    assert_int_equal(h.max_ns, HIST_MAX_NS);
    assert_int_equal(hist_percentile(&h, 100), HIST_MAX_NS);
    /* Inside the last bucket: its midpoint, within 1/256 of 60 s. */
    assert_true(hist_percentile(&h, 50) >= HIST_MAX_NS - HIST_MAX_NS / 256);
    assert_in_range(hist_percentile(&h, 25), 1000, 1003);  /* bucket [1000, 1004) */
}

/* Writes h with hist_write into a string (caller frees). */
static char *write_line(const struct hist *h, const char *name)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(hist_write(h, name, f), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void text_round_trip(void **state)
{
    (void)state;
    static struct hist h, back;
    char name[HIST_NAME_MAX];
    hist_init(&h);
    for (int i = 0; i < N; i++)
        hist_record(&h, rng() % 90000000000ull);
    char *line = write_line(&h, "corrected");
    assert_int_equal(strncmp(line, "hist name=corrected sub_buckets=128 count=100000 ", 49), 0);
    assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
    assert_int_equal(hist_parse(&back, line, name, sizeof name), 0);
    assert_string_equal(name, "corrected");
    assert_memory_equal(&h, &back, sizeof h);
    free(line);

    hist_init(&h);  /* empty: "buckets=" and nothing after */
    line = write_line(&h, "lag");
    assert_string_equal(line, "hist name=lag sub_buckets=128 count=0 sum_ns=0 min_ns=0"
                              " max_ns=0 clamped=0 buckets=\n");
    assert_int_equal(hist_parse(&back, line, name, sizeof name), 0);
    assert_memory_equal(&h, &back, sizeof h);
    free(line);
}

static void parse_refuses_malformed_lines(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "hist",
        "hist name= sub_buckets=128 count=0 sum_ns=0 min_ns=0 max_ns=0 clamped=0 buckets=",
        "hist name=x sub_buckets=64 count=0 sum_ns=0 min_ns=0 max_ns=0 clamped=0 buckets=",
        "hist name=x sub_buckets=128 count=2 sum_ns=9 min_ns=4 max_ns=5 clamped=0 buckets=4:1",
        "hist name=x sub_buckets=128 count=1 sum_ns=9 min_ns=4 max_ns=5 clamped=0 buckets=3840:1",
        "hist name=x sub_buckets=128 count=1 sum_ns=9 min_ns=4 max_ns=5 clamped=0 buckets=4:x",
        "hist name=x sub_buckets=128 count=1 sum_ns=9 min_ns=4 max_ns=5 clamped=0 buckets=4:1,",
        "hist name=x sub_buckets=128 count=1 sum_ns=9 min_ns=4 clamped=0 buckets=4:1",
        "hist name=x sub_buckets=128 count=-1 sum_ns=9 min_ns=4 max_ns=5 clamped=0 buckets=4:1",
        "hist name=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        " sub_buckets=128 count=0 sum_ns=0 min_ns=0 max_ns=0 clamped=0 buckets=",
    };
    static struct hist h;
    char name[HIST_NAME_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hist_parse(&h, bad[i], name, sizeof name) != -1)
            fail_msg("accepted: %s", bad[i]);
    assert_int_equal(hist_parse(&h, "hist name=x sub_buckets=128 count=1 sum_ns=4 min_ns=4"
                                    " max_ns=4 clamped=0 buckets=4:1", name, sizeof name), 0);
    assert_int_equal(hist_percentile(&h, 50), 4);
}

/* A corrected histogram loadgen recorded (tests/report/hist-corrected.txt:
 * its --histograms line, then its result line) as an .hgrm: every row's
 * value is the percentile hist_percentile() gives at that row (p50 and p90
 * are loadgen's own), counts grow to the total, the footer agrees. */
static const char *hgrm_fixture;

static void hgrm_parses_back_to_the_same_percentiles(void **state)
{
    (void)state;
    static struct hist h;
    char line[65536], name[HIST_NAME_MAX], *text = NULL, *result = NULL;
    size_t len = 0;
    FILE *in = fopen(hgrm_fixture, "r");
    assert_non_null(in);
    while (fgets(line, sizeof line, in))
        if (strncmp(line, "hist ", 5) == 0)
            assert_int_equal(hist_parse(&h, line, name, sizeof name), 0);
        else if (strncmp(line, "mode=", 5) == 0)
            result = strdup(line);
    fclose(in);
    assert_non_null(result);
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(hist_write_hgrm(&h, 1e6, out), 0); /* ms, as wrk2 */
    fclose(out);
    assert_non_null(strstr(text, "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"));
    int rows = 0, p50 = 0, p90 = 0;
    unsigned long long last = 0, total;
    double v, frac, max;
    for (char *l = strchr(text, '\n') + 2; *l && *l != '#'; l = strchr(l, '\n') + 1) {
        unsigned long long count;
        assert_int_equal(sscanf(l, "%lf %lf %llu", &v, &frac, &count), 3);
        assert_true(fabs(v - (double)hist_percentile(&h, frac * 100) / 1e6) < 0.0006);
        assert_true(count >= last);
        last = count;
        if (frac == 0.5)
            p50 = (int)lround(v * 1000);
        if (frac == 0.9)
            p90 = (int)lround(v * 1000);
        rows++;
    }
    assert_true(rows > 20);
    assert_true(frac == 1.0 && last == h.count && fabs(v - h.max_ns / 1e6) < 0.0006);
    assert_int_equal(p50, atoi(strstr(result, " p50_us=") + 8));
    assert_int_equal(p90, atoi(strstr(result, " p90_us=") + 8));
    assert_int_equal(sscanf(strstr(text, "#[Max     ="), "#[Max     = %lf, Total count    = %llu]",
                            &max, &total), 2);
    assert_true(total == h.count && fabs(max - h.max_ns / 1e6) < 0.0006);
    free(text);
    free(result);
}

int main(int argc, char **argv)
{
    hgrm_fixture = argc > 1 ? argv[1] : "tests/report/hist-corrected.txt";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_uniform),
        cmocka_unit_test(percentiles_exponential),
        cmocka_unit_test(percentiles_bimodal_far_tail),
        cmocka_unit_test(percentiles_range_edges),
        cmocka_unit_test(percentiles_small_counts),
        cmocka_unit_test(merge_equals_recording_both),
        cmocka_unit_test(clamps_above_60s_and_counts),
        cmocka_unit_test(text_round_trip),
        cmocka_unit_test(parse_refuses_malformed_lines),
        cmocka_unit_test(hgrm_parses_back_to_the_same_percentiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
