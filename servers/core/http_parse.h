/* Incremental HTTP/1.x request-head parser: one pure function over the
 * caller's buffer, no allocation, no I/O (the shape of picohttpparser).
 *
 *   struct http_request req;
 *   int n = http_parse_request(buf, len, &req);
 *   if (n == 0)      read more and call again with the longer buffer;
 *   else if (n < 0)  answer with status -n and close the connection;
 *   else             the head is n bytes long; req points into buf;
 *                    req.content_length body bytes follow it.
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

struct http_request {
    enum http_method method;
    const char *target;      /* request-target as sent, not decoded */
    size_t target_len;
    int minor_version;       /* 0 or 1 (HTTP/1.2 and up are read as 1.1) */
    bool keep_alive;         /* version default adjusted by Connection */
    int64_t content_length;  /* 0 when absent */
    const char *if_modified_since; /* NULL when absent */
    size_t if_modified_since_len;
};

/* Returns the head's length (> 0) when complete and valid, 0 when more bytes
 * are needed, or minus the status to answer with: 400, 405 (known method other
 * than GET/HEAD, "OPTIONS *" and "CONNECT host:port" included), 413, 414, 431,
 * 501 (unknown method token, Transfer-Encoding), 505 (major version not 1). */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

#endif
