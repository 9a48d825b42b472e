/* Unit tests of response heads, error pages and HTTP dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "response.h"

/* The value of header name in a response, or NULL. */
static const char *header(const char *resp, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "\r\n%s: ", name);
    const char *p = strstr(resp, key);
    const char *end = strstr(resp, "\r\n\r\n");
    if (!p || !end || p > end)
        return NULL;
    p += strlen(key);
    size_t n = (size_t)(strstr(p, "\r\n") - p);
    if (n >= cap)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static void format_date_is_imf_fixdate(void **state)
{
    (void)state;
    char buf[32];
    response_format_date(784111777, buf);
    assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    response_format_date(0, buf);
    assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void parse_date_accepts_the_three_forms(void **state)
{
    (void)state;
    static const char *forms[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    };
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        time_t t = 0;
        assert_int_equal(response_parse_date(forms[i], strlen(forms[i]), &t), 0);
        assert_int_equal(t, 784111777);
    }
}

static void parse_date_rejects_garbage(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "yesterday", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        time_t t = 0;
        assert_int_equal(response_parse_date(bad[i], strlen(bad[i]), &t), -1);
    }
}

static void date_round_trips(void **state)
{
    (void)state;
    char buf[32];
    for (time_t t = 0; t < 4000000000; t += 86399 * 37) {
        time_t back = 0;
        response_format_date(t, buf);
        assert_int_equal(response_parse_date(buf, strlen(buf), &back), 0);
        assert_int_equal(back, t);
    }
}

static void error_page_closes_and_counts_its_body(void **state)
{
    (void)state;
    static const int statuses[] = {400, 403, 404, 413, 414, 431, 500, 501, 505};
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        char out[2048], v[256], line[64];
        size_t n = response_error(out, sizeof out, statuses[i], NULL, false, false);
        assert_true(n > 0 && n < sizeof out);
        assert_int_equal(strlen(out), n);
        snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", statuses[i],
                 response_reason(statuses[i]));
        assert_memory_equal(out, line, strlen(line));
        assert_string_equal(header(out, "Connection", v, sizeof v), "close");
        assert_string_equal(header(out, "Content-Type", v, sizeof v),
                            "text/html; charset=utf-8");
        const char *body = strstr(out, "\r\n\r\n") + 4;
        assert_int_equal(atoi(header(out, "Content-Length", v, sizeof v)),
                         strlen(body));
        assert_non_null(strstr(body, "<html>"));
        assert_null(header(out, "Allow", v, sizeof v));
    }
}

static void method_not_allowed_lists_allow(void **state)
{
    (void)state;
    char out[2048], v[64];
    assert_true(response_error(out, sizeof out, 405, NULL, false, false) > 0);
    assert_string_equal(header(out, "Allow", v, sizeof v), "GET, HEAD");
}

static void head_only_error_has_length_but_no_body(void **state)
{
    (void)state;
    char out[2048], v[64];
    size_t n = response_error(out, sizeof out, 404, NULL, true, false);
    const char *end = strstr(out, "\r\n\r\n");
    assert_int_equal(n, (size_t)(end + 4 - out));
    assert_true(atoi(header(out, "Content-Length", v, sizeof v)) > 0);
}

static void redirect_carries_location_and_may_keep_alive(void **state)
{
    (void)state;
    char out[2048], v[256];
    assert_true(response_error(out, sizeof out, 301, "/sub/", false, true) > 0);
    assert_string_equal(header(out, "Location", v, sizeof v), "/sub/");
    assert_string_equal(header(out, "Connection", v, sizeof v), "keep-alive");
}

static void error_that_does_not_fit_returns_zero(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(response_error(out, sizeof out, 404, NULL, false, false), 0);
}

static void file_head_has_the_entry_lines(void **state)
{
    (void)state;
    struct file_entry f = {0};
    f.head_len = (size_t)snprintf(f.head_lines, sizeof f.head_lines,
                                  "Content-Type: text/css; charset=utf-8\r\n"
                                  "Content-Length: 42\r\n"
                                  "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
    char out[1024], v[128];
    size_t n = response_file_head(out, sizeof out, 200, &f, true);
    assert_int_equal(strlen(out), n);
    assert_memory_equal(out, "HTTP/1.1 200 OK\r\n", 17);
    assert_string_equal(header(out, "Server", v, sizeof v), RESPONSE_SERVER);
    assert_string_equal(header(out, "Date", v, sizeof v), response_date());
    assert_string_equal(header(out, "Content-Length", v, sizeof v), "42");
    assert_string_equal(header(out, "Connection", v, sizeof v), "keep-alive");
    assert_string_equal(out + n - 4, "\r\n\r\n");
    n = response_file_head(out, sizeof out, 304, &f, false);
    assert_memory_equal(out, "HTTP/1.1 304 Not Modified\r\n", 27);
    assert_string_equal(header(out, "Connection", v, sizeof v), "close");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_date_is_imf_fixdate),
        cmocka_unit_test(parse_date_accepts_the_three_forms),
        cmocka_unit_test(parse_date_rejects_garbage),
        cmocka_unit_test(date_round_trips),
        cmocka_unit_test(error_page_closes_and_counts_its_body),
        cmocka_unit_test(method_not_allowed_lists_allow),
        cmocka_unit_test(head_only_error_has_length_but_no_body),
        cmocka_unit_test(redirect_carries_location_and_may_keep_alive),
        cmocka_unit_test(error_that_does_not_fit_returns_zero),
        cmocka_unit_test(file_head_has_the_entry_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
