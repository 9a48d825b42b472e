/* Field values of a request head, for the parser (http_parse.c) and for
 * respond.c through http_field_next() (declared in http_parse.h): pure
 * functions over the caller's bytes, no allocation, no I/O.
 *
 *   if (http_field_content_length(v, n, &len) < 0) answer 400;
 *   unsigned t = http_field_connection(v, n);   // HTTP_CONN_CLOSE, ...
 *   size_t i = 0, t0, t1;
 *   while (http_field_list_next(v, n, &i, &t0, &t1)) element v[t0..t1);
 *   if (http_field_id_of(name, nlen, &id)) http_field_keep(req, id, v, n);
 */
#ifndef HTTP_FIELD_H
#define HTTP_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_parse.h"

/* s (n bytes) equals lower (given in lower case) but for ASCII case: field
 * names, tokens, a scheme. ASCII-only: tolower() would depend on the
 * locale. Inline: the parser compares a name or two per field line. */
static inline bool http_field_case_eq(const char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]) != lower[i])
            return false;
    return true;
}

/* Content-Length (OWS trimmed): 0 and *out, or -400. */
int http_field_content_length(const char *v, size_t n, int64_t *out);

/* Steps to the next element of a comma-separated list (RFC 9110 section
 * 5.6.1), skipping empty ones: [*t0, *t1) without the OWS around it. Returns
 * false at the end of the list. */
bool http_field_list_next(const char *v, size_t n, size_t *i, size_t *t0, size_t *t1);

enum { HTTP_CONN_CLOSE = 1, HTTP_CONN_KEEP_ALIVE = 2 };

/* The Connection tokens that matter, in any case: HTTP_CONN_* bits. */
unsigned http_field_connection(const char *v, size_t n);

/* The id of a field respond.c acts on, by its name (any case). */
bool http_field_id_of(const char *name, size_t nlen, enum http_field_id *id);

/* Records one line of field id in req: the first line's value, and a count. */
void http_field_keep(struct http_request *req, enum http_field_id id, const char *value,
                     size_t vlen);

#endif
