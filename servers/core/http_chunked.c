/* The chunked transfer coding of a request body, decoded to be discarded:
 * see http_chunked.h. One byte at a time through the grammar, except the
 * chunk data, which is skipped in one step. */
#include "http_chunked.h"

#include <stdbool.h>
#include <string.h>

#include "http_parse.h"

enum chunk_state {
    CK_SIZE,      /* hex digits of chunk-size */
    CK_SIZE_BWS,  /* whitespace after the size: a ';' must follow */
    CK_EXT,       /* chunk-ext, up to the CR */
    CK_SIZE_LF,   /* the LF that ends the size line */
    CK_DATA,      /* chunk-data: ck->size bytes to skip */
    CK_DATA_CR,   /* the CRLF after the data */
    CK_DATA_LF,
    CK_TRAILER,   /* the start of a trailer line, or the final CRLF */
    CK_NAME,      /* a trailer field's name */
    CK_VALUE,     /* its value, up to the CR */
    CK_VALUE_LF,
    CK_END_LF,    /* the LF of the final CRLF */
    CK_DONE,
};

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 9110 section 5.6.2's tchar. */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* A byte of a field value or an extension: HTAB, SP, VCHAR, obs-text. */
static bool is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

void http_chunked_init(struct http_chunked *ck)
{
    memset(ck, 0, sizeof *ck);
    ck->state = CK_SIZE;
}

/* The size line is whole: the chunk's data, or the trailer after the last
 * chunk. 413 if the data would take the body over the limit. */
static int size_line_done(struct http_chunked *ck)
{
    if (ck->size == 0) {
        ck->state = CK_TRAILER;
        return HTTP_CHUNKED_MORE;
    }
    if (ck->size > (uint64_t)HTTP_MAX_BODY - ck->body)
        return -413;
    ck->body += (uint32_t)ck->size;
    ck->state = CK_DATA;
    return HTTP_CHUNKED_MORE;
}

/* A byte of the size line (CK_SIZE to CK_SIZE_LF). */
static int size_byte(struct http_chunked *ck, unsigned char c)
{
    if (++ck->line > HTTP_CHUNK_LINE_MAX)
        return -400;
    int h = hex_value(c);
    switch (ck->state) {
    case CK_SIZE:
        if (h >= 0) {
            if (ck->size > UINT64_MAX >> 4)
                return -400; /* more than 64 bits */
            ck->size = ck->size << 4 | (uint64_t)h;
            return HTTP_CHUNKED_MORE;
        }
        if (ck->line == 1)
            return -400; /* no digit: a sign, "0x" has one, a space, ';' */
        ck->state = c == ';' ? CK_EXT : c == '\r' ? CK_SIZE_LF
                  : c == ' ' || c == '\t' ? CK_SIZE_BWS : CK_DONE;
        return ck->state == CK_DONE ? -400 : HTTP_CHUNKED_MORE;
    case CK_SIZE_BWS:
        if (c == ';')
            ck->state = CK_EXT;
        return c == ';' || c == ' ' || c == '\t' ? HTTP_CHUNKED_MORE : -400;
    case CK_EXT:
        if (c == '\r')
            ck->state = CK_SIZE_LF;
        return is_value_byte(c) || c == '\r' ? HTTP_CHUNKED_MORE : -400;
    default: /* CK_SIZE_LF */
        return c == '\n' ? size_line_done(ck) : -400;
    }
}

/* A byte of the trailer section (CK_TRAILER to CK_END_LF). */
static int trailer_byte(struct http_chunked *ck, unsigned char c)
{
    if (++ck->trailer > HTTP_MAX_HEADER_BYTES)
        return -431;
    switch (ck->state) {
    case CK_TRAILER:
        ck->state = c == '\r' ? CK_END_LF : CK_NAME;
        return c == '\r' || is_tchar(c) ? HTTP_CHUNKED_MORE : -400; /* SP: obs-fold */
    case CK_NAME:
        if (c == ':')
            ck->state = CK_VALUE;
        return c == ':' || is_tchar(c) ? HTTP_CHUNKED_MORE : -400;
    case CK_VALUE:
        if (c == '\r')
            ck->state = CK_VALUE_LF;
        return c == '\r' || is_value_byte(c) ? HTTP_CHUNKED_MORE : -400;
    case CK_VALUE_LF:
        ck->state = CK_TRAILER;
        return c == '\n' ? HTTP_CHUNKED_MORE : -400;
    default: /* CK_END_LF */
        ck->state = CK_DONE;
        return c == '\n' ? HTTP_CHUNKED_DONE : -400;
    }
}

/* One byte that is not data. */
static int framing_byte(struct http_chunked *ck, unsigned char c)
{
    if (++ck->framing > HTTP_MAX_BODY)
        return -413;
    switch (ck->state) {
    case CK_DATA_CR:
        ck->state = CK_DATA_LF;
        return c == '\r' ? HTTP_CHUNKED_MORE : -400;
    case CK_DATA_LF:
        ck->state = CK_SIZE;
        ck->size = 0;
        ck->line = 0;
        return c == '\n' ? HTTP_CHUNKED_MORE : -400;
    case CK_SIZE:
    case CK_SIZE_BWS:
    case CK_EXT:
    case CK_SIZE_LF:
        return size_byte(ck, c);
    case CK_DONE:
        return -400; /* called again after the end: a caller's bug */
    default:
        return trailer_byte(ck, c);
    }
}

int http_chunked_skip(struct http_chunked *ck, const char *buf, size_t len, size_t *used)
{
    size_t i = 0;
    while (i < len) {
        if (ck->state == CK_DATA) {
            size_t n = ck->size < len - i ? (size_t)ck->size : len - i;
            i += n;
            if ((ck->size -= n) == 0)
                ck->state = CK_DATA_CR;
            continue;
        }
        int r = framing_byte(ck, (unsigned char)buf[i++]);
        if (r != HTTP_CHUNKED_MORE) {
            *used = r < 0 ? i - 1 : i;
            return r;
        }
    }
    *used = len;
    return HTTP_CHUNKED_MORE;
}
