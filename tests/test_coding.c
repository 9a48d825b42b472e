/* Content coding: Accept-Encoding read with its qvalues (RFC 9110 section
 * 12.5.3), one table row per case; the qvalue grammar (section 12.4.2);
 * which types are compressed; and gzip_bytes(), whose output zlib must
 * inflate back to the input byte for byte.
 *
 * Every value is parsed from a copy that ends right before a PROT_NONE
 * page (unit_guard.h), so a read past its length crashes the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "coding.h"
#include "gzip.h"
#include "unit_guard.h"

/* q_gzip and q_identity in thousandths after section 12.5.3's rules; gzip:
 * what is sent; bad: the line is malformed (and then identity is sent). */
struct row {
    const char *value;
    int q_gzip, q_identity;
    bool gzip, bad;
};

static const struct row rows[] = {
    {"gzip", 1000, 1, true, false},
    {"GZip", 1000, 1, true, false},
    {"x-gzip", 1000, 1, true, false},
    {"gzip, deflate, br", 1000, 1, true, false},
    {"br;q=1.0, gzip;q=0.8, *;q=0.1", 800, 100, true, false},
    {"deflate, br", 0, 1, false, false},              /* gzip not named, no "*" */
    {"gzip;q=0", 0, 1, false, false},
    {"gzip;q=0.000", 0, 1, false, false},
    {"gzip;q=0.", 0, 1, false, false},                 /* "0." is a qvalue */
    {"gzip;Q=0.5", 500, 1, true, false},               /* unnamed identity: last */
    {"gzip;q=0.5, identity", 500, 1000, false, false}, /* named: preferred */
    {"gzip;q=0.5, identity;q=0.5", 500, 500, true, false}, /* a tie: gzip */
    {"gzip ; q=0.7 , identity;q=0.2", 700, 200, true, false},
    {"gzip;q=1", 1000, 1, true, false},
    {"gzip;q=1.000", 1000, 1, true, false},
    {"*", 1000, 1000, true, false},
    {"*;q=0", 0, 0, false, false},                     /* both refused: identity anyway */
    {"*;q=0, gzip", 1000, 0, true, false},
    {"*;q=0, identity", 0, 1000, false, false},
    {"*;q=0.3", 300, 300, true, false},
    {"identity;q=0", 0, 0, false, false},              /* gzip not acceptable either */
    {"identity;q=0, gzip", 1000, 0, true, false},
    {"identity;q=0, *", 1000, 0, true, false},
    {"gzip;q=0, gzip;q=0.4", 400, 1, true, false},    /* named twice: the highest */
    {"", 0, 1, false, false},                          /* empty: identity only */
    {" , ,", 0, 1, false, false},
    {"identity", 0, 1000, false, false},
    {"gzip;q=1.5", 0, 1000, false, true},              /* malformed: identity */
    {"gzip;q=2", 0, 1000, false, true},
    {"gzip;q=0.1234", 0, 1000, false, true},
    {"gzip;q=.5", 0, 1000, false, true},
    {"gzip;q=", 0, 1000, false, true},
    {"gzip;level=9", 0, 1000, false, true},
    {"gzip;", 0, 1000, false, true},
    {"gzip q=0.5", 0, 1000, false, true},
    {"gzip;q=0.5 x", 0, 1000, false, true},
    {"\"gzip\"", 0, 1000, false, true},
    {";q=0.5", 0, 1000, false, true},
    {"gzip, deflate;q=abc", 0, 1000, false, true},     /* one bad element spoils the field */
};

static void test_accept_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        size_t n = strlen(r->value);
        struct coding_accept a;
        coding_accept_init(&a);
        int rc = coding_accept_line(&a, unit_guard_copy(r->value, n), n);
        if (rc != (r->bad ? -1 : 0) || coding_q_gzip(&a) != r->q_gzip ||
            coding_q_identity(&a) != r->q_identity || coding_accept_gzip(&a) != r->gzip)
            fail_msg("row %zu \"%s\": rc %d q_gzip %d q_identity %d gzip %d", i, r->value,
                     rc, coding_q_gzip(&a), coding_q_identity(&a), coding_accept_gzip(&a));
    }
}

/* No field: any coding is acceptable, but identity is sent (coding.h). */
static void test_accept_absent(void **state)
{
    (void)state;
    struct coding_accept a;
    coding_accept_init(&a);
    assert_false(coding_accept_gzip(&a));
    assert_int_equal(coding_q_identity(&a), 1000);
}

/* Several field lines are one list (section 5.3). */
static void test_accept_lines(void **state)
{
    (void)state;
    struct coding_accept a;
    coding_accept_init(&a);
    assert_int_equal(coding_accept_line(&a, "identity;q=0.9", 14), 0);
    assert_false(coding_accept_gzip(&a)); /* gzip unnamed, no "*": q=0 */
    assert_int_equal(coding_accept_line(&a, "gzip", 4), 0);
    assert_true(coding_accept_gzip(&a));
    assert_int_equal(coding_accept_line(&a, "gzip;q=x", 8), -1);
    assert_false(coding_accept_gzip(&a)); /* a malformed line spoils the field */
}

static void test_qvalue(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int q;
    } q[] = {{"0", 0}, {"1", 1000}, {"0.", 0}, {"1.", 1000}, {"0.5", 500}, {"0.05", 50},
             {"0.005", 5}, {"0.999", 999}, {"1.0", 1000}, {"1.00", 1000},
             {"1.000", 1000}, {"1.001", -1}, {"0.0000", -1}, {"2", -1}, {"", -1},
             {".5", -1}, {"0,5", -1}, {"0.5a", -1}, {"01", -1}, {"-0", -1}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        size_t n = strlen(q[i].s);
        int got = coding_qvalue(unit_guard_copy(q[i].s, n), n);
        if (got != q[i].q)
            fail_msg("qvalue \"%s\": got %d, want %d", q[i].s, got, q[i].q);
    }
}

static void test_compressible(void **state)
{
    (void)state;
    coding_configure(1, 256);
    assert_true(coding_compressible("text/html; charset=utf-8", 256));
    assert_true(coding_compressible("text/css", 100000));
    assert_true(coding_compressible("application/javascript; charset=utf-8", 4096));
    assert_true(coding_compressible("image/svg+xml", 4096));
    assert_true(coding_compressible("application/json", 4096));
    assert_false(coding_compressible("text/html", 255));        /* below the minimum */
    assert_false(coding_compressible("image/png", 100000));     /* compressed already */
    assert_false(coding_compressible("application/octet-stream", 100000));
    assert_false(coding_compressible("application/jsonx", 4096));
    assert_false(coding_compressible("text/", 4096));
    assert_true(coding_compressible("text/plain", CODING_MAX_SIZE));
    assert_false(coding_compressible("text/plain", CODING_MAX_SIZE + 1)); /* held whole */
    coding_configure(0, 256);
    assert_false(coding_compressible("text/html", 100000));     /* --gzip-level 0 */
    coding_configure(CODING_GZIP_LEVEL_DEFAULT, CODING_MIN_SIZE_DEFAULT);
}

/* gzip_bytes() at each level: a gzip stream (magic, deflate, no name)
 * that zlib inflates to the input, and the same bytes every time. */
static void test_gzip_round_trip(void **state)
{
    (void)state;
    size_t n = 100000;
    char *in = malloc(n), *back = malloc(n + 1);
    assert_non_null(in);
    assert_non_null(back);
    for (size_t i = 0; i < n; i++)
        in[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44] ^ (char)(i / 4096);
    for (int level = 1; level <= 9; level += 4) {
        char *z, *z2;
        size_t zlen, z2len;
        assert_int_equal(gzip_bytes(in, n, level, &z, &zlen), 0);
        assert_int_equal(gzip_bytes(in, n, level, &z2, &z2len), 0);
        assert_true(zlen > 18 && zlen < n / 4);
        assert_true((unsigned char)z[0] == 0x1f && (unsigned char)z[1] == 0x8b && z[2] == 8);
        assert_true(zlen == z2len && memcmp(z, z2, zlen) == 0);
        z_stream s = {0};
        assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
        s.next_in = (Bytef *)z;
        s.avail_in = (uInt)zlen;
        s.next_out = (Bytef *)back;
        s.avail_out = (uInt)(n + 1);
        assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
        assert_int_equal(s.total_out, n);
        assert_memory_equal(back, in, n);
        inflateEnd(&s);
        free(z);
        free(z2);
    }
    char *z;
    size_t zlen;
    assert_int_equal(gzip_bytes("", 0, 1, &z, &zlen), 0); /* an empty file too */
    assert_true(zlen >= 20);
    free(z);
    free(in);
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_table),  cmocka_unit_test(test_accept_absent),
        cmocka_unit_test(test_accept_lines),  cmocka_unit_test(test_qvalue),
        cmocka_unit_test(test_compressible),  cmocka_unit_test(test_gzip_round_trip),
    };
    return cmocka_run_group_tests(tests, unit_guard_map, unit_guard_unmap);
}
