/* Response framing (resp.h). Written here rather than taken from a library
 * because it only needs to find where a response ends and skip its body by
 * count: picohttpparser is not packaged in Debian and a full parser (llhttp)
 * would copy or call back for every body byte. */
#include "resp.h"

#include <string.h>
#include <strings.h>

void resp_init(struct resp *r)
{
    memset(r, 0, sizeof *r);
}

static bool resp_name_is(const char *name, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Whether the comma-separated list v[0..n) has the token (case-insensitive). */
static bool resp_has_token(const char *v, size_t n, const char *token)
{
    size_t tn = strlen(token);
    while (n > 0) {
        while (n > 0 && (*v == ',' || *v == ' ' || *v == '\t'))
            v++, n--;
        size_t len = 0;
        while (len < n && v[len] != ',')
            len++;
        size_t t = len;
        while (t > 0 && (v[t - 1] == ' ' || v[t - 1] == '\t'))
            t--;
        if (t == tn && strncasecmp(v, token, tn) == 0)
            return true;
        v += len, n -= len;
    }
    return false;
}

/* Header fields between the status line and the blank line. Sets the
 * framing; -1 on a malformed line or Content-Length. */
static int resp_fields(struct resp *r, const char *p, const char *end, bool http10,
                       int64_t *length, bool *chunked)
{
    bool keep_alive = false;
    while (p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol)
            return -1;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon || colon == p)
            return -1;
        const char *v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
        size_t name_len = (size_t)(colon - p), vn = (size_t)(eol - v);
        if (resp_name_is(p, name_len, "content-length")) {
            int64_t n = 0;
            size_t i = 0;
            for (; i < vn && v[i] >= '0' && v[i] <= '9' && n < (1ll << 50); i++)
                n = n * 10 + (v[i] - '0');
            if (i == 0 || (i < vn && v[i] != ' ' && v[i] != '\t') ||
                (*length >= 0 && *length != n))
                return -1;
            *length = n;
        } else if (resp_name_is(p, name_len, "transfer-encoding")) {
            *chunked = resp_has_token(v, vn, "chunked");
        } else if (resp_name_is(p, name_len, "connection")) {
            r->close |= resp_has_token(v, vn, "close");
            keep_alive |= resp_has_token(v, vn, "keep-alive");
        }
        p = eol + 2;
    }
    if (http10 && !keep_alive)
        r->close = true;  /* RFC 9112 section 9.3: HTTP/1.0 closes by default */
    return 0;
}

/* The head buf[0..n) ends in CRLFCRLF. Returns the result of reading it. */
static enum resp_result resp_head(struct resp *r, const char *buf, size_t n)
{
    /* "HTTP/1.x SSS reason\r\n" */
    if (n < 14 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
        buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' || buf[10] < '0' ||
        buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
        return RESP_ERROR;
    r->status = (uint16_t)((buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0'));
    r->close = false;
    const char *line_end = memchr(buf, '\r', n);
    int64_t length = -1;
    bool chunked = false;
    if (resp_fields(r, line_end + 2, buf + n - 2, buf[7] == '0', &length, &chunked))
        return RESP_ERROR;
    /* RFC 9112 section 6.3: no body for 1xx, 204 and 304; chunked wins over
     * Content-Length; neither means the body runs to the close. */
    if (r->status < 200)
        return RESP_MORE;  /* interim: the real response follows */
    if (r->status == 204 || r->status == 304 || (length == 0 && !chunked))
        return RESP_DONE;
    if (chunked) {
        r->state = RESP_CHUNK_SIZE;
    } else if (length > 0) {
        r->state = RESP_BODY;
        r->left = (uint64_t)length;
    } else {
        r->state = RESP_UNTIL_EOF;
        r->close = true;
    }
    return RESP_MORE;
}

/* "HEX[;ext]\r\n" at buf; sets the next state. */
static enum resp_result resp_chunk_size(struct resp *r, const char *buf, const char *eol)
{
    uint64_t size = 0;
    const char *p = buf;
    for (; p < eol && size < (1ull << 50); p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
              : (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f' ? (*p | 0x20) - 'a' + 10 : -1;
        if (d < 0)
            break;
        size = size * 16 + (uint64_t)d;
    }
    if (p == buf || (p < eol && *p != ';' && *p != ' ' && *p != '\t'))
        return RESP_ERROR;
    r->state = size ? RESP_CHUNK_DATA : RESP_TRAILER;
    r->left = size + 2;  /* the chunk's data and its CRLF */
    return RESP_MORE;
}

/* Skips up to r->left bytes; true when they are all skipped. */
static bool resp_skip(struct resp *r, size_t avail, size_t *off)
{
    size_t n = avail < r->left ? avail : (size_t)r->left;
    *off += n;
    r->left -= n;
    return r->left == 0;
}

enum resp_result resp_parse(struct resp *r, const char *buf, size_t len, size_t *used)
{
    size_t off = 0;
    for (;;) {
        const char *p = buf + off, *end;
        size_t avail = len - off;
        enum resp_result rc = RESP_MORE;
        *used = off;
        switch (r->state) {
        case RESP_HEAD:
            if (!(end = memmem(p, avail, "\r\n\r\n", 4)))
                return RESP_MORE;
            rc = resp_head(r, p, (size_t)(end + 4 - p));
            off += (size_t)(end + 4 - p);
            break;
        case RESP_BODY:
            if (resp_skip(r, avail, &off))
                rc = RESP_DONE;
            break;
        case RESP_CHUNK_SIZE:
        case RESP_TRAILER:
            if (!(end = memmem(p, avail, "\r\n", 2)))
                return RESP_MORE;
            off += (size_t)(end + 2 - p);
            if (r->state == RESP_CHUNK_SIZE)
                rc = resp_chunk_size(r, p, end);
            else if (end == p)
                rc = RESP_DONE;  /* the blank line after the trailer fields */
            break;
        case RESP_CHUNK_DATA:
            if (resp_skip(r, avail, &off))
                r->state = RESP_CHUNK_SIZE;
            break;
        case RESP_UNTIL_EOF:
            *used = len;
            return RESP_MORE;
        }
        if (rc != RESP_MORE) {
            r->state = RESP_HEAD;
            *used = off;
            return rc;
        }
        if (off == len) {
            *used = off;
            return RESP_MORE;
        }
    }
}

enum resp_result resp_eof(const struct resp *r, bool partial)
{
    if (r->state == RESP_UNTIL_EOF)
        return RESP_DONE;
    return r->state == RESP_HEAD && !partial ? RESP_MORE : RESP_ERROR;
}
