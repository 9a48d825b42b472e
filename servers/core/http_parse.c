/* HTTP/1.x request-head parser; the contract is in http_parse.h.
 *
 * The parser keeps no state between calls: every call parses buf from its
 * first byte, in one pass, and stops at the first byte that decides the
 * outcome. Every decision depends only on the bytes before that point, and
 * each limit is checked before a byte beyond it is looked at, so once a call
 * returns non-zero every call on a longer buffer with the same prefix returns
 * the same value. That is what makes it safe to call again as bytes arrive,
 * and the tests and the fuzzer check it at every split point.
 *
 * Order of precedence, first match wins:
 *   1. While reading, line by line (a line ends with its CRLF):
 *      - 400 for a byte that can never be valid where it stands (a bare LF,
 *        a CR not followed by LF, a control byte, a space before a colon...),
 *        as soon as that byte is buffered;
 *      - 400 for a malformed request line (method, target, version), once its
 *        CRLF is buffered: "GET /\r\n" (HTTP/0.9 style) gets 400 at once, and
 *        so do "*" for any method but OPTIONS, "host:port" for any but
 *        CONNECT, and an absolute-form target whose authority is not
 *        host[:port];
 *      - 414 once more than HTTP_MAX_REQUEST_LINE bytes are buffered without
 *        the request line's CR, and 431 once more than HTTP_MAX_HEADER_BYTES
 *        header-section bytes are buffered without the final empty line;
 *      - 505 for a well-formed request line with a major version other than
 *        1, once its CRLF is buffered (the rest of the head is not read: we
 *        do not know that version's rules); HTTP/1.2 and up are read as 1.1;
 *      - 400 for a second Host, a Host that is not host[:port], a second
 *        Content-Length or one that is not a plain decimal, and 431 for field
 *        number HTTP_MAX_HEADERS + 1, when that field line is complete.
 *   2. Once the whole head has parsed without any of the above:
 *      400 (HTTP/1.1 without Host; a Transfer-Encoding we could not frame by:
 *      with Content-Length, in HTTP/1.0, chunked not last or twice), then
 *      405/501 for the method, then 501 for a transfer coding other than
 *      chunked (we decode none: "gzip, chunked"), then 413. Transfer-Encoding
 *      chunked alone sets req->chunked: the caller reads the body
 *      (http_chunked.h), whose limits are checked as it arrives.
 *      So a POST with a bad header gets 400, and a POST with a huge body 405.
 *
 * Leading empty lines: RFC 9112 section 2.2 says a server SHOULD ignore at
 * least one CRLF before the request-line (clients have sent one after a POST
 * body). We skip any number of them. They are part of what the caller must
 * consume, so they are included in the returned length and count against
 * HTTP_MAX_REQUEST_LINE; the head therefore never exceeds HTTP_MAX_HEAD, and a
 * buffer longer than that never gets 0.
 *
 * Fields of *req are written as they are parsed, so after an error the ones
 * parsed before it are valid: method is HTTP_HEAD for a HEAD request, which
 * lets the caller omit the error page's body; on an error the head's first
 * bytes are looked at again, so that even a 400 for the request line itself
 * (a control byte in the target, a bad version) or a 505 knows it. For a
 * method other than GET and HEAD, method is left at HTTP_GET. */
#include "http_parse.h"

#include <string.h>

#include "http_field.h"
#include "uri.h"

/* Internal results: a helper returns DONE (or END_OF_HEAD) and advances its
 * position, or MORE, or minus a status, like the public function. */
enum { MORE = 0, DONE = 1, END_OF_HEAD = 2 };

/* Byte classes, so that the hot loops cost one table lookup per byte. */
enum {
    CLS_TCHAR = 1, /* RFC 9110 token: methods and field names */
    CLS_VALUE = 2, /* field-value byte: HTAB, SP, VCHAR and obs-text >= 0x80 */
    CLS_LINE = 4,  /* request-line byte: SP and VCHAR */
};

static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    6, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6, /* 0x20 */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, /* 0x30 */
    6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* 0x40 */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7, /* 0x50 */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* 0x60 */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0, /* 0x70 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x80 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x90 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xA0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xB0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xC0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xD0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xE0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xF0 */
};

static inline bool is_class(char c, unsigned char cls)
{
    return byte_class[(unsigned char)c] & cls;
}

static inline bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* First index in [q, lim) whose byte is not of class cls, or lim. Header
 * values are most of a head's bytes: unrolled by four to keep the loop's
 * branch overhead below the cost of the lookups. */
static size_t skip_class(const char *buf, size_t q, size_t lim,
                         unsigned char cls)
{
    while (lim - q >= 4) {
        if (!is_class(buf[q], cls))
            return q;
        if (!is_class(buf[q + 1], cls))
            return q + 1;
        if (!is_class(buf[q + 2], cls))
            return q + 2;
        if (!is_class(buf[q + 3], cls))
            return q + 3;
        q += 4;
    }
    while (q < lim && is_class(buf[q], cls))
        q++;
    return q;
}

/* What we know about the head beyond *req while its fields are read. */
struct head {
    struct http_request *req;
    int method_status;    /* 0, 405 or 501: answered once the head is whole */
    int fields;           /* header fields seen */
    int hosts;            /* Host fields seen */
    bool has_length;      /* a Content-Length was seen */
    bool has_te;          /* a Transfer-Encoding was seen */
    bool te_bad;          /* an element that is not a plain token, or none */
    bool te_last_chunked; /* the last transfer coding so far is chunked */
    int te_chunked;       /* how many codings are chunked */
    int te_codings;       /* how many codings in all */
    bool conn_close;      /* Connection has a "close" token */
    bool conn_keep_alive; /* Connection has a "keep-alive" token */
};

/* Skips leading CRLFs (see the top of the file for why). They count against
 * the request-line limit, so skipping stops at HTTP_MAX_REQUEST_LINE and what
 * follows is read as a (then empty, so 400) request line. */
static int skip_empty_lines(const char *buf, size_t len, size_t *pos)
{
    size_t p = 0;

    while (p < len && p < HTTP_MAX_REQUEST_LINE && buf[p] == '\r') {
        if (p + 1 == len)
            return MORE;
        if (buf[p + 1] != '\n')
            return -400;
        p += 2;
    }
    *pos = p;
    return DONE;
}

/* 0 for GET and HEAD (setting *m), 405 for the other methods of RFC 9110
 * and RFC 5789 (PATCH), 501 for any other token. Methods are case-sensitive,
 * so "get" is an unknown method. */
static int method_status(const char *s, size_t n, enum http_method *m)
{
    static const char *const not_allowed[] = {
        "PUT", "POST", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT"};

    if ((n == 3 && memcmp(s, "GET", 3) == 0) ||
        (n == 4 && memcmp(s, "HEAD", 4) == 0)) {
        *m = n == 3 ? HTTP_GET : HTTP_HEAD;
        return 0;
    }
    for (size_t i = 0; i < sizeof not_allowed / sizeof *not_allowed; i++)
        if (strlen(not_allowed[i]) == n && memcmp(s, not_allowed[i], n) == 0)
            return 405;
    return 501;
}

/* The request-target forms of RFC 9112 section 3.2, given the method token:
 * origin-form ("/path?query") for any method; absolute-form with an http or
 * https scheme (any case) and a valid authority, which RFC 9110 section 4.2.1
 * says must have a host; asterisk-form ("*") only with OPTIONS and
 * authority-form ("host:port") only with CONNECT (both then get 405). */
static bool target_form_ok(const char *t, size_t n, const char *m, size_t mlen)
{
    size_t scheme;

    if (t[0] == '/')
        return true;
    if (mlen == 7 && memcmp(m, "OPTIONS", 7) == 0)
        return n == 1 && t[0] == '*';
    if (mlen == 7 && memcmp(m, "CONNECT", 7) == 0)
        return uri_authority_ok(t, n, URI_HOST_REQUIRED | URI_PORT_REQUIRED);
    if (n >= 7 && http_field_case_eq(t, "http://", 7))
        scheme = 7;
    else if (n >= 8 && http_field_case_eq(t, "https://", 8))
        scheme = 8;
    else
        return false;
    size_t end = scheme;
    while (end < n && t[end] != '/' && t[end] != '?' && t[end] != '#')
        end++;
    return uri_authority_ok(t + scheme, end - scheme, URI_HOST_REQUIRED);
}

/* Minor version (0 or 1) of "HTTP/d.d", -505 for a major version other
 * than 1, -400 for anything else (the name is case-sensitive). A higher
 * minor version is processed as 1.1, the highest we implement: RFC 9110
 * section 2.5 says a minor version only adds to what a recipient of a lower
 * one already understands. */
static int parse_version(const char *v, size_t n)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || !is_digit(v[5]) ||
        v[6] != '.' || !is_digit(v[7]))
        return -400;
    if (v[5] != '1')
        return -505;
    return v[7] == '0' ? 0 : 1;
}

/* Splits a complete request line (without its CRLF, all bytes SP or VCHAR)
 * into method SP target SP version. */
static int check_request_line(const char *line, size_t n, struct head *h)
{
    const char *end = line + n;
    size_t m = 0;

    while (m < n && is_class(line[m], CLS_TCHAR))
        m++;
    if (m == 0 || m == n || line[m] != ' ')
        return -400; /* empty method, or a non-token byte in it */
    const char *target = line + m + 1;
    const char *sp = memchr(target, ' ', (size_t)(end - target));
    if (sp == NULL || sp == target)
        return -400; /* no version (HTTP/0.9 style), or two spaces */
    if (!target_form_ok(target, (size_t)(sp - target), line, m))
        return -400;
    int minor = parse_version(sp + 1, (size_t)(end - sp - 1));
    if (minor < 0)
        return minor;

    h->method_status = method_status(line, m, &h->req->method);
    h->req->target = target;
    h->req->target_len = (size_t)(sp - target);
    h->req->minor_version = minor;
    return DONE;
}

/* Finds the request line's end in one pass that also rejects bytes no request
 * line may hold, then checks its structure. */
static int parse_request_line(const char *buf, size_t len, size_t *pos,
                              struct head *h)
{
    size_t start = *pos;
    /* Content bytes may sit at indexes below HTTP_MAX_REQUEST_LINE (leading
     * empty lines included); looking one byte further tells 414 from a CR. */
    size_t lim = len < HTTP_MAX_REQUEST_LINE + 1 ? len : HTTP_MAX_REQUEST_LINE + 1;
    size_t e = skip_class(buf, start, lim, CLS_LINE);

    if (e == lim)
        return e > HTTP_MAX_REQUEST_LINE ? -414 : MORE;
    if (buf[e] != '\r')
        return -400; /* bare LF, control byte, DEL or a byte >= 0x80 */
    if (e + 1 == len)
        return MORE;
    if (buf[e + 1] != '\n')
        return -400;
    *pos = e + 2;
    return check_request_line(buf + start, e - start, h);
}

/* Transfer-Encoding: a list of transfer codings, possibly over several
 * fields (RFC 9112 section 6.1). Records what finish_head needs: whether the
 * last coding so far is chunked, how many are, and whether the list is empty
 * or has an element that is not a plain token (a quoted "chunked",
 * parameters). We decode no coding, so such an element only needs to be told
 * from a clean "chunked": it leaves the framing unreadable (400). */
static void scan_transfer_encoding(const char *v, size_t n, struct head *h)
{
    size_t i = 0, t0, t1;
    bool any = false;

    h->has_te = true;
    while (http_field_list_next(v, n, &i, &t0, &t1)) {
        if (skip_class(v, t0, t1, CLS_TCHAR) != t1)
            h->te_bad = true;
        h->te_last_chunked = t1 - t0 == 7 && http_field_case_eq(v + t0, "chunked", 7);
        h->te_chunked += h->te_last_chunked;
        h->te_codings++;
        any = true;
    }
    h->te_bad |= !any;
}

/* Acts on one syntactically valid field. Names are matched by length first so
 * that most fields cost one switch. */
static int apply_field(struct head *h, const char *name, size_t nlen,
                       const char *value, size_t vlen)
{
    struct http_request *req = h->req;
    enum http_field_id id;

    if (++h->fields > HTTP_MAX_HEADERS)
        return -431;
    switch (nlen) {
    case 4:
        /* RFC 9112 section 3.2: one Host, and its value host[:port]. */
        if (http_field_case_eq(name, "host", 4) &&
            (++h->hosts > 1 || !uri_authority_ok(value, vlen, 0)))
            return -400;
        break;
    case 10:
        if (http_field_case_eq(name, "connection", 10)) {
            unsigned t = http_field_connection(value, vlen);
            h->conn_close |= (t & HTTP_CONN_CLOSE) != 0;
            h->conn_keep_alive |= (t & HTTP_CONN_KEEP_ALIVE) != 0;
        }
        break;
    case 14:
        if (http_field_case_eq(name, "content-length", 14)) {
            int64_t cl;
            if (h->has_length || http_field_content_length(value, vlen, &cl) < 0)
                return -400;
            h->has_length = true;
            req->content_length = cl;
        }
        break;
    case 17:
        if (http_field_case_eq(name, "transfer-encoding", 17))
            scan_transfer_encoding(value, vlen, h);
        else if (http_field_id_of(name, nlen, &id))
            http_field_keep(req, id, value, vlen);
        break;
    default:
        if (http_field_id_of(name, nlen, &id))
            http_field_keep(req, id, value, vlen);
        break;
    }
    return DONE;
}

/* One field line, or the empty line that ends the head. Header-section bytes
 * may sit at indexes below stop; needing a byte at or past it gives 431 once
 * such a byte is buffered. */
static int parse_field_line(const char *buf, size_t len, size_t stop,
                            size_t *pos, struct head *h)
{
    size_t lim = len < stop ? len : stop;
    int need = lim < len ? -431 : MORE; /* when a byte at lim is needed */
    size_t q = *pos;

    if (q >= lim)
        return need;
    if (buf[q] == '\r') {
        if (q + 1 >= lim)
            return need;
        if (buf[q + 1] != '\n')
            return -400;
        *pos = q + 2;
        return END_OF_HEAD;
    }

    const char *name = buf + q;
    q = skip_class(buf, q, lim, CLS_TCHAR);
    if (q == lim)
        return need;
    /* No colon, a space before it, an empty name, or a line that starts
     * with SP or HTAB: obs-fold, which RFC 9112 section 5.2 lets us reject. */
    if (buf[q] != ':' || buf + q == name)
        return -400;
    size_t nlen = (size_t)(buf + q - name);

    q++;
    while (q < lim && is_ows(buf[q]))
        q++;
    size_t v0 = q;
    q = skip_class(buf, q, lim, CLS_VALUE);
    if (q == lim)
        return need;
    if (buf[q] != '\r')
        return -400; /* bare LF, control byte or DEL in the value */
    if (q + 1 >= lim)
        return need;
    if (buf[q + 1] != '\n')
        return -400;
    *pos = q + 2;

    size_t v1 = q;
    while (v1 > v0 && is_ows(buf[v1 - 1]))
        v1--;
    return apply_field(h, name, nlen, buf + v0, v1 - v0);
}

/* A Transfer-Encoding whose framing we can read: chunked, last. RFC
 * 9112 section 6.3: with Content-Length too the framing is ambiguous (a
 * smuggling attempt), and a request whose final coding is not chunked has no
 * readable length; section 6.1: in HTTP/1.0 the field means faulty framing,
 * and chunked must not be applied twice. */
static bool te_framing_ok(const struct head *h)
{
    return !h->has_length && h->req->minor_version == 1 && !h->te_bad &&
           h->te_last_chunked && h->te_chunked == 1;
}

/* The checks that need the whole head, in the order of the top comment. */
static int finish_head(struct head *h, size_t head_len)
{
    struct http_request *req = h->req;

    if (req->minor_version == 1)
        req->keep_alive = !h->conn_close;
    else
        req->keep_alive = h->conn_keep_alive && !h->conn_close;

    if (req->minor_version == 1 && h->hosts == 0)
        return -400;
    if (h->has_te && !te_framing_ok(h))
        return -400;
    if (h->method_status != 0)
        return -h->method_status;
    if (h->has_te && h->te_codings > 1)
        return -501; /* a coding before chunked: we decode none */
    req->chunked = h->has_te;
    if (req->content_length > HTTP_MAX_BODY)
        return -413;
    return (int)head_len;
}

/* The head whose first line starts at p (after any empty lines). */
static int parse_head(const char *buf, size_t len, size_t p, struct http_request *req)
{
    struct head h = {.req = req};
    int st;

    if ((st = parse_request_line(buf, len, &p, &h)) != DONE)
        return st;
    size_t stop = p + HTTP_MAX_HEADER_BYTES;
    while ((st = parse_field_line(buf, len, stop, &p, &h)) == DONE)
        ;
    if (st != END_OF_HEAD)
        return st;
    req->head_end = buf + p;
    return finish_head(&h, p);
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    size_t p = 0;
    int st;

    /* Each member but field[], which fields_given guards: see http_parse.h. */
    req->method = HTTP_GET;
    req->target = NULL;
    req->target_len = 0;
    req->minor_version = 0;
    req->keep_alive = false;
    req->content_length = 0;
    req->chunked = false;
    req->head_end = NULL;
    req->fields_given = 0;
    if ((st = skip_empty_lines(buf, len, &p)) != DONE)
        return st;
    st = parse_head(buf, len, p, req);
    /* Known for any error, however early: see the top of the file. */
    if (st < 0 && len - p >= 5 && memcmp(buf + p, "HEAD ", 5) == 0)
        req->method = HTTP_HEAD;
    return st;
}
