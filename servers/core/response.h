/* Response heads and error pages. Every function writes into the caller's
 * buffer and returns the number of bytes written, or 0 if it does not fit.
 *
 *   n = response_file_head(out, cap, 200, f, 0, f->size, keep_alive);  then the body
 *   n = response_file_head(out, cap, 206, f, first, len, keep_alive);  then that part
 *   n = response_gzip_head(out, cap, 200, f, zlen, keep_alive);        then gzip bytes
 *   n = response_error(out, cap, 404, NULL, head_only, false);         complete
 *
 * The Date value is formatted at most once a second per thread. */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "files.h"

#define RESPONSE_SERVER "c10k-lab"
#define RESPONSE_LOCATION_MAX 4096 /* longest Location a 301 carries */

/* Status line and headers for f, ending with the blank line: for 200 the
 * entry's lines (Content-Type, Content-Length, Accept-Ranges,
 * Last-Modified, ETag); for 206 the same with the part's Content-Length
 * and Content-Range: bytes first-(first+len-1)/size (RFC 9110 section
 * 14.4); for 304 only Last-Modified and ETag (section 15.4.5: no
 * representation metadata, so no Content-Type or Content-Length). first
 * and len matter only for 206. */
size_t response_file_head(char *out, size_t cap, int status, const struct file_entry *f,
                          off_t first, off_t len, bool keep_alive);

/* The head of f's gzip representation (coding.h), 200 or 304: for 200
 * Content-Type, Content-Encoding: gzip, the encoded Content-Length
 * (coded_len), Last-Modified, the encoded ETag (f->etag_gzip) and Vary:
 * Accept-Encoding; for 304 the last three. No Accept-Ranges: a Range on it
 * is answered with the whole 200 (respond.c). */
size_t response_gzip_head(char *out, size_t cap, int status, const struct file_entry *f,
                          size_t coded_len, bool keep_alive);

/* A complete response with a short HTML body (omitted when head_only, but
 * counted in Content-Length, as for GET) and Connection: close unless
 * keep_alive (a 301 may keep it). 405 adds Allow: GET, HEAD; fields, when
 * not NULL, are more header lines, each ending with CRLF (Location,
 * Content-Range). */
size_t response_error(char *out, size_t cap, int status, const char *fields,
                      bool head_only, bool keep_alive);

/* "Mon, 23 Nov 2026 09:00:00 GMT" for now (cached per second per thread). */
const char *response_date(void);

const char *response_reason(int status);

#endif
