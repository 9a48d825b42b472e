/* Content coding (RFC 9110 section 8.4): which responses are compressed,
 * and what a request's Accept-Encoding allows (section 12.5.3). Pure
 * functions over the caller's bytes, no allocation, no I/O; the gzip bytes
 * themselves are made by gzip.c.
 *
 *   struct coding_accept a;
 *   coding_accept_init(&a);
 *   for each Accept-Encoding field line v[0..n):
 *       if (coding_accept_line(&a, v, n) < 0) a is marked malformed;
 *   bool gz = coding_accept_gzip(&a);      // send gzip rather than identity
 *
 * A request without Accept-Encoding may take any coding (section 12.5.3),
 * but gets identity, as from nginx, h2o, lighttpd and Apache: a client that
 * says nothing may not know gzip. A malformed field (a bad qvalue, a
 * parameter other than q, a coding that is not a token) is disregarded as a
 * whole, so identity is sent: section 12.1 lets a server disregard the
 * field, and guessing at a list it cannot read could send what the client
 * refused. A field that refuses both gzip and identity is disregarded the
 * same way (section 12.5.3 permits it instead of a 406). */
#ifndef CODING_H
#define CODING_H

#include <stdbool.h>
#include <stddef.h>

#define CODING_GZIP_LEVEL_DEFAULT 1   /* nginx's gzip_comp_level and h2o's default */
#define CODING_MIN_SIZE_DEFAULT 256   /* bytes; smaller files go out as they are */
/* Larger files go out as they are too: the whole encoded body is held in
 * memory per response (gzip.h), and zlib counts a call's bytes in 32 bits
 * (lighttpd's deflate.max-compress-size plays the same part). */
#define CODING_MAX_SIZE (64LL << 20)

/* Identity, when a field names neither it nor "*", is acceptable (section
 * 12.5.3) but the least preferred: "gzip;q=0.5" alone gets gzip, as from
 * nginx and Apache, while "gzip;q=0.5, identity" gets identity. */
#define CODING_Q_UNNAMED_IDENTITY 1

/* qvalues in thousandths, 0..1000; -1 where the field did not name it. */
struct coding_accept {
    int gzip;       /* "gzip" or "x-gzip" (section 8.4.1.3) */
    int identity;
    int star;       /* "*": any coding not named */
    bool given;     /* at least one line seen (an empty value counts) */
    bool malformed;
};

void coding_accept_init(struct coding_accept *a);

/* Adds one field line's value v[0..n) (a comma-separated list, section
 * 5.6.1; a coding named twice keeps its highest qvalue). Returns 0, or -1
 * when the line is malformed (a->malformed is then set). */
int coding_accept_line(struct coding_accept *a, const char *v, size_t n);

/* What the lines allow: true to send gzip. gzip wins a tie with identity
 * (the smaller answer); identity wins when it has the higher qvalue. */
bool coding_accept_gzip(const struct coding_accept *a);

/* The qvalue a coding gets after the rules of section 12.5.3 ("*" for what
 * is not named; identity acceptable unless refused by "identity;q=0" or
 * "*;q=0"): for tests and the fuzzer. */
int coding_q_gzip(const struct coding_accept *a);
int coding_q_identity(const struct coding_accept *a);

/* Parses a qvalue (section 12.4.2: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")])
 * into thousandths; -1 if it is not one. */
int coding_qvalue(const char *s, size_t n);

/* --- what the server compresses (set once at start-up) ----------------------- */

/* Level 1..9 (zlib), 0 turns compression off; min_size in bytes. */
void coding_configure(int gzip_level, long long min_size);
int coding_gzip_level(void);

/* Whether a file of this media type (mime_type()'s answer, parameters
 * included) and size is sent gzip to a client that accepts it: text/ types,
 * JavaScript, JSON, XML and SVG, from the minimum size to CODING_MAX_SIZE,
 * compression on.
 * Each such response carries Vary: Accept-Encoding, compressed or not. */
bool coding_compressible(const char *media_type, long long size);

#endif
