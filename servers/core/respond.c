/* What to answer a request: see respond.h. */
#include "respond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coding.h"
#include "etag.h"
#include "files.h"
#include "gzip.h"
#include "http_date.h"
#include "http_parse.h"
#include "path.h"
#include "range.h"
#include "response.h"

static bool publish_hidden;

void respond_publish_hidden(bool on)
{
    publish_hidden = on;
}

/* Every error closes the connection (its framing may be lost); a 301 keeps
 * it when the request allows. */
static void answer_status(int status, const char *fields, bool head_only,
                          bool keep_alive, char *out, size_t cap,
                          struct respond_answer *a)
{
    keep_alive = status < 400 && keep_alive;
    size_t n = response_error(out, cap, status, fields, head_only, keep_alive);
    if (n == 0) { /* only a Location too long for the buffer gets here */
        status = 414;
        keep_alive = false;
        n = response_error(out, cap, 414, NULL, head_only, false);
    }
    *a = (struct respond_answer){.status = status, .head_len = n, .keep_alive = keep_alive};
}

void respond_error(int status, bool head_only, char *out, size_t cap,
                   struct respond_answer *a)
{
    answer_status(status, NULL, head_only, false, out, cap, a);
}

/* --- redirects ------------------------------------------------------------ */

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Appends s[0..n) to out at *o, %-encoding every byte keep() refuses; with
 * escapes, a '%' that starts a valid escape is kept as it is (s is not
 * decoded). False if out is full. */
static bool put_encoded(const char *s, size_t n, bool (*keep)(unsigned char),
                        bool escapes, char *out, size_t cap, size_t *o)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (*o + 4 >= cap)
            return false;
        if (keep(c) || (escapes && c == '%' && i + 2 < n && is_hex(s[i + 1]) &&
                        is_hex(s[i + 2]))) {
            out[(*o)++] = (char)c;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[c >> 4];
            out[(*o)++] = hex[c & 15];
        }
    }
    return true;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~", c));
}

/* Bytes a decoded path keeps in a Location: unreserved and "/". Everything
 * else, '%' included ("%2541" was decoded to "%41"), is encoded again. */
static bool keep_in_path(unsigned char c)
{
    return is_unreserved(c) || c == '/';
}

/* Bytes a query keeps (RFC 3986 section 3.4: pchar, "/" and "?"); the
 * request-line's other visible bytes (", <, >, \, ^, `, {, |, }, [, ]) are
 * encoded, and a '%' only when it starts no escape. */
static bool keep_in_query(unsigned char c)
{
    return is_unreserved(c) || (c != '\0' && strchr("!$&'()*+,;=:@/?", c));
}

/* "Location: /" rel "/" ["?" query] CRLF: the directory with its slash, and
 * the query the request carried, so that /models?lang=en goes to
 * /models/?lang=en. */
static bool build_location(const char *rel, const struct http_request *req, char *out,
                           size_t cap)
{
    static const char name[] = "Location: /";
    const char *q;
    size_t qlen, o = sizeof name - 1;
    memcpy(out, name, o);
    if (!put_encoded(rel, strlen(rel), keep_in_path, false, out, cap, &o))
        return false;
    out[o++] = '/';
    if (path_query(req->target, req->target_len, &q, &qlen)) {
        out[o++] = '?';
        if (!put_encoded(q, qlen, keep_in_query, true, out, cap, &o))
            return false;
    }
    if (o + 3 > cap)
        return false;
    memcpy(out + o, "\r\n", 3);
    return true;
}

/* --- preconditions (RFC 9110 section 13) ------------------------------------ */

/* A field that holds one HTTP-date: given once and a valid date (sections
 * 13.1.3 and 13.1.4 say to ignore it otherwise, a list of dates included). */
static bool one_date(const struct http_request *req, enum http_field_id id, time_t *t)
{
    const struct http_field *fld = http_field(req, id);
    return fld && fld->count == 1 && http_date_parse(fld->value, fld->len, t) == 0;
}

/* If-Match or If-None-Match over all of the field's lines, against the
 * selected representation's tag (the file's, or its gzip one: section
 * 8.8.3 gives each representation its own). */
static bool tag_listed(const struct http_request *req, enum http_field_id id,
                       const char *etag, size_t etag_len, enum etag_cmp cmp)
{
    const struct http_field *fld = http_field(req, id);
    const char *v = fld->value;
    size_t n = fld->len;
    do {
        if (etag_list_match(v, n, etag, etag_len, cmp))
            return true;
    } while (fld->count > 1 && http_field_next(req, id, &v, &n));
    return false;
}

/* Section 13.2.2, steps 1 to 4, for GET and HEAD of an existing file: 412,
 * 304, or 0 to go on. If-Match wins over If-Unmodified-Since, and
 * If-None-Match over If-Modified-Since, which each is then ignored. */
static int preconditions(const struct http_request *req, const struct file_entry *f,
                         const char *etag, size_t etag_len)
{
    time_t t;
    if (http_field(req, HTTP_IF_MATCH)) {
        if (!tag_listed(req, HTTP_IF_MATCH, etag, etag_len, ETAG_STRONG))
            return 412;
    } else if (one_date(req, HTTP_IF_UNMODIFIED_SINCE, &t) && f->mtime > t) {
        return 412;
    }
    if (http_field(req, HTTP_IF_NONE_MATCH)) {
        if (tag_listed(req, HTTP_IF_NONE_MATCH, etag, etag_len, ETAG_WEAK))
            return 304;
    } else if (one_date(req, HTTP_IF_MODIFIED_SINCE, &t) && f->mtime <= t) {
        return 304;
    }
    return 0;
}

/* If-Range (section 13.1.5): an entity-tag (a DQUOTE among the first three
 * bytes tells it from a date) compared strongly, or a date that equals
 * Last-Modified. A date is a weak validator unless the file cannot have
 * changed twice within its second (section 8.8.2.2); as in Apache, that
 * second must be over, so the date is not taken before then. */
static bool if_range_holds(const struct http_field *fld, const struct file_entry *f)
{
    time_t t;
    if (fld->count > 1)
        return false;
    if (memchr(fld->value, '"', fld->len < 3 ? fld->len : 3))
        return etag_strong_equal(fld->value, fld->len, f->etag, f->etag_len);
    return http_date_parse(fld->value, fld->len, &t) == 0 && t == f->mtime &&
           time(NULL) > f->mtime;
}

/* Section 13.2.2 step 5 and section 14.2: 206 for one satisfiable range of
 * a GET ([*first, *first + *len)), 416 for none, else 200 (no Range, a HEAD,
 * a Range given twice or unreadable, several ranges, an If-Range that does
 * not hold). */
static int range_status(const struct http_request *req, const struct file_entry *f,
                        off_t *first, off_t *len)
{
    const struct http_field *range = http_field(req, HTTP_RANGE);
    const struct http_field *if_range = http_field(req, HTTP_IF_RANGE);
    if (req->method != HTTP_GET || !range || range->count > 1 ||
        (if_range && !if_range_holds(if_range, f)))
        return 200;
    switch (range_parse(range->value, range->len, f->size, first, len)) {
    case RANGE_PART:
        return 206;
    case RANGE_UNSATISFIABLE:
        return 416;
    default:
        return 200;
    }
}

/* --- the answer --------------------------------------------------------------- */

/* Whether f goes out in gzip: compressible, and Accept-Encoding (all of
 * its lines) prefers gzip (coding.h). */
static bool wants_gzip(const struct http_request *req, const struct file_entry *f)
{
    const struct http_field *fld = http_field(req, HTTP_ACCEPT_ENCODING);
    if (!f->compressible || !fld)
        return false;
    struct coding_accept acc;
    const char *v = fld->value;
    size_t n = fld->len;
    coding_accept_init(&acc);
    do
        coding_accept_line(&acc, v, n);
    while (fld->count > 1 && http_field_next(req, HTTP_ACCEPT_ENCODING, &v, &n));
    return coding_accept_gzip(&acc);
}

/* f in gzip: 412 and 304 against the encoded tag, else the whole 200,
 * compressed now (a HEAD too, for the same Content-Length); a Range is
 * ignored. A file that changed or a zlib failure: 503 or 500. */
static void answer_gzip(const struct http_request *req, struct file_entry *f,
                        bool keep_alive, char *out, size_t cap, struct respond_answer *a)
{
    bool head_only = req->method == HTTP_HEAD;
    int status = preconditions(req, f, f->etag_gzip, f->etag_gzip_len);
    char *z = NULL;
    size_t zlen = 0;
    if (status == 0 && (status = gzip_file(f, &z, &zlen)) == 0)
        status = 200;
    if (status != 200 && status != 304) {
        files_put(f);
        answer_status(status < 0 ? -status : status, NULL, head_only, keep_alive, out,
                      cap, a);
        return;
    }
    *a = (struct respond_answer){
        .status = status,
        .head_len = response_gzip_head(out, cap, status, f, zlen, keep_alive),
        .keep_alive = keep_alive};
    files_put(f);
    if (z && !head_only)
        a->body = (struct respond_body){.len = (off_t)zlen, .coded = z};
    else
        free(z);
}

/* A file that exists: 200, 206, 304, or the errors 412 and 416. */
static void answer_file(const struct http_request *req, struct file_entry *f,
                        bool keep_alive, char *out, size_t cap, struct respond_answer *a)
{
    bool head_only = req->method == HTTP_HEAD;
    off_t first = 0, len = f->size;
    int status = 200; /* the common GET has none of the fields */
    if (req->fields_given && (status = preconditions(req, f, f->etag, f->etag_len)) == 0)
        status = range_status(req, f, &first, &len);
    if (status == 412 || status == 416) {
        char fields[64] = "";
        if (status == 416) /* section 15.5.17: the length that was not met */
            snprintf(fields, sizeof fields, "Content-Range: bytes */%lld\r\n",
                     (long long)f->size);
        files_put(f);
        answer_status(status, fields, head_only, keep_alive, out, cap, a);
        return;
    }
    *a = (struct respond_answer){
        .status = status,
        .head_len = response_file_head(out, cap, status, f, first, len, keep_alive),
        .keep_alive = keep_alive};
    if (status != 304 && !head_only)
        a->body = (struct respond_body){f, first, len, NULL};
    else
        files_put(f);
}

void respond_to(const struct http_request *req, bool keep_alive, char *out, size_t cap,
                struct respond_answer *a)
{
    bool head_only = req->method == HTTP_HEAD;
    char rel[PATH_REL_MAX];
    bool dir_slash = false;
    int status = path_normalize(req->target, req->target_len, rel, sizeof rel,
                                &dir_slash);
    if (!status && !publish_hidden && path_is_hidden(rel))
        status = 404;
    if (status) {
        answer_status(status, NULL, head_only, keep_alive, out, cap, a);
        return;
    }
    struct file_entry *f = files_get(rel, dir_slash, &status);
    if (f && wants_gzip(req, f)) {
        answer_gzip(req, f, keep_alive, out, cap, a);
        return;
    }
    if (f) {
        answer_file(req, f, keep_alive, out, cap, a);
        return;
    }
    char location[RESPONSE_LOCATION_MAX + 16];
    if (status == 301 && !build_location(rel, req, location, sizeof location))
        status = 414;
    answer_status(status, status == 301 ? location : NULL, head_only, keep_alive, out,
                  cap, a);
}
