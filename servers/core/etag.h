/* Entity-tag comparison (RFC 9110 section 8.8.3) for If-Match,
 * If-None-Match and If-Range, against a file's own strong tag.
 *
 *   if (etag_list_match(v, n, f->etag, f->etag_len, ETAG_WEAK))  // If-None-Match
 *       answer 304;
 *
 * A field value is "*" or a list of entity-tags:
 *   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
 *   etagc      = %x21 / %x23-7E / obs-text   (so a tag may hold a comma)
 * with OWS and empty elements between them (section 5.6.1). */
#ifndef ETAG_H
#define ETAG_H

#include <stdbool.h>
#include <stddef.h>

enum etag_cmp {
    ETAG_STRONG, /* both strong and equal: If-Match, If-Range (8.8.3.2) */
    ETAG_WEAK,   /* equal once W/ is set aside: If-None-Match */
};

/* True when v[0..n) is "*" or lists an entity-tag that equals tag (a strong
 * entity-tag with its quotes) under cmp. A list that stops being a list of
 * entity-tags matches nothing from that point on: a field we cannot read
 * never makes a precondition hold by accident. */
bool etag_list_match(const char *v, size_t n, const char *tag, size_t tag_len,
                     enum etag_cmp cmp);

/* If-Range: true when v[0..n) is exactly one entity-tag, strong and equal to
 * tag (section 13.1.5). */
bool etag_strong_equal(const char *v, size_t n, const char *tag, size_t tag_len);

#endif
