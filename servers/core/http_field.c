/* Field values of a request head: see http_field.h. Split from
 * http_parse.c, which reads the head's lines; this file reads the values
 * of the few fields the core acts on. */
#include "http_field.h"

#include <string.h>

static bool field_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Lower-case names by enum http_field_id. */
static const struct {
    const char *name;
    size_t len;
} field_names[HTTP_FIELD_IDS] = {
    [HTTP_IF_MATCH] = {"if-match", 8},
    [HTTP_IF_NONE_MATCH] = {"if-none-match", 13},
    [HTTP_IF_MODIFIED_SINCE] = {"if-modified-since", 17},
    [HTTP_IF_UNMODIFIED_SINCE] = {"if-unmodified-since", 19},
    [HTTP_RANGE] = {"range", 5},
    [HTTP_IF_RANGE] = {"if-range", 8},
    [HTTP_ACCEPT_ENCODING] = {"accept-encoding", 15},
};

/* Content-Length: 1*DIGIT, one value only (the caller has trimmed OWS).
 * RFC 9110 section 8.6 lets a recipient take a list of identical values
 * ("5, 5") or repeated identical fields as one, but a proxy in front of us
 * may read such a field otherwise; a single plain decimal leaves nothing to
 * disagree on (RFC 9112 section 11.2, request smuggling). A value that does
 * not fit in int64_t is invalid. */
int http_field_content_length(const char *v, size_t n, int64_t *out)
{
    int64_t x = 0;

    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)(v[i] - '0') >= 10)
            return -400;
        int d = v[i] - '0';
        if (x > (INT64_MAX - d) / 10)
            return -400;
        x = x * 10 + d;
    }
    *out = x;
    return n > 0 ? 0 : -400; /* an empty value is no length */
}

bool http_field_list_next(const char *v, size_t n, size_t *i, size_t *t0, size_t *t1)
{
    while (*i < n && (field_is_ows(v[*i]) || v[*i] == ','))
        (*i)++;
    if (*i == n)
        return false;
    *t0 = *i;
    while (*i < n && v[*i] != ',')
        (*i)++;
    *t1 = *i;
    while (*t1 > *t0 && field_is_ows(v[*t1 - 1]))
        (*t1)--;
    return true;
}

/* Connection: only "close" and "keep-alive" matter. */
unsigned http_field_connection(const char *v, size_t n)
{
    size_t i = 0, t0, t1;
    unsigned tokens = 0;

    while (http_field_list_next(v, n, &i, &t0, &t1)) {
        if (t1 - t0 == 5 && http_field_case_eq(v + t0, "close", 5))
            tokens |= HTTP_CONN_CLOSE;
        else if (t1 - t0 == 10 && http_field_case_eq(v + t0, "keep-alive", 10))
            tokens |= HTTP_CONN_KEEP_ALIVE;
    }
    return tokens;
}

/* By length first: most names cost one switch and no comparison. */
bool http_field_id_of(const char *name, size_t nlen, enum http_field_id *id)
{
    switch (nlen) {
    case 5:
        *id = HTTP_RANGE;
        break;
    case 8:
        *id = name[3] == 'm' || name[3] == 'M' ? HTTP_IF_MATCH : HTTP_IF_RANGE;
        break;
    case 13:
        *id = HTTP_IF_NONE_MATCH;
        break;
    case 15:
        *id = HTTP_ACCEPT_ENCODING;
        break;
    case 17:
        *id = HTTP_IF_MODIFIED_SINCE;
        break;
    case 19:
        *id = HTTP_IF_UNMODIFIED_SINCE;
        break;
    default:
        return false;
    }
    return http_field_case_eq(name, field_names[*id].name, nlen);
}

void http_field_keep(struct http_request *req, enum http_field_id id, const char *value,
                     size_t vlen)
{
    struct http_field *f = &req->field[id];
    if (req->fields_given & (1u << id)) {
        f->count++;
        return;
    }
    req->fields_given |= 1u << id;
    *f = (struct http_field){value, (uint32_t)vlen, 1};
}

/* The head was accepted, so every line ends with CRLF, a field's name is a
 * token followed by its colon, and its value holds no CR or LF. */
bool http_field_next(const struct http_request *req, enum http_field_id id,
                     const char **value, size_t *len)
{
    const char *name = field_names[id].name;
    size_t nlen = field_names[id].len;
    const char *p = *value + *len, *end = req->head_end;

    for (;;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            return false;
        p = eol + 1;
        if (p == end || *p == '\r')
            return false; /* the empty line that ends the head */
        if ((size_t)(end - p) > nlen && p[nlen] == ':' &&
            http_field_case_eq(p, name, nlen)) {
            const char *v = p + nlen + 1;
            const char *e = memchr(v, '\r', (size_t)(end - v));
            while (v < e && field_is_ows(*v))
                v++;
            while (e > v && field_is_ows(e[-1]))
                e--;
            *value = v;
            *len = (size_t)(e - v);
            return true;
        }
    }
}
