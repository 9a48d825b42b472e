/* Feeds a chunked body to http_chunked_skip() in pieces, for the unit test
 * (tests/test_chunked.c) and the fuzzer (fuzz_chunked.c), which both check
 * that the outcome does not depend on how the body was cut. Each piece is
 * a heap copy of its own length, so AddressSanitizer catches a read past
 * it. Header-only: the fuzzer is built by tests/fuzz/run, not meson. */
#ifndef CHUNKED_FEED_H
#define CHUNKED_FEED_H

#include <stdlib.h>
#include <string.h>

#include "http_chunked.h"
#include "http_parse.h"

struct chunked_outcome {
    int r;            /* the first result other than MORE, or MORE */
    size_t at;        /* bytes consumed when it came: the body's length for
                         DONE, the offending byte's offset for an error */
    const char *bad;  /* a broken contract, or NULL */
};

/* Feeds in[0..n) in pieces of at most step (>= 1) bytes, also cut at cut. */
static inline struct chunked_outcome chunked_feed(const char *in, size_t n, size_t cut,
                                                  size_t step)
{
    struct http_chunked ck;
    struct chunked_outcome o = {HTTP_CHUNKED_MORE, 0, NULL};
    http_chunked_init(&ck);
    while (o.at < n && !o.bad) {
        size_t len = n - o.at < step ? n - o.at : step, used = (size_t)-1;
        if (o.at < cut && o.at + len > cut)
            len = cut - o.at;
        char *piece = malloc(len);
        if (!piece)
            abort();
        memcpy(piece, in + o.at, len);
        int r = http_chunked_skip(&ck, piece, len, &used);
        free(piece);
        if (r != HTTP_CHUNKED_MORE && r != HTTP_CHUNKED_DONE && r != -400 && r != -413 &&
            r != -431)
            o.bad = "an unknown result";
        else if (used > len || (r == HTTP_CHUNKED_MORE && used != len))
            o.bad = "used is not within the piece";
        else if (ck.body > HTTP_MAX_BODY)
            o.bad = "a decoded body over the limit";
        o.at += used <= len ? used : 0;
        if (r != HTTP_CHUNKED_MORE) {
            o.r = r;
            break;
        }
    }
    return o;
}

#endif
