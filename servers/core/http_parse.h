/* Incremental HTTP/1.x request-head parser: one pure function over the
 * caller's buffer, no allocation, no I/O (the shape of picohttpparser).
 *
 *   struct http_request req;
 *   int n = http_parse_request(buf, len, &req);
 *   if (n == 0)      read more and call again with the longer buffer;
 *   else if (n < 0)  answer with status -n and close the connection;
 *   else             the head is n bytes long; req points into buf;
 *                    req.content_length body bytes follow it, or with
 *                    req.chunked a body in the chunked coding
 *                    (http_chunked.h).
 *
 * It may be called again on the same growing buffer as often as bytes arrive;
 * it reports an error as soon as a complete line shows one (so "GET /\r\n"
 * gets 400 at once), and 414/431 as soon as a limit is crossed. */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define HTTP_MAX_REQUEST_LINE 8192   /* bytes before CRLF; more gives 414 */
#define HTTP_MAX_HEADER_BYTES 16384  /* header section incl. final CRLF; more gives 431 */
#define HTTP_MAX_HEADERS 100         /* header fields; more gives 431 */
#define HTTP_MAX_BODY (1024 * 1024)  /* body bytes; more gives 413 */
#define HTTP_MAX_HEAD (HTTP_MAX_REQUEST_LINE + 2 + HTTP_MAX_HEADER_BYTES)

enum http_method {
    HTTP_GET,
    HTTP_HEAD,
};

/* The request fields respond.c acts on (RFC 9110 sections 13.1, 14.2 and
 * 12.5.3). */
enum http_field_id {
    HTTP_IF_MATCH,
    HTTP_IF_NONE_MATCH,
    HTTP_IF_MODIFIED_SINCE,
    HTTP_IF_UNMODIFIED_SINCE,
    HTTP_RANGE,
    HTTP_IF_RANGE,
    HTTP_ACCEPT_ENCODING,
    HTTP_FIELD_IDS
};

/* One of them: the first field line's value (OWS trimmed) and how many
 * lines gave the field. A field defined as one value (If-Modified-Since,
 * Range) given twice is invalid; a list field (If-None-Match, If-Match)
 * given twice is one list (RFC 9110 section 5.3): http_field_next() finds
 * the later lines. */
struct http_field {
    const char *value;
    uint32_t len;
    uint32_t count;          /* field lines with this name, >= 1 */
};

struct http_request {
    enum http_method method;
    const char *target;      /* request-target as sent, not decoded */
    size_t target_len;
    int minor_version;       /* 0 or 1 (HTTP/1.2 and up are read as 1.1) */
    bool keep_alive;         /* version default adjusted by Connection */
    int64_t content_length;  /* 0 when absent */
    bool chunked;            /* Transfer-Encoding: chunked, its only coding */
    const char *head_end;    /* just past the head's final CRLF */
    /* Bit 1 << id for each field given: only those entries of field[] are
     * written, so that a request without them (the common GET) costs no
     * clearing of the array; read them with http_field(). */
    unsigned fields_given;
    struct http_field field[HTTP_FIELD_IDS];
};

/* Returns the head's length (> 0) when complete and valid, 0 when more bytes
 * are needed, or minus the status to answer with: 400, 405 (known method other
 * than GET/HEAD, "OPTIONS *" and "CONNECT host:port" included), 413, 414, 431,
 * 501 (unknown method token, a transfer coding other than chunked), 505
 * (major version not 1).
 * After an error, method is HTTP_HEAD if the head began with "HEAD ", so
 * that the error page can leave out its body (RFC 9110 section 9.3.2). */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The field id of a request, or NULL when it was not given. */
static inline const struct http_field *http_field(const struct http_request *req,
                                                  enum http_field_id id)
{
    return req->fields_given & (1u << id) ? &req->field[id] : NULL;
}

/* In a request http_parse_request() accepted: steps *value and *len from the
 * value of one line of field id to the value of its next line. Returns
 * false when there is none. */
bool http_field_next(const struct http_request *req, enum http_field_id id,
                     const char **value, size_t *len);

#endif
