/* Framing of HTTP/1.1 responses (RFC 9112 section 6): where one ends, its
 * status and whether the connection closes after it. Bodies are skipped by
 * count, never copied: Content-Length, chunked (section 7.1), or delimited
 * by the close. Works over the caller's buffer, no allocation, no I/O.
 *
 *   struct resp r; resp_init(&r);
 *   while ((rc = resp_parse(&r, buf + off, len - off, &used)) == RESP_DONE) {
 *       off += used; ... r.status, r.close ...
 *   }
 *   // RESP_MORE: off + used bytes consumed; keep the rest (a partial head or
 *   // chunk line) and call again with it in front of the next bytes. */
#ifndef RESP_H
#define RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum resp_state { RESP_HEAD, RESP_BODY, RESP_CHUNK_SIZE, RESP_CHUNK_DATA,
                  RESP_TRAILER, RESP_UNTIL_EOF };

enum resp_result {
    RESP_DONE,   /* one response complete: status and close are set */
    RESP_MORE,   /* need more bytes; *used bytes consumed */
    RESP_ERROR,  /* not a valid response */
};

struct resp {
    uint8_t state;    /* enum resp_state */
    bool close;       /* the server closes after this response */
    uint16_t status;  /* of the last response head */
    uint64_t left;    /* body or chunk bytes (with the chunk's CRLF) to skip */
};

void resp_init(struct resp *r);
enum resp_result resp_parse(struct resp *r, const char *buf, size_t len, size_t *used);
/* At end of stream: RESP_DONE if it completes a close-delimited body,
 * RESP_MORE if between responses (partial = no bytes of a next one kept),
 * RESP_ERROR if it cuts a response short. */
enum resp_result resp_eof(const struct resp *r, bool partial);

#endif
