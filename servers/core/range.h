/* The Range request field (RFC 9110 section 14.2), read against one
 * representation of size bytes: a pure function, no allocation, no I/O.
 *
 *   off_t first, len;
 *   switch (range_parse(value, n, f->size, &first, &len)) {
 *   case RANGE_PART:          206 with bytes [first, first + len)
 *   case RANGE_UNSATISFIABLE: 416 with Content-Range: bytes * /size
 *   case RANGE_IGNORED:       200 with the whole representation
 *   }
 *
 * The grammar (sections 14.1 and 14.1.2):
 *   Range        = range-unit "=" range-set     range-unit: "bytes", any case
 *   range-set    = 1#range-spec                 (OWS and empty elements allowed)
 *   range-spec   = int-range / suffix-range
 *   int-range    = first-pos "-" [ last-pos ]   (first-pos <= last-pos)
 *   suffix-range = "-" suffix-length
 * Positions are 1*DIGIT; those beyond INT64_MAX are read as INT64_MAX. */
#ifndef RANGE_H
#define RANGE_H

#include <stddef.h>
#include <sys/types.h>

enum range_result {
    /* Not a valid bytes range-set (another unit, a syntax error, a
     * first-pos after its last-pos), or more than one satisfiable range:
     * section 14.2 lets a server ignore Range, and a multipart/byteranges
     * body is not worth its cost for a static server, so several ranges get
     * the whole representation. */
    RANGE_IGNORED,
    /* Exactly one satisfiable range (others, unsatisfiable, are dropped,
     * as section 14.1.1 allows): [*first, *first + *len), len >= 1. */
    RANGE_PART,
    /* None satisfiable: every first-pos at or beyond size, every
     * suffix-length 0, or size 0 (section 14.1.1). */
    RANGE_UNSATISFIABLE,
};

/* *first and *len are written only for RANGE_PART. */
enum range_result range_parse(const char *v, size_t n, off_t size, off_t *first,
                              off_t *len);

#endif
