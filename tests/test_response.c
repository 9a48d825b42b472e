/* Unit tests of response heads and error pages (dates: test_http_date.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_date.h"
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
    assert_true(response_error(out, sizeof out, 301, "Location: /sub/\r\n", false, true) > 0);
    assert_string_equal(header(out, "Location", v, sizeof v), "/sub/");
    assert_string_equal(header(out, "Connection", v, sizeof v), "keep-alive");
}

static void error_that_does_not_fit_returns_zero(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(response_error(out, sizeof out, 404, NULL, false, false), 0);
}

/* An entry as files.c builds it: the lines in their order, and where the
 * Content-Length, Accept-Ranges and Last-Modified lines begin. */
static void make_entry(struct file_entry *f)
{
    static const char lines[] = "Content-Type: text/css; charset=utf-8\r\n"
                                "Content-Length: 42\r\n"
                                "Accept-Ranges: bytes\r\n"
                                "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                                "ETag: \"1-2a-3\"\r\n";
    memset(f, 0, sizeof *f);
    memcpy(f->head_lines, lines, sizeof lines);
    f->head_len = sizeof lines - 1;
    f->length_at = (size_t)(strstr(lines, "Content-Length") - lines);
    f->ranges_at = (size_t)(strstr(lines, "Accept-Ranges") - lines);
    f->validators_at = (size_t)(strstr(lines, "Last-Modified") - lines);
    f->size = 42;
}

#define ABSENT NULL
#define LM "Sun, 06 Nov 1994 08:49:37 GMT"

/* The head for each status: its first line and what each field must be. */
static const struct {
    int status;
    off_t first, len;
    bool keep_alive;
    const char *line;
    const char *fields[9][2]; /* name, value or ABSENT */
} head_cases[] = {
    {200, 0, 42, true, "HTTP/1.1 200 OK\r\n",
     {{"Server", RESPONSE_SERVER}, {"Content-Type", "text/css; charset=utf-8"},
      {"Content-Length", "42"}, {"Accept-Ranges", "bytes"}, {"Last-Modified", LM},
      {"ETag", "\"1-2a-3\""}, {"Content-Range", ABSENT}, {"Connection", "keep-alive"}}},
    /* RFC 9110 section 15.4.5: validators and Date, no representation
     * metadata. */
    {304, 0, 42, false, "HTTP/1.1 304 Not Modified\r\n",
     {{"ETag", "\"1-2a-3\""}, {"Last-Modified", LM}, {"Content-Type", ABSENT},
      {"Content-Length", ABSENT}, {"Accept-Ranges", ABSENT}, {"Connection", "close"}}},
    /* Section 14.4: the part's length and where it lies. */
    {206, 40, 2, true, "HTTP/1.1 206 Partial Content\r\n",
     {{"Content-Length", "2"}, {"Content-Range", "bytes 40-41/42"},
      {"Content-Type", "text/css; charset=utf-8"}, {"ETag", "\"1-2a-3\""},
      {"Last-Modified", LM}, {"Accept-Ranges", "bytes"}}},
};

static void file_heads_have_their_fields(void **state)
{
    (void)state;
    struct file_entry f;
    make_entry(&f);
    for (size_t i = 0; i < sizeof head_cases / sizeof *head_cases; i++) {
        char out[1024], v[128];
        size_t n = response_file_head(out, sizeof out, head_cases[i].status, &f,
                                      head_cases[i].first, head_cases[i].len,
                                      head_cases[i].keep_alive);
        assert_int_equal(strlen(out), n);
        assert_memory_equal(out, head_cases[i].line, strlen(head_cases[i].line));
        assert_string_equal(out + n - 4, "\r\n\r\n");
        assert_string_equal(header(out, "Date", v, sizeof v), response_date());
        for (size_t k = 0; head_cases[i].fields[k][0]; k++) {
            const char *name = head_cases[i].fields[k][0], *want = head_cases[i].fields[k][1];
            const char *got = header(out, name, v, sizeof v);
            if (want ? !got || strcmp(got, want) != 0 : got != NULL)
                fail_msg("%d: %s is %s, want %s", head_cases[i].status, name,
                         got ? got : "absent", want ? want : "absent");
        }
    }
}

/* Positions past 32 bits. */
static void partial_content_of_a_large_file(void **state)
{
    (void)state;
    struct file_entry f;
    make_entry(&f);
    f.size = 10000000000LL;
    char out[1024], v[128];
    assert_true(response_file_head(out, sizeof out, 206, &f, 9999999999LL, 1, true) > 0);
    assert_string_equal(header(out, "Content-Range", v, sizeof v),
                        "bytes 9999999999-9999999999/10000000000");
    assert_string_equal(header(out, "Content-Length", v, sizeof v), "1");
}

static void error_carries_extra_fields(void **state)
{
    (void)state;
    char out[2048], v[128];
    assert_true(response_error(out, sizeof out, 416, "Content-Range: bytes */42\r\n",
                               false, false) > 0);
    assert_memory_equal(out, "HTTP/1.1 416 Range Not Satisfiable\r\n", 36);
    assert_string_equal(header(out, "Content-Range", v, sizeof v), "bytes */42");
    assert_true(response_error(out, sizeof out, 412, NULL, true, false) > 0);
    assert_memory_equal(out, "HTTP/1.1 412 Precondition Failed\r\n", 34);
    assert_string_equal(out + strlen(out) - 4, "\r\n\r\n");
}

static void file_head_that_does_not_fit_returns_zero(void **state)
{
    (void)state;
    struct file_entry f;
    make_entry(&f);
    char out[128];
    assert_int_equal(response_file_head(out, sizeof out, 206, &f, 0, 1, true), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_page_closes_and_counts_its_body),
        cmocka_unit_test(method_not_allowed_lists_allow),
        cmocka_unit_test(head_only_error_has_length_but_no_body),
        cmocka_unit_test(redirect_carries_location_and_may_keep_alive),
        cmocka_unit_test(error_that_does_not_fit_returns_zero),
        cmocka_unit_test(file_heads_have_their_fields),
        cmocka_unit_test(partial_content_of_a_large_file),
        cmocka_unit_test(error_carries_extra_fields),
        cmocka_unit_test(file_head_that_does_not_fit_returns_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
