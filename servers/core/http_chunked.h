/* The chunked transfer coding of a request body (RFC 9112 section 7.1),
 * decoded only to be discarded: an incremental parser that keeps its state
 * between calls, so that a body can arrive in pieces of any size, with no
 * allocation and no copy of the data.
 *
 *   struct http_chunked ck;
 *   http_chunked_init(&ck);
 *   for each piece buf[0..len) that arrives:
 *       size_t used;
 *       int r = http_chunked_skip(&ck, buf, len, &used);
 *       if (r == HTTP_CHUNKED_MORE)  all len bytes were body: read more;
 *       if (r == HTTP_CHUNKED_DONE)  the body ended after used bytes; what
 *                                    follows is the next request;
 *       if (r < 0)                   answer -r and close the connection.
 *
 * What it accepts, strictly:
 *   chunked-body = *chunk last-chunk trailer-section CRLF
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size   = 1*HEXDIG   (no sign, no "0x", no space before it)
 *   chunk-ext    = BWS ";" then visible bytes, SP, HTAB and obs-text up to
 *                  the CR (the names and values are not looked at)
 *   trailer      = field lines: a token, ':', field-value bytes, CRLF
 * Every line ends with CRLF (a bare LF, a CR without LF, a control byte or
 * an obs-fold is 400). Errors, the first that applies as bytes arrive:
 *   400  a byte the grammar does not allow; a chunk-size over 2^64 - 1;
 *        a chunk-size line (size and extensions) over HTTP_CHUNK_LINE_MAX;
 *   413  a chunk that would take the decoded body over HTTP_MAX_BODY (seen
 *        once its size line is whole), or more than HTTP_MAX_BODY bytes of
 *        framing (sizes, extensions, CRLFs: a body of one-byte chunks with
 *        long extensions must not cost unbounded reading either);
 *   431  a trailer section over HTTP_MAX_HEADER_BYTES.
 * Pure: no I/O, no globals; the fuzzer (tests/fuzz/fuzz_chunked.c) checks
 * that feeding a body in pieces gives what feeding it whole gives. */
#ifndef HTTP_CHUNKED_H
#define HTTP_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_CHUNK_LINE_MAX 4096 /* bytes of a chunk-size line before its CRLF */

enum { HTTP_CHUNKED_MORE = 0, HTTP_CHUNKED_DONE = 1 };

struct http_chunked {
    uint8_t state;     /* private: where in the grammar the next byte goes */
    uint16_t line;     /* bytes of the current size line */
    uint64_t size;     /* chunk-size being read, then data bytes still to come */
    uint32_t body;     /* decoded bytes so far */
    uint32_t framing;  /* bytes that were not data */
    uint32_t trailer;  /* bytes of the trailer section */
};

void http_chunked_init(struct http_chunked *ck);

/* Consumes buf[0..len); see the top of the file. *used is set for every
 * result (for an error: where the offending byte was). */
int http_chunked_skip(struct http_chunked *ck, const char *buf, size_t len, size_t *used);

#endif
