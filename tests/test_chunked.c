/* http_chunked_skip(): the chunked coding of a request body (RFC 9112
 * section 7.1), one table row per case. Every row is fed whole, cut in two
 * at every split point, and a byte at a time, each piece from a heap copy
 * of its own length: the result and the byte where it came must not
 * depend on how the body arrived (tests/fuzz/chunked_feed.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/chunked_feed.h"

/* chunked_feed, with its contract asserted. */
static struct chunked_outcome feed(const char *in, size_t n, size_t cut, size_t step)
{
    struct chunked_outcome o = chunked_feed(in, n, cut, step);
    if (o.bad)
        fail_msg("%s (input of %zu bytes)", o.bad, n);
    return o;
}

struct row {
    const char *in;
    size_t len;
    int r;         /* HTTP_CHUNKED_DONE, MORE, or minus a status */
    size_t at;     /* where: see struct chunked_outcome (ALL: the whole input) */
    const char *name;
};

#define R(in, r, at, name) {in, sizeof(in) - 1, r, at, name}
#define ALL SIZE_MAX
#define DONE HTTP_CHUNKED_DONE
#define MORE HTTP_CHUNKED_MORE

static const struct row rows[] = {
    /* Valid bodies: DONE right after the final CRLF, what follows untouched. */
    R("0\r\n\r\n", DONE, ALL, "last chunk only"),
    R("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", DONE, 15, "a pipelined request after"),
    R("5;a=1\r\nhello\r\n6 ; b=\"x; y\" ;c\r\n world\r\n0;z\r\n\r\n", DONE, ALL,
      "extensions, quoted, with whitespace before the ';'"),
    R("A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", DONE, ALL, "hex of either case"),
    R("000005\r\nhello\r\n00\r\n\r\n", DONE, ALL, "leading zeros"),
    R("1\r\nx\r\n0\r\nX-T: a\r\nY:\t b \r\nZ:\r\n\r\n", DONE, ALL, "a trailer section"),
    R("2\r\n\r\n\r\n0\r\n\r\n", DONE, ALL, "data that is a CRLF"),
    R("3;\xc3\xa9\r\nabc\r\n0\r\n\r\n", DONE, ALL, "obs-text in an extension"),
    /* Not over yet. */
    R("", MORE, 0, "nothing"),
    R("5\r\nhel", MORE, ALL, "in the data"),
    R("0\r\nX: y\r\n", MORE, ALL, "in the trailer"),
    R("fffff\r\n", MORE, ALL, "a chunk of 1 MiB - 1 announced"),
    /* 400: a byte the grammar does not allow, where it stands. */
    R("-5\r\nhello\r\n0\r\n\r\n", -400, 0, "a minus sign"),
    R("+5\r\nhello\r\n0\r\n\r\n", -400, 0, "a plus sign"),
    R("0x5\r\nhello\r\n0\r\n\r\n", -400, 1, "0x"),
    R(" 5\r\n", -400, 0, "a space before the size"),
    R(";x\r\n", -400, 0, "no size"),
    R("\r\n", -400, 0, "an empty size line"),
    R("5 \r\nhello\r\n", -400, 2, "whitespace without an extension"),
    R("5 x\r\n", -400, 2, "whitespace then not a ';'"),
    R("5g\r\n", -400, 1, "a byte that is not hex"),
    R("5\nhello", -400, 1, "a bare LF after the size"),
    R("5\rhello", -400, 2, "a CR without its LF"),
    R("5;a\x01\r\n", -400, 3, "a control byte in an extension"),
    R("5;a\nb\r\n", -400, 3, "a bare LF in an extension"),
    R("5\r\nhelloX\r\n", -400, 8, "data longer than its size"),
    R("5\r\nhello\rX", -400, 9, "a CR without LF after the data"),
    R("10000000000000005\r\n", -400, 16, "a size over 64 bits"),
    R("0\r\nX-T\r\n\r\n", -400, 6, "a trailer without a colon"),
    R("0\r\n X: a\r\n\r\n", -400, 3, "a trailer starting with a space"),
    R("0\r\nX: a\r\n b\r\n\r\n", -400, 9, "an obs-fold in the trailer"),
    R("0\r\nX : a\r\n\r\n", -400, 4, "a space before a trailer's colon"),
    R("0\r\nX: a\x7f\r\n\r\n", -400, 7, "DEL in a trailer value"),
    R("0\r\n\rX", -400, 4, "a CR without LF at the end"),
    /* 413: the decoded size, once a size line is whole. */
    R("100001\r\n", -413, 7, "one chunk of 1 MiB + 1"),
    R("ffffffffffffffff\r\n", -413, 17, "a chunk of 2^64 - 1"),
};

static void check_row(const struct row *t)
{
    size_t want_at = t->at == ALL ? t->len : t->at;
    struct chunked_outcome whole = feed(t->in, t->len, 0, t->len ? t->len : 1);
    if (whole.r != t->r || whole.at != want_at)
        fail_msg("%s: got %d at %zu, want %d at %zu", t->name, whole.r, whole.at, t->r,
                 want_at);
    for (size_t cut = 0; cut <= t->len; cut++) {
        struct chunked_outcome o = feed(t->in, t->len, cut, t->len ? t->len : 1);
        if (o.r != whole.r || o.at != whole.at)
            fail_msg("%s: cut at %zu: got %d at %zu", t->name, cut, o.r, o.at);
    }
    struct chunked_outcome bytes = feed(t->in, t->len, 0, 1);
    if (bytes.r != whole.r || bytes.at != whole.at)
        fail_msg("%s: a byte at a time: got %d at %zu", t->name, bytes.r, bytes.at);
}

static void chunked_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        check_row(&rows[i]);
}

/* Builds "SIZE\r\n" + size bytes + "\r\n" for each size, then "0\r\n\r\n". */
static char *body_of(const size_t *sizes, size_t n, size_t *len)
{
    size_t cap = 64;
    for (size_t i = 0; i < n; i++)
        cap += sizes[i] + 32;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        o += (size_t)sprintf(b + o, "%zx\r\n", sizes[i]);
        memset(b + o, 'a', sizes[i]);
        o += sizes[i];
        o += (size_t)sprintf(b + o, "\r\n");
    }
    o += (size_t)sprintf(b + o, "0\r\n\r\n");
    *len = o;
    return b;
}

/* The limit is on the decoded size: exactly 1 MiB in chunks is read, one
 * byte more is 413 at the size line that passes it. */
static void chunked_limit_is_decoded_size(void **state)
{
    (void)state;
    size_t len;
    size_t at_limit[] = {HTTP_MAX_BODY / 2, HTTP_MAX_BODY / 4, HTTP_MAX_BODY / 4};
    char *b = body_of(at_limit, 3, &len);
    struct chunked_outcome o = feed(b, len, len / 3, 4096);
    assert_int_equal(o.r, HTTP_CHUNKED_DONE);
    assert_int_equal(o.at, len);
    free(b);
    size_t over[] = {HTTP_MAX_BODY / 2, HTTP_MAX_BODY / 2, 1};
    b = body_of(over, 3, &len);
    o = feed(b, len, 0, 65536);
    assert_int_equal(o.r, -413);
    free(b);
}

/* Framing is bounded too: one-byte chunks with long extensions stop at
 * HTTP_MAX_BODY bytes of framing (413), long before an endless stream. */
static void chunked_framing_is_bounded(void **state)
{
    (void)state;
    char line[HTTP_CHUNK_LINE_MAX];
    memset(line, 'e', sizeof line);
    memcpy(line, "1;", 2);
    memcpy(line + sizeof line - 7, "\r\nx\r\n", 5);
    size_t n = sizeof line - 2; /* a size line of HTTP_CHUNK_LINE_MAX - 4 bytes */
    struct http_chunked ck;
    http_chunked_init(&ck);
    size_t used, total = 0;
    int r = HTTP_CHUNKED_MORE;
    while (r == HTTP_CHUNKED_MORE && total < 4 * (size_t)HTTP_MAX_BODY) {
        r = http_chunked_skip(&ck, line, n, &used);
        total += used;
    }
    assert_int_equal(r, -413);
    assert_true(total <= (size_t)HTTP_MAX_BODY + n);
    /* and one size line over HTTP_CHUNK_LINE_MAX is 400 */
    char big[HTTP_CHUNK_LINE_MAX + 8];
    memset(big, 'e', sizeof big);
    memcpy(big, "1;", 2);
    http_chunked_init(&ck);
    assert_int_equal(http_chunked_skip(&ck, big, sizeof big, &used), -400);
    assert_int_equal(used, HTTP_CHUNK_LINE_MAX);
}

/* The trailer section is bounded as a head's fields are: 431. */
static void chunked_trailer_is_bounded(void **state)
{
    (void)state;
    static char t[HTTP_MAX_HEADER_BYTES + 64];
    size_t o = (size_t)sprintf(t, "0\r\n");
    while (o + 16 < sizeof t)
        o += (size_t)sprintf(t + o, "X-Pad: 0123456\r\n");
    struct chunked_outcome r = feed(t, o, 0, o);
    assert_int_equal(r.r, -431);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunked_table),
        cmocka_unit_test(chunked_limit_is_decoded_size),
        cmocka_unit_test(chunked_framing_is_bounded),
        cmocka_unit_test(chunked_trailer_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
