/* libFuzzer target for the Accept-Encoding reader (coding.h); built and
 * run by tests/fuzz/run.
 *
 * The input is split at each '\n' into field lines, fed in turn as one
 * request's lines. Besides crashes and sanitizer reports, it aborts when
 * the contract does not hold: each line 0 or -1, and -1 exactly when it
 * marks the field malformed; qvalues within 0..1000; gzip chosen only when
 * its qvalue is positive and at least identity's, never for a malformed
 * field; and every qvalue the reader stored is one coding_qvalue()
 * accepts. Each line is read from a heap copy that ends at its length, so
 * AddressSanitizer catches a read past it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coding.h"

static void fail(const char *what, const struct coding_accept *a)
{
    fprintf(stderr, "fuzz_accept: %s (gzip %d identity %d star %d malformed %d)\n", what,
            a->gzip, a->identity, a->star, (int)a->malformed);
    abort();
}

static void check(const struct coding_accept *a)
{
    int g = coding_q_gzip(a), id = coding_q_identity(a);
    if (g < 0 || g > 1000 || id < 0 || id > 1000)
        fail("a qvalue out of range", a);
    if (a->gzip < -1 || a->gzip > 1000 || a->star < -1 || a->star > 1000 ||
        a->identity < -1 || a->identity > 1000)
        fail("a stored qvalue out of range", a);
    if (coding_accept_gzip(a) && (g == 0 || g < id || a->malformed))
        fail("gzip chosen against the qvalues", a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct coding_accept a;
    coding_accept_init(&a);
    const char *p = (const char *)data, *end = p + size;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        char *v = malloc(n ? n : 1);
        if (v == NULL)
            return 0;
        memcpy(v, p, n);
        bool was = a.malformed;
        int r = coding_accept_line(&a, v, n);
        free(v);
        if (r != 0 && r != -1)
            fail("an unknown result", &a);
        if ((r == -1 && !a.malformed) || (r == 0 && a.malformed != was))
            fail("a result that disagrees with malformed", &a);
        check(&a);
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}
