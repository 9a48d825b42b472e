/* libFuzzer target for http_chunked_skip(); built and run by tests/fuzz/run.
 *
 * The input's first byte picks where the body is cut in two (and a second
 * cut at every 7th byte when its high bit is set), the rest is the body as
 * it arrives after a request head. Besides crashes and sanitizer reports,
 * it aborts when the contract does not hold: a known result; *used within
 * what was given (all of it for MORE); the decoded size never over
 * HTTP_MAX_BODY; and the same result, at the same byte, whether the body
 * comes whole, in two pieces or in small ones: a parser that keeps state
 * between calls must not depend on how the bytes were cut. Each piece is
 * read from a heap copy that ends at its length, so AddressSanitizer
 * catches a read past it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_chunked.h"
#include "http_parse.h"

struct outcome {
    int r;        /* the first result other than MORE, or MORE */
    size_t at;    /* bytes of the input consumed when it came */
};

static void fail(const char *what, size_t n, int r)
{
    fprintf(stderr, "fuzz_chunked: %s (body of %zu bytes, result %d)\n", what, n, r);
    abort();
}

/* Feeds data[0..n) in pieces of at most step bytes (cut also at cut). */
static struct outcome feed(const uint8_t *data, size_t n, size_t cut, size_t step)
{
    struct http_chunked ck;
    struct outcome o = {HTTP_CHUNKED_MORE, 0};
    http_chunked_init(&ck);
    while (o.at < n) {
        size_t len = n - o.at < step ? n - o.at : step;
        if (o.at < cut && o.at + len > cut)
            len = cut - o.at;
        char *piece = malloc(len);
        if (!piece)
            abort();
        memcpy(piece, data + o.at, len);
        size_t used = (size_t)-1;
        int r = http_chunked_skip(&ck, piece, len, &used);
        free(piece);
        if (r != HTTP_CHUNKED_MORE && r != HTTP_CHUNKED_DONE && r != -400 && r != -413 &&
            r != -431)
            fail("an unknown result", n, r);
        if (used > len || (r == HTTP_CHUNKED_MORE && used != len))
            fail("used is not within the piece", n, r);
        if (ck.body > HTTP_MAX_BODY)
            fail("a decoded body over the limit", n, r);
        o.at += used;
        if (r != HTTP_CHUNKED_MORE) {
            o.r = r;
            return o;
        }
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = size - 1;
    const uint8_t *body = data + 1;
    size_t cut = n ? data[0] % (n + 1) : 0;
    struct outcome whole = feed(body, n, 0, n ? n : 1);
    struct outcome split = feed(body, n, cut, n ? n : 1);
    struct outcome small = feed(body, n, cut, data[0] & 0x80 ? 7 : 1);
    if (whole.r != split.r || whole.at != split.at || whole.r != small.r ||
        whole.at != small.at)
        fail("a result that depends on how the body was cut", n, whole.r);
    return 0;
}
