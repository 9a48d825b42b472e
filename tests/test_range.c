/* range_parse(): the Range field of RFC 9110 section 14.2 against a
 * representation of a given size, one table row per case.
 *
 * Every value is parsed from a copy that ends right before a PROT_NONE
 * page, so reading one byte past its length crashes the test. Each row is
 * also cut at every split point: every prefix of the value, against sizes
 * around the row's, must give what a second, independent reading of the
 * grammar gives (reference() below: split at commas, trim, match each piece
 * with a regular expression, convert with strtoull). A prefix is usually
 * another valid value ("bytes=0-9" -> "bytes=0-"), or none, so this checks
 * the parser on many more inputs than the table spells out. */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "range.h"
#include "unit_guard.h"

static regex_t int_range_re, suffix_re;

static int setup(void **state)
{
    if (regcomp(&int_range_re, "^([0-9]+)-([0-9]*)$", REG_EXTENDED) != 0 ||
        regcomp(&suffix_re, "^-([0-9]+)$", REG_EXTENDED) != 0)
        return -1;
    return unit_guard_map(state);
}

static int teardown(void **state)
{
    regfree(&int_range_re);
    regfree(&suffix_re);
    return unit_guard_unmap(state);
}

static enum range_result parse_guarded(const char *s, size_t n, off_t size, off_t *first,
                                       off_t *len)
{
    return range_parse(unit_guard_copy(s, n), n, size, first, len);
}

/* ---- The reference reading ------------------------------------------------ */

static int64_t ref_number(const char *s, size_t n)
{
    char buf[64];
    if (n >= sizeof buf)
        return INT64_MAX;
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    unsigned long long v = strtoull(buf, NULL, 10);
    return errno == ERANGE || v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* Resolves one trimmed piece; false if it is not a range-spec. */
static bool ref_spec(const char *piece, int64_t size, bool *ok, int64_t *f, int64_t *l)
{
    regmatch_t m[3];
    if (regexec(&suffix_re, piece, 3, m, 0) == 0) {
        int64_t b = ref_number(piece + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
        *ok = b > 0 && size > 0;
        *f = b >= size ? 0 : size - b;
        *l = size - *f;
        return true;
    }
    if (regexec(&int_range_re, piece, 3, m, 0) != 0)
        return false;
    int64_t a = ref_number(piece + m[1].rm_so, (size_t)(m[1].rm_eo - m[1].rm_so));
    int64_t b = m[2].rm_eo > m[2].rm_so
                    ? ref_number(piece + m[2].rm_so, (size_t)(m[2].rm_eo - m[2].rm_so))
                    : INT64_MAX;
    if (b < a)
        return false;
    *ok = a < size;
    *f = a;
    *l = (b >= size ? size - 1 : b) - a + 1;
    return true;
}

static enum range_result reference(const char *v, size_t n, int64_t size, int64_t *first,
                                   int64_t *len)
{
    char buf[1024];
    if (n >= sizeof buf || n < 6 || strncasecmp(v, "bytes=", 6) != 0 ||
        memchr(v, '\0', n))
        return RANGE_IGNORED;
    memcpy(buf, v + 6, n - 6);
    buf[n - 6] = '\0';
    int specs = 0, parts = 0;
    for (char *save = NULL, *piece = strtok_r(buf, ",", &save); piece;
         piece = strtok_r(NULL, ",", &save)) {
        while (*piece == ' ' || *piece == '\t')
            piece++;
        size_t k = strlen(piece);
        while (k > 0 && (piece[k - 1] == ' ' || piece[k - 1] == '\t'))
            piece[--k] = '\0';
        if (k == 0)
            continue;
        bool ok;
        int64_t f, l;
        if (!ref_spec(piece, size, &ok, &f, &l))
            return RANGE_IGNORED;
        specs++;
        if (ok && parts++ == 0) {
            *first = f;
            *len = l;
        }
    }
    if (specs == 0 || parts > 1)
        return RANGE_IGNORED;
    return parts == 0 ? RANGE_UNSATISFIABLE : RANGE_PART;
}

/* Parser and reference agree on s[0..n) for this size. */
static void agree(const char *s, size_t n, off_t size, const char *row)
{
    off_t f = -7, l = -7;
    int64_t rf = -7, rl = -7;
    enum range_result got = parse_guarded(s, n, size, &f, &l);
    enum range_result want = reference(s, n, size, &rf, &rl);
    if (got != want || (got == RANGE_PART && (f != rf || l != rl)))
        fail_msg("%s: %.*s (size %lld): got %d [%lld +%lld], reference %d [%lld +%lld]",
                 row, (int)n, s, (long long)size, got, (long long)f, (long long)l, want,
                 (long long)rf, (long long)rl);
}

/* ---- The table ------------------------------------------------------------ */

struct range_case {
    const char *in;
    off_t size;
    enum range_result want;
    off_t first, len; /* for RANGE_PART */
    const char *name;
};

#define P(in, size, first, len, name) {in, size, RANGE_PART, first, len, name}
#define U(in, size, name) {in, size, RANGE_UNSATISFIABLE, 0, 0, name}
#define I(in, size, name) {in, size, RANGE_IGNORED, 0, 0, name}

static const struct range_case cases[] = {
    /* One range of each form (section 14.1.2's own examples). */
    P("bytes=0-499", 10000, 0, 500, "range_first_500_bytes"),
    P("bytes=500-999", 10000, 500, 500, "range_second_500_bytes"),
    P("bytes=-500", 10000, 9500, 500, "range_final_500_bytes_suffix"),
    P("bytes=9500-", 10000, 9500, 500, "range_final_500_bytes_open"),
    P("bytes=0-0", 10000, 0, 1, "range_first_byte"),
    P("bytes=-1", 10000, 9999, 1, "range_last_byte_suffix"),
    P("bytes=9999-9999", 10000, 9999, 1, "range_last_byte"),
    P("bytes=0-", 10000, 0, 10000, "range_open_from_zero_is_whole"),
    /* Clipped to the representation (section 14.1.2). */
    P("bytes=9000-20000", 10000, 9000, 1000, "range_last_pos_beyond_end_is_clipped"),
    P("bytes=-20000", 10000, 0, 10000, "range_suffix_longer_than_file_is_whole"),
    P("bytes=0-99999999999999999999", 10, 0, 10, "range_huge_last_pos_is_clipped"),
    P("bytes=-99999999999999999999", 10, 0, 10, "range_huge_suffix_is_whole"),
    /* The unit and the list. */
    P("BYTES=1-2", 10, 1, 2, "range_unit_ignores_case"),
    P("Bytes=1-2", 10, 1, 2, "range_unit_mixed_case"),
    P("bytes=,1-2", 10, 1, 2, "range_leading_empty_element"),
    P("bytes=1-2,", 10, 1, 2, "range_trailing_empty_element"),
    P("bytes=1-2 , ,\t", 10, 1, 2, "range_empty_elements_with_ows"),
    P("bytes=007-008", 10, 7, 2, "range_leading_zeros"),
    /* Several ranges: one satisfiable is kept, two or more are ignored. */
    P("bytes=1-2,20-30", 10, 1, 2, "range_drops_unsatisfiable_second"),
    P("bytes=20-30, -0, 3-", 10, 3, 7, "range_keeps_the_one_satisfiable"),
    I("bytes=0-1,3-4", 10, "range_two_ranges_are_ignored"),
    I("bytes=0-1,0-1", 10, "range_repeated_range_is_ignored"),
    I("bytes=0-,-1", 10, "range_overlapping_ranges_are_ignored"),
    /* Unsatisfiable (section 14.1.1): 416. */
    U("bytes=10-", 10, "range_first_pos_at_end"),
    U("bytes=10-20", 10, "range_first_pos_at_end_with_last"),
    U("bytes=99999999999999999999-", 10, "range_huge_first_pos"),
    U("bytes=-0", 10, "range_zero_suffix"),
    U("bytes=0-", 0, "range_empty_file_from_zero"),
    U("bytes=-5", 0, "range_empty_file_suffix"),
    U("bytes=10-20, 30-40, -0", 10, "range_none_of_several"),
    /* Not a bytes range-set: ignored, 200 with the whole file. */
    I("", 10, "range_empty_value"),
    I("bytes", 10, "range_unit_alone"),
    I("bytes=", 10, "range_no_range_spec"),
    I("bytes=,", 10, "range_only_empty_elements"),
    I("bytes =0-1", 10, "range_space_before_equals"),
    I("bytes= 0-1x", 10, "range_garbage_after_spec"),
    I("items=0-1", 10, "range_other_unit"),
    I("byte=0-1", 10, "range_unit_misspelt"),
    I("bytes=1", 10, "range_no_dash"),
    I("bytes=-", 10, "range_dash_alone"),
    I("bytes=--1", 10, "range_two_dashes"),
    I("bytes=1-2-3", 10, "range_three_parts"),
    I("bytes=2-1", 10, "range_last_before_first"),
    I("bytes=+1-2", 10, "range_signed_first"),
    I("bytes=1-+2", 10, "range_signed_last"),
    I("bytes=-+1", 10, "range_signed_suffix"),
    I("bytes=1 -2", 10, "range_space_inside_spec"),
    I("bytes=1- 2", 10, "range_space_after_dash"),
    I("bytes=0x1-2", 10, "range_hex_position"),
    I("bytes=1.0-2", 10, "range_decimal_point"),
    I("bytes=0-1;2-3", 10, "range_semicolon_separator"),
    I("bytes=0-1 2-3", 10, "range_space_separator"),
    I("bytes=0-1,2-1", 10, "range_one_invalid_spec_spoils_the_set"),
    I("bytes=\"0-1\"", 10, "range_quoted_spec"),
};

static void test_range_case(void **state)
{
    const struct range_case *c = *state;
    size_t n = strlen(c->in);
    off_t first = -7, len = -7;
    enum range_result got = parse_guarded(c->in, n, c->size, &first, &len);
    assert_int_equal(got, c->want);
    if (got == RANGE_PART) {
        assert_int_equal(first, c->first);
        assert_int_equal(len, c->len);
    } else {
        assert_int_equal(first, -7); /* untouched */
        assert_int_equal(len, -7);
    }
    /* Every split point, against sizes around the row's. */
    static const off_t sizes[] = {0, 1, 2, 3, 9, 10, 11, 499, 500, 501, 9999, 10000,
                                  INT64_MAX};
    for (size_t k = 0; k <= n; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            agree(c->in, k, sizes[s], c->name);
    agree(c->in, n, c->size, c->name);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    static struct CMUnitTest tests[COUNT(cases)];
    for (size_t i = 0; i < COUNT(cases); i++)
        tests[i] = (struct CMUnitTest){cases[i].name, test_range_case, NULL, NULL,
                                       (void *)&cases[i]};
    return _cmocka_run_group_tests("range", tests, COUNT(cases), setup, teardown);
}
