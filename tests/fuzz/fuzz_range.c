/* libFuzzer target for range_parse(); built and run by tests/fuzz/run.
 *
 * The input's first byte picks the representation's size (small sizes,
 * where the edges are, and a few large ones), the rest is the Range value.
 * Besides crashes and sanitizer reports, it aborts when the contract does
 * not hold: a known result; for RANGE_PART a part of at least one byte that
 * lies within the representation; nothing written otherwise. The value is
 * read from a heap copy that ends at its length, so AddressSanitizer
 * catches a read past it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

static void fail(const char *what, size_t n, long long size, int r)
{
    fprintf(stderr, "fuzz_range: %s (value of %zu bytes, size %lld, result %d)\n", what, n,
            size, r);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const off_t big[] = {INT64_MAX, INT64_MAX - 1, 1LL << 32, 10000000000LL};
    if (size == 0)
        return 0;
    off_t len_of_file = data[0] < 252 ? (off_t)data[0] : big[data[0] - 252];
    size_t n = size - 1;
    char *v = malloc(n ? n : 1);
    if (v == NULL)
        return 0;
    memcpy(v, data + 1, n);
    off_t first = -7, len = -7;
    enum range_result r = range_parse(v, n, len_of_file, &first, &len);
    free(v);
    switch (r) {
    case RANGE_PART:
        if (first < 0 || len < 1 || first >= len_of_file || len > len_of_file - first)
            fail("a part outside the representation", n, (long long)len_of_file, (int)r);
        break;
    case RANGE_IGNORED:
    case RANGE_UNSATISFIABLE:
        if (first != -7 || len != -7)
            fail("a part written for no part", n, (long long)len_of_file, (int)r);
        break;
    default:
        fail("an unknown result", n, (long long)len_of_file, (int)r);
    }
    return 0;
}
