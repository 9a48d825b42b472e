/* libFuzzer target for http_chunked_skip(); built and run by tests/fuzz/run.
 *
 * The input's first byte picks where the body is cut in two (and a second
 * cut at every 7th byte when its high bit is set), the rest is the body as
 * it arrives after a request head. Besides crashes and sanitizer reports,
 * it aborts when the contract does not hold: a known result; *used within
 * what was given (all of it for MORE); the decoded size never over
 * HTTP_MAX_BODY (chunked_feed.h); and the same result, at the same byte,
 * whether the body comes whole, in two pieces or in small ones: a parser
 * that keeps state between calls must not depend on how the bytes were
 * cut. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "chunked_feed.h"

static void fail(const char *what, size_t n, int r)
{
    fprintf(stderr, "fuzz_chunked: %s (body of %zu bytes, result %d)\n", what, n, r);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = size - 1;
    const char *body = (const char *)data + 1;
    size_t cut = n ? data[0] % (n + 1) : 0;
    struct chunked_outcome whole = chunked_feed(body, n, 0, n ? n : 1);
    struct chunked_outcome split = chunked_feed(body, n, cut, n ? n : 1);
    struct chunked_outcome small = chunked_feed(body, n, cut, data[0] & 0x80 ? 7 : 1);
    const char *bad = whole.bad ? whole.bad : split.bad ? split.bad : small.bad;
    if (bad)
        fail(bad, n, whole.r);
    if (whole.r != split.r || whole.at != split.at || whole.r != small.r ||
        whole.at != small.at)
        fail("a result that depends on how the body was cut", n, whole.r);
    return 0;
}
