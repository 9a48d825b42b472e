/* Response heads and error pages. Every function writes into the caller's
 * buffer and returns the number of bytes written, or 0 if it does not fit.
 *
 *   n = response_file_head(out, cap, 200, f, keep_alive);   then the body
 *   n = response_error(out, cap, 404, NULL, head_only);     complete, closes
 *
 * The Date value is formatted at most once a second per thread. */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "files.h"

#define RESPONSE_SERVER "c10k-lab"
#define RESPONSE_LOCATION_MAX 4096 /* longest Location a 301 carries */

/* Status line and headers of a 200 or 304 for f, ending with the blank line. */
size_t response_file_head(char *out, size_t cap, int status,
                          const struct file_entry *f, bool keep_alive);

/* A complete response with a short HTML body (omitted when head_only) and
 * Connection: close; 405 adds Allow: GET, HEAD; 301 adds Location. Also used
 * for 301, which keeps the connection open when keep_alive is set. */
size_t response_error(char *out, size_t cap, int status, const char *location,
                      bool head_only, bool keep_alive);

/* "Mon, 23 Nov 2026 09:00:00 GMT" for now (cached per second per thread). */
const char *response_date(void);

/* Formats t as an IMF-fixdate into buf (at least 32 bytes). */
void response_format_date(time_t t, char *buf);

/* Parses an IMF-fixdate (also RFC 850 and asctime forms). Returns 0 or -1. */
int response_parse_date(const char *s, size_t len, time_t *t);

const char *response_reason(int status);

#endif
