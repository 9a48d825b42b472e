/* HTTP dates (RFC 9110 section 5.6.7): the IMF-fixdate every response
 * carries, and the three forms a recipient must accept in a request.
 *
 *   char lm[HTTP_DATE_SIZE];
 *   http_date_format(st.st_mtime, lm);        // "Sun, 06 Nov 1994 08:49:37 GMT"
 *   time_t since;
 *   if (http_date_parse(value, len, &since) == 0) ...  // else ignore the field
 */
#ifndef HTTP_DATE_H
#define HTTP_DATE_H

#include <stddef.h>
#include <time.h>

#define HTTP_DATE_SIZE 32 /* an IMF-fixdate (29 bytes) and its NUL, with room */

/* Formats t as an IMF-fixdate into buf (HTTP_DATE_SIZE bytes). */
void http_date_format(time_t t, char *buf);

/* Parses s[0..len) as an HTTP-date: IMF-fixdate, or the obsolete RFC 850
 * ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37
 * 1994") forms, exactly as their grammar spells them (names are
 * case-sensitive, no other zone than GMT, no spaces added or left out).
 * A date that does not exist (31 April, 29 February 2023, hour 24) is not
 * valid; the day name must be one but need not agree with the date, as
 * in most servers. A two-digit RFC 850 year is read as the year within 50
 * years of now, as section 5.6.7 asks. Returns 0 and *t, or -1. */
int http_date_parse(const char *s, size_t len, time_t *t);

#endif
