/* Entity-tag comparison: see etag.h. */
#include "etag.h"

#include <string.h>

static bool etag_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* etagc: any visible byte but DQUOTE, and obs-text. */
static bool etag_is_etagc(char c)
{
    unsigned char u = (unsigned char)c;
    return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

/* Reads one entity-tag at v[*i]: its quoted part in [*q0, *q1) and whether
 * it is weak. Returns false if none is there. */
static bool etag_read(const char *v, size_t n, size_t *i, size_t *q0, size_t *q1,
                      bool *weak)
{
    size_t j = *i;
    *weak = n - j >= 2 && v[j] == 'W' && v[j + 1] == '/';
    if (*weak)
        j += 2;
    if (j == n || v[j] != '"')
        return false;
    *q0 = j++;
    while (j < n && etag_is_etagc(v[j]))
        j++;
    if (j == n || v[j] != '"')
        return false;
    *q1 = ++j;
    *i = j;
    return true;
}

bool etag_list_match(const char *v, size_t n, const char *tag, size_t tag_len,
                     enum etag_cmp cmp)
{
    size_t i = 0, q0, q1;
    bool weak;

    if (n == 1 && v[0] == '*')
        return true;
    for (;;) {
        while (i < n && (etag_is_ows(v[i]) || v[i] == ','))
            i++;
        if (i == n || !etag_read(v, n, &i, &q0, &q1, &weak))
            return false;
        if (q1 - q0 == tag_len && memcmp(v + q0, tag, tag_len) == 0 &&
            (cmp == ETAG_WEAK || !weak))
            return true;
        while (i < n && etag_is_ows(v[i]))
            i++;
        if (i < n && v[i] != ',')
            return false; /* bytes after a tag: not a list of tags */
    }
}

bool etag_strong_equal(const char *v, size_t n, const char *tag, size_t tag_len)
{
    return n == tag_len && memcmp(v, tag, n) == 0;
}
