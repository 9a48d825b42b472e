/* etag_list_match() and etag_strong_equal(): If-Match, If-None-Match and
 * If-Range values (RFC 9110 sections 8.8.3, 13.1.1, 13.1.2, 13.1.5) against
 * one strong tag, one table row per case. Values are parsed from a copy
 * that ends right before a PROT_NONE page, so an over-read crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "etag.h"
#include "unit_guard.h"

#define TAG "\"1a-2b-3c\""

struct etag_case {
    const char *in;
    bool strong;  /* etag_list_match(..., ETAG_STRONG): If-Match */
    bool weak;    /* etag_list_match(..., ETAG_WEAK): If-None-Match */
    bool equal;   /* etag_strong_equal: If-Range */
    const char *name;
};

static const struct etag_case cases[] = {
    {TAG, true, true, true, "etag_same_tag"},
    {"W/" TAG, false, true, false, "etag_weak_form_matches_only_weakly"},
    {"*", true, true, false, "etag_star_matches_any_current_file"},
    {"\"other\"", false, false, false, "etag_other_tag"},
    {"\"other\", " TAG, true, true, false, "etag_second_in_list"},
    {"\"a\",W/" TAG ",\"b\"", false, true, false, "etag_weak_in_list"},
    {"\"a\" ,\t" TAG "\t, \"b\"", true, true, false, "etag_list_with_ows"},
    {", ," TAG ",", true, true, false, "etag_list_with_empty_elements"},
    {"\"1a-2b-3c", false, false, false, "etag_unterminated"},
    {"1a-2b-3c", false, false, false, "etag_without_quotes"},
    {"\"1A-2B-3C\"", false, false, false, "etag_compares_bytes_exactly"},
    {"w/" TAG, false, false, false, "etag_weak_prefix_is_case_sensitive"},
    {"W/ " TAG, false, false, false, "etag_no_space_after_weak_prefix"},
    {"\"a,b\", " TAG, true, true, false, "etag_comma_inside_a_tag"},
    {"\"a b\", " TAG, false, false, false, "etag_space_inside_a_tag_spoils_the_rest"},
    {"\"a\" x, " TAG, false, false, false, "etag_garbage_after_a_tag_spoils_the_rest"},
    {TAG " x", true, true, false, "etag_match_before_garbage_holds"},
    {"*, " TAG, false, false, false, "etag_star_in_a_list_is_not_star"},
    {"\"*\"", false, false, false, "etag_quoted_star_is_a_tag"},
    {"", false, false, false, "etag_empty_value"},
    {",", false, false, false, "etag_only_commas"},
    {TAG TAG, true, true, false, "etag_two_tags_without_comma_first_matches"},
};

static bool list_match(const char *in, size_t n, enum etag_cmp cmp)
{
    return etag_list_match(unit_guard_copy(in, n), n, TAG, strlen(TAG), cmp);
}

static bool strong_equal(const char *in, size_t n)
{
    return etag_strong_equal(unit_guard_copy(in, n), n, TAG, strlen(TAG));
}

static void test_etag_case(void **state)
{
    const struct etag_case *c = *state;
    size_t n = strlen(c->in), t = strlen(TAG);
    assert_int_equal(list_match(c->in, n, ETAG_STRONG), c->strong);
    assert_int_equal(list_match(c->in, n, ETAG_WEAK), c->weak);
    assert_int_equal(strong_equal(c->in, n), c->equal);
    /* Every prefix: no over-read, and only the tag itself is equal to it. */
    for (size_t k = 0; k < n; k++) {
        list_match(c->in, k, ETAG_WEAK);
        assert_int_equal(strong_equal(c->in, k), k == t && memcmp(c->in, TAG, t) == 0);
    }
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    static struct CMUnitTest tests[COUNT(cases)];
    for (size_t i = 0; i < COUNT(cases); i++)
        tests[i] = (struct CMUnitTest){cases[i].name, test_etag_case, NULL, NULL,
                                       (void *)&cases[i]};
    return _cmocka_run_group_tests("etag", tests, COUNT(cases), unit_guard_map,
                                   unit_guard_unmap);
}
