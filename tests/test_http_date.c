/* http_date_format() and http_date_parse(): the IMF-fixdate responses carry
 * and the three forms RFC 9110 section 5.6.7 asks a recipient to accept,
 * one table row per case. Every input is parsed from a copy that ends right
 * before a PROT_NONE page, so reading one byte past len crashes the test,
 * and every proper prefix of a valid date must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_date.h"
#include "unit_guard.h"

#define SUN_06_NOV_1994 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

static int parse_guarded(const char *s, size_t n, time_t *t)
{
    return http_date_parse(unit_guard_copy(s, n), n, t);
}

/* The year a two-digit RFC 850 year stands for, by the rule of 5.6.7. */
static int this_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

static void format_date_is_imf_fixdate(void **state)
{
    (void)state;
    char buf[HTTP_DATE_SIZE];
    http_date_format(SUN_06_NOV_1994, buf);
    assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_date_format(0, buf);
    assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
}

struct date_case {
    const char *in;
    long long want; /* seconds since the epoch, when not REFUSED */
};

#define REFUSED LLONG_MIN

static const struct date_case cases[] = {
    /* The three forms of one instant (section 5.6.7's own example). */
    {"Sun, 06 Nov 1994 08:49:37 GMT", SUN_06_NOV_1994},
    {"Sun Nov  6 08:49:37 1994", SUN_06_NOV_1994},
    {"Sun Nov 06 08:49:37 1994", SUN_06_NOV_1994},
    {"Sunday, 06-Nov-94 08:49:37 GMT", SUN_06_NOV_1994},
    /* Dates that exist at the edges of the calendar. */
    {"Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
    {"Tue, 29 Feb 2000 12:00:00 GMT", 951825600},
    {"Fri, 31 Dec 1999 23:59:59 GMT", 946684799},
    {"Sat, 31 Dec 2016 23:59:60 GMT", 1483228800}, /* a leap second */
    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
    {"Wed, 31 Dec 1969 23:59:59 GMT", -1}, /* one second before */
    /* The day name is checked as a name, not against the date. */
    {"Mon, 06 Nov 1994 08:49:37 GMT", SUN_06_NOV_1994},
    /* Refused: dates that do not exist. */
    {"Wed, 29 Feb 2023 00:00:00 GMT", REFUSED},
    {"Mon, 29 Feb 1900 00:00:00 GMT", REFUSED},
    {"Sun, 31 Apr 1994 00:00:00 GMT", REFUSED},
    {"Sun, 00 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 32 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 06 Nov 1994 24:00:00 GMT", REFUSED},
    {"Sun, 06 Nov 1994 08:60:37 GMT", REFUSED},
    {"Sun, 06 Nov 1994 08:49:61 GMT", REFUSED},
    /* Refused: not the grammar. */
    {"", REFUSED},
    {"yesterday", REFUSED},
    {"Sun, 06 Foo 1994 08:49:37 GMT", REFUSED},
    {"sun, 06 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 06 nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37 gmt", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37 UTC", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37 +0000", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37 GMT trailing", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37 GMT ", REFUSED},
    {" Sun, 06 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun,  6 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 6 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, +6 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 06 Nov 94 08:49:37 GMT", REFUSED},
    {"Sun, 06 Nov 01994 08:49:37 GMT", REFUSED},
    {"Sun, 06 Nov 1994 8:49:37 GMT", REFUSED},
    {"Sun, 06 Nov 1994 08:49 GMT", REFUSED},
    {"Sun,06 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sunday, 06 Nov 1994 08:49:37 GMT", REFUSED},
    {"Sun, 06-Nov-94 08:49:37 GMT", REFUSED},
    {"Sunday, 06-Nov-1994 08:49:37 GMT", REFUSED},
    {"Sunday, 06-Nov-94 08:49:37", REFUSED},
    {"Sun Nov 6 08:49:37 1994", REFUSED},
    {"Sun Nov  6 08:49:37 94", REFUSED},
    {"Sun Nov  6 08:49:37 1994 GMT", REFUSED},
    {"Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT", REFUSED},
};

static void parse_date_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct date_case *c = &cases[i];
        size_t n = strlen(c->in);
        time_t t = 12345;
        int r = parse_guarded(c->in, n, &t);
        if (r != (c->want == REFUSED ? -1 : 0))
            fail_msg("%s: got %d", c->in, r);
        if (r == 0 && (long long)t != c->want)
            fail_msg("%s: got %lld, want %lld", c->in, (long long)t, c->want);
        /* No proper prefix of a valid date is one. */
        for (size_t k = 0; r == 0 && k < n; k++)
            if (parse_guarded(c->in, k, &t) == 0)
                fail_msg("%s: its prefix of %zu bytes parsed", c->in, k);
    }
}

/* RFC 850's two-digit year: within 50 years of now (section 5.6.7). */
static void parse_date_reads_two_digit_years_near_now(void **state)
{
    (void)state;
    int now = this_year();
    for (int yy = 0; yy < 100; yy++) {
        char in[64], back[HTTP_DATE_SIZE];
        snprintf(in, sizeof in, "Monday, 01-Jan-%02d 00:00:00 GMT", yy);
        time_t t;
        assert_int_equal(parse_guarded(in, strlen(in), &t), 0);
        http_date_format(t, back);
        int year = atoi(back + 12);
        if (year % 100 != yy || year > now + 50 || year <= now - 50)
            fail_msg("%s read as the year %d (now %d)", in, year, now);
    }
}

static void date_round_trips(void **state)
{
    (void)state;
    char buf[HTTP_DATE_SIZE];
    for (time_t t = 0; t < 4000000000; t += 86399 * 37) {
        time_t back = 0;
        http_date_format(t, buf);
        assert_int_equal(parse_guarded(buf, strlen(buf), &back), 0);
        assert_int_equal(back, t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_date_is_imf_fixdate),
        cmocka_unit_test(parse_date_table),
        cmocka_unit_test(parse_date_reads_two_digit_years_near_now),
        cmocka_unit_test(date_round_trips),
    };
    return cmocka_run_group_tests(tests, unit_guard_map, unit_guard_unmap);
}
