/* http_parse_request(): every rule of the request-head grammar, one table row
 * per case, each row its own named cmocka test.
 *
 * Every input is parsed from a copy that ends right before a PROT_NONE page,
 * so reading one byte past len crashes the test. Each row is also fed at
 * every split point, as bytes would arrive from a socket:
 *   - valid rows: every proper prefix returns 0, the whole input returns its
 *     length, and the parsed fields are checked;
 *   - error rows: the prefixes return 0 until the error becomes detectable,
 *     then that same status for every longer prefix, and the whole input
 *     returns it. A row that ends right where its line ends thus proves the
 *     error is reported without waiting for more input;
 *   - deferred rows (405, 501, 413 and the checks that need the whole head):
 *     every proper prefix returns 0, so the status is not given before the
 *     head is complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_parse.h"

/* ---- Guard page ---------------------------------------------------------- */

/* Large enough for the limit tests (a head just over HTTP_MAX_HEAD). */
#define GUARD_CAP (64 * 1024)

static char *guard_base;  /* GUARD_CAP usable bytes, then a PROT_NONE page */
static size_t page_size;

static int map_guard(void **state)
{
    (void)state;
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    guard_base = mmap(NULL, GUARD_CAP + page_size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED)
        return -1;
    return mprotect(guard_base + GUARD_CAP, page_size, PROT_NONE);
}

static int unmap_guard(void **state)
{
    (void)state;
    return munmap(guard_base, GUARD_CAP + page_size);
}

/* Copies s[0..n) so that it ends at the guard page and parses it there. The
 * copy's address is returned in *at so pointers in req can be checked. */
static int parse_guarded(const char *s, size_t n, struct http_request *req,
                         const char **at)
{
    assert_true(n <= GUARD_CAP);
    char *p = guard_base + GUARD_CAP - n;
    memcpy(p, s, n);
    if (at != NULL)
        *at = p;
    return http_parse_request(p, n, req);
}

static int parse_len(const char *s, size_t n)
{
    struct http_request req;
    return parse_guarded(s, n, &req, NULL);
}

/* ---- Valid requests ------------------------------------------------------ */

struct valid_case {
    const char *in;
    size_t len;
    enum http_method method;
    const char *target;
    int minor;
    bool keep_alive;
    int64_t content_length;
    const char *ims; /* expected If-Modified-Since value, NULL when absent */
    const char *name;
};

#define V(in, m, target, minor, ka, cl, ims, name) \
    {in, sizeof(in) - 1, m, target, minor, ka, cl, ims, name}
/* The rest of a valid HTTP/1.1 request line and its Host field: most rows
 * are "METHOD /target" H11 "more fields\r\n" "\r\n". */
#define H11 " HTTP/1.1\r\nHost: a\r\n"
#define IMS "Sat, 29 Oct 1994 19:43:31 GMT"

static const struct valid_case valid_cases[] = {
    V("GET /" H11 "\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_get_http11_with_host"),
    V("HEAD /x" H11 "\r\n", HTTP_HEAD, "/x", 1, true, 0, NULL, "parse_accepts_head"),
    V("GET / HTTP/1.0\r\n\r\n", HTTP_GET, "/", 0, false, 0, NULL, "parse_accepts_http10_without_host"),
    V("GET / HTTP/1.0\r\nHost: a\r\n\r\n", HTTP_GET, "/", 0, false, 0, NULL, "parse_accepts_http10_with_one_host"),
    V("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HTTP_GET, "/", 0, true, 0, NULL, "parse_http10_keeps_alive_on_keep_alive_token"),
    V("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", HTTP_GET, "/", 0, true, 0, NULL, "parse_connection_tokens_ignore_case"),
    V("GET / HTTP/1.0\r\nConnection: foo\r\nConnection: keep-alive\r\n\r\n", HTTP_GET, "/", 0, true, 0, NULL, "parse_http10_combines_connection_fields"),
    V("GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n\r\n", HTTP_GET, "/", 0, false, 0, NULL, "parse_http10_close_wins_over_keep_alive"),
    V("GET / HTTP/1.0\r\nConnection: keep-alives\r\n\r\n", HTTP_GET, "/", 0, false, 0, NULL, "parse_http10_needs_exact_keep_alive_token"),
    V("GET /" H11 "Connection: close\r\n\r\n", HTTP_GET, "/", 1, false, 0, NULL, "parse_http11_closes_on_close_token"),
    V("GET /" H11 "Connection: CLOSE\r\n\r\n", HTTP_GET, "/", 1, false, 0, NULL, "parse_close_token_ignores_case"),
    V("GET /" H11 "Connection: keep-alive, close\r\n\r\n", HTTP_GET, "/", 1, false, 0, NULL, "parse_http11_close_wins_over_keep_alive"),
    V("GET /" H11 "Connection: Upgrade,\t close \t\r\n\r\n", HTTP_GET, "/", 1, false, 0, NULL, "parse_connection_list_trims_ows"),
    V("GET /" H11 "Connection: ,,close,\r\n\r\n", HTTP_GET, "/", 1, false, 0, NULL, "parse_connection_list_skips_empty_elements"),
    V("GET /" H11 "Connection: closed\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_http11_needs_exact_close_token"),
    V("GET /" H11 "Connection: keep-alive\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_http11_keeps_alive_by_default"),
    V("GET /" H11 "Transfer-Encoding: chunked\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_chunked_alone"),
    V("GET /" H11 "Transfer-Encoding: Chunked\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_transfer_coding_names_ignore_case"),
    V("GET /" H11 "Transfer-Encoding: ,chunked,\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_skips_empty_transfer_coding_elements"),
    V("HEAD /" H11 "Transfer-Encoding: chunked\r\n\r\n", HTTP_HEAD, "/", 1, true, 0, NULL, "parse_accepts_chunked_on_head"),
    V("GET /" H11 "Content-Length: 0\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_content_length_zero"),
    V("GET /" H11 "Content-Length: 10\r\n\r\n", HTTP_GET, "/", 1, true, 10, NULL, "parse_reports_content_length"),
    V("GET /" H11 "Content-Length: 1048576\r\n\r\n", HTTP_GET, "/", 1, true, 1048576, NULL, "parse_accepts_content_length_at_max_body"),
    V("GET /" H11 "Content-Length: 007\r\n\r\n", HTTP_GET, "/", 1, true, 7, NULL, "parse_accepts_content_length_leading_zeros"),
    V("GET /" H11 "content-LENGTH:\t3 \r\n\r\n", HTTP_GET, "/", 1, true, 3, NULL, "parse_content_length_name_ignores_case"),
    V("GET /" H11 "If-Modified-Since: " IMS "\r\n\r\n", HTTP_GET, "/", 1, true, 0, IMS, "parse_stores_if_modified_since"),
    V("GET /" H11 "if-modified-since:" IMS " \t \r\n\r\n", HTTP_GET, "/", 1, true, 0, IMS, "parse_trims_if_modified_since"),
    V("GET /" H11 "If-Modified-Since: " IMS "\r\nIf-Modified-Since: x\r\n\r\n", HTTP_GET, "/", 1, true, 0, IMS, "parse_keeps_first_if_modified_since_and_counts"),
    V("GET /" H11 "If-Modified-Since:\r\n\r\n", HTTP_GET, "/", 1, true, 0, "", "parse_stores_empty_if_modified_since"),
    V("GET / HTTP/1.1\r\nHOST: a\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_host_name_ignores_case"),
    V("GET / HTTP/1.1\r\nHost:\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_empty_host_value"),
    V("GET / HTTP/1.1\r\nHost:\t a \t\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_trims_ows_around_values"),
    V("GET /" H11 "X-Empty:\r\nX-Blank:  \r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_empty_values"),
    V("GET /" H11 "X-Utf8: caf\xc3\xa9\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_obs_text_in_values"),
    V("GET /" H11 "X-Tab: a\tb\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_htab_inside_values"),
    V("GET /" H11 "X-Colon: a:b: c\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_colons_in_values"),
    V("GET /" H11 "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_every_tchar_in_names"),
    V("GET / HTTP/1.0\r\nHose: a\r\nTransfer-Encodinf: x\r\nContent-Lengthy: x\r\n\r\n", HTTP_GET, "/", 0, false, 0, NULL, "parse_ignores_fields_that_only_share_a_length"),
    V("\r\nGET /" H11 "\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_skips_a_leading_empty_line"),
    V("\r\n\r\n\r\nGET /" H11 "\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_skips_several_leading_empty_lines"),
    V("GET http://example.com/a?b" H11 "\r\n", HTTP_GET, "http://example.com/a?b", 1, true, 0, NULL, "parse_accepts_absolute_form_http"),
    V("GET HTTPS://example.com" H11 "\r\n", HTTP_GET, "HTTPS://example.com", 1, true, 0, NULL, "parse_accepts_absolute_form_https_any_case"),
    V("GET http://[::1]:8080/a" H11 "\r\n", HTTP_GET, "http://[::1]:8080/a", 1, true, 0, NULL, "parse_accepts_absolute_form_with_ipv6_and_port"),
    V("GET http://a?q" H11 "\r\n", HTTP_GET, "http://a?q", 1, true, 0, NULL, "parse_accepts_absolute_form_with_query_only"),
    V("GET http://a:/x" H11 "\r\n", HTTP_GET, "http://a:/x", 1, true, 0, NULL, "parse_accepts_absolute_form_with_empty_port"),
    V("GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n", HTTP_GET, "http://a.example/x", 1, true, 0, NULL, "parse_accepts_absolute_form_with_other_host"),
    /* A higher HTTP/1 minor version is read as 1.1 (RFC 9110 section 2.5). */
    V("GET /" " HTTP/1.2\r\nHost: a\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_reads_http12_as_http11"),
    V("HEAD /x HTTP/1.9\r\nHost: a\r\nConnection: close\r\n\r\n", HTTP_HEAD, "/x", 1, false, 0, NULL, "parse_reads_http19_as_http11"),
    /* Host is uri-host [":" port] (RFC 9112 section 3.2); the grammar's
     * cases are in test_uri.c, these show the parser applies it. */
    V("GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_host_with_port"),
    V("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", HTTP_GET, "/", 1, true, 0, NULL, "parse_accepts_ipv6_host"),
    V("GET /a%20b?q=1&r=[x]#frag" H11 "\r\n", HTTP_GET, "/a%20b?q=1&r=[x]#frag", 1, true, 0, NULL, "parse_leaves_target_undecoded"),
    V("GET /../etc/passwd" H11 "\r\n", HTTP_GET, "/../etc/passwd", 1, true, 0, NULL, "parse_leaves_dot_segments_to_path"),
    V("GET // HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n", HTTP_GET, "//", 1, true, 0, NULL, "parse_accepts_several_fields"),
};

static void test_valid_case(void **state)
{
    const struct valid_case *c = *state;
    struct http_request req;
    const char *at;

    for (size_t k = 0; k < c->len; k++)
        assert_int_equal(parse_len(c->in, k), 0);

    assert_int_equal(parse_guarded(c->in, c->len, &req, &at), (int)c->len);
    assert_int_equal(req.method, c->method);
    assert_int_equal(req.target_len, strlen(c->target));
    assert_memory_equal(req.target, c->target, req.target_len);
    assert_true(req.target > at && req.target + req.target_len < at + c->len);
    assert_int_equal(req.minor_version, c->minor);
    assert_int_equal(req.keep_alive, c->keep_alive);
    assert_int_equal(req.content_length, c->content_length);
    const struct http_field *ims = http_field(&req, HTTP_IF_MODIFIED_SINCE);
    if (c->ims == NULL) {
        assert_null(ims);
    } else {
        assert_non_null(ims);
        assert_int_equal(ims->len, strlen(c->ims));
        assert_memory_equal(ims->value, c->ims, strlen(c->ims));
        assert_true(ims->value >= at && ims->value <= at + c->len);
    }
    assert_true(req.head_end == at + c->len);

    /* Bytes after the head (a body, the next request) change nothing. */
    char more[512];
    assert_true(c->len + 4 <= sizeof more);
    memcpy(more, c->in, c->len);
    memcpy(more + c->len, "GET ", 4);
    assert_int_equal(parse_len(more, c->len + 4), (int)c->len);
}

/* ---- Errors -------------------------------------------------------------- */

struct error_case {
    const char *in;
    size_t len;
    int status;
    const char *name;
};

#define E(in, status, name) {in, sizeof(in) - 1, status, name}

/* Reported as soon as detectable: most rows end where their line ends. */
static const struct error_case error_cases[] = {
    /* Method */
    E("G@T / HTTP/1.1\r\n", 400, "parse_rejects_non_token_byte_in_method"),
    E("GE(T / HTTP/1.1\r\n", 400, "parse_rejects_paren_in_method"),
    E(" / HTTP/1.1\r\n", 400, "parse_rejects_empty_method"),
    E("\r\n / HTTP/1.1\r\n", 400, "parse_rejects_empty_method_after_empty_line"),
    E("GET\r\n", 400, "parse_rejects_method_alone"),
    E("GET\t/ HTTP/1.1\r\n", 400, "parse_rejects_htab_after_method"),
    E("G\xc3\x89T / HTTP/1.1\r\n", 400, "parse_rejects_non_ascii_method"),
    E("POST / HTTP/1.1\r\nBad Name: x\r\n", 400, "parse_post_with_bad_header_gets_400_not_405"),
    E("FOO / HTTP/1.1\r\nX\r\n", 400, "parse_unknown_method_with_bad_header_gets_400_not_501"),
    /* Version */
    E("GET /\r\n", 400, "parse_rejects_http09_request_line_at_once"),
    E("GET / \r\n", 400, "parse_rejects_empty_version"),
    E("GET  / HTTP/1.1\r\n", 400, "parse_rejects_double_space_before_target"),
    E("GET /  HTTP/1.1\r\n", 400, "parse_rejects_double_space_before_version"),
    E("GET / HTTP/1.1 \r\n", 400, "parse_rejects_space_after_version"),
    E("GET / http/1.1\r\n", 400, "parse_rejects_lowercase_version"),
    E("GET / HTTP/1.\r\n", 400, "parse_rejects_version_without_minor"),
    E("GET / HTTP/11\r\n", 400, "parse_rejects_version_without_dot"),
    E("GET / HTTP/1.10\r\n", 400, "parse_rejects_two_digit_minor"),
    E("GET / HTTP/10.1\r\n", 400, "parse_rejects_two_digit_major"),
    E("GET / HTTP/a.b\r\n", 400, "parse_rejects_letters_in_version"),
    E("GET / HTTPS/1.1\r\n", 400, "parse_rejects_wrong_protocol_name"),
    E("GET / HTTP/2.0\r\n", 505, "parse_rejects_http20_with_505_at_once"),
    E("GET / HTTP/3.0\r\n", 505, "parse_rejects_http30_with_505"),
    E("GET / HTTP/2.1\r\n", 505, "parse_rejects_http21_with_505"),
    E("GET / HTTP/0.9\r\n", 505, "parse_rejects_http09_version_with_505"),
    E("POST / HTTP/2.0\r\n", 505, "parse_version_505_comes_before_method_405"),
    E("GET * HTTP/2.0\r\n", 400, "parse_bad_target_400_comes_before_505"),
    /* Target */
    E("GET * HTTP/1.1\r\n", 400, "parse_rejects_asterisk_form"),
    E("HEAD * HTTP/1.1\r\n", 400, "parse_rejects_asterisk_form_for_head"),
    E("OPTIONS *x HTTP/1.1\r\n", 400, "parse_rejects_asterisk_with_more"),
    E("OPTIONS ** HTTP/1.1\r\n", 400, "parse_rejects_two_asterisks"),
    E("OPTIONS a:80 HTTP/1.1\r\n", 400, "parse_rejects_authority_form_for_options"),
    E("CONNECT a HTTP/1.1\r\n", 400, "parse_rejects_authority_form_without_port"),
    E("CONNECT :443 HTTP/1.1\r\n", 400, "parse_rejects_authority_form_without_host"),
    E("CONNECT u@a:443 HTTP/1.1\r\n", 400, "parse_rejects_authority_form_with_userinfo"),
    E("CONNECT * HTTP/1.1\r\n", 400, "parse_rejects_asterisk_form_for_connect"),
    E("GET http://u:p@a/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_userinfo"),
    E("GET http://@a/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_empty_userinfo"),
    E("GET http://a:x/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_bad_port"),
    E("GET http://a:80:80/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_two_ports"),
    E("GET http://[::1/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_open_ip_literal"),
    E("GET http://[::g]/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_bad_ipv6"),
    E("GET http://:80/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_port_but_no_host"),
    E("GET http://a<b/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_bad_host_byte"),
    E("GET http://a%zz/ HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_bad_escape_in_host"),
    E("GET a/b HTTP/1.1\r\n", 400, "parse_rejects_relative_target"),
    E("GET example.com:80 HTTP/1.1\r\n", 400, "parse_rejects_authority_form"),
    E("GET ftp://a/b HTTP/1.1\r\n", 400, "parse_rejects_other_schemes"),
    E("GET http:/a HTTP/1.1\r\n", 400, "parse_rejects_malformed_scheme"),
    E("GET http:// HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_without_authority"),
    E("GET http:///a HTTP/1.1\r\n", 400, "parse_rejects_absolute_form_with_empty_authority"),
    E("GET /caf\xc3\xa9 HTTP/1.1\r\n", 400, "parse_rejects_non_ascii_target"),
    E("GET /a\x7f", 400, "parse_rejects_del_in_target_at_once"),
    E("GET /a\x01", 400, "parse_rejects_control_byte_in_target_at_once"),
    E("GET /a\0b HTTP/1.1\r\n", 400, "parse_rejects_nul_in_target"),
    E("GET /a\tb HTTP/1.1\r\n", 400, "parse_rejects_htab_in_target"),
    /* Line endings */
    E("GET / HTTP/1.1\n", 400, "parse_rejects_bare_lf_after_request_line"),
    E("GET / HTTP/1.1\rX", 400, "parse_rejects_cr_without_lf_in_request_line"),
    E("GET / HTTP/1.1\r\r\n", 400, "parse_rejects_double_cr"),
    E("\n", 400, "parse_rejects_leading_bare_lf"),
    E("\r\r\n", 400, "parse_rejects_leading_cr_without_lf"),
    E("GET / HTTP/1.1\r\nHost: a\n", 400, "parse_rejects_bare_lf_after_field"),
    E("GET / HTTP/1.1\r\nHost: a\rb", 400, "parse_rejects_cr_without_lf_in_value"),
    E("GET / HTTP/1.1\r\nHost: a\r\n\n", 400, "parse_rejects_bare_lf_as_final_line"),
    E("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400, "parse_rejects_cr_without_lf_in_final_line"),
    E("GET / HTTP/1.0\n\n", 400, "parse_rejects_lf_only_request"),
    /* Field lines */
    E("GET / HTTP/1.1\r\nHost : a\r\n", 400, "parse_rejects_space_before_colon"),
    E("GET / HTTP/1.1\r\nHost\t: a\r\n", 400, "parse_rejects_htab_before_colon"),
    E("GET / HTTP/1.1\r\nHost a\r\n", 400, "parse_rejects_field_without_colon"),
    E("GET / HTTP/1.1\r\nHost\r\n", 400, "parse_rejects_name_without_colon"),
    E("GET / HTTP/1.1\r\n: a\r\n", 400, "parse_rejects_empty_field_name"),
    E("GET / HTTP/1.1\r\n a: b\r\n", 400, "parse_rejects_space_at_field_line_start"),
    E("GET / HTTP/1.1\r\nHost: a\r\n b\r\n", 400, "parse_rejects_obs_fold_continuation"),
    E("GET / HTTP/1.1\r\nHost: a\r\n\tb\r\n", 400, "parse_rejects_obs_fold_with_htab"),
    E("GET / HTTP/1.1\r\nX(y): a\r\n", 400, "parse_rejects_non_token_byte_in_name"),
    E("GET / HTTP/1.1\r\nX\xc3\xa9: a\r\n", 400, "parse_rejects_non_ascii_name"),
    E("GET / HTTP/1.1\r\nX: a\x01" "b\r\n", 400, "parse_rejects_control_byte_in_value"),
    E("GET / HTTP/1.1\r\nX: a\x7f" "b\r\n", 400, "parse_rejects_del_in_value"),
    E("GET / HTTP/1.1\r\nX: a\0b\r\n", 400, "parse_rejects_nul_in_value"),
    E("GET / HTTP/1.1\r\nX: a\x1b" "b\r\n", 400, "parse_rejects_escape_in_value"),
    /* Host */
    E("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n", 400, "parse_rejects_two_hosts_on_http11"),
    E("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n", 400, "parse_rejects_two_hosts_on_http10"),
    E("GET / HTTP/1.1\r\nHost: host.example/other HTTP\r\n", 400, "parse_rejects_host_with_path_and_space"),
    E("GET / HTTP/1.0\r\nHost: a/b\r\n", 400, "parse_rejects_bad_host_on_http10"),
    E("GET / HTTP/1.1\r\nHost: u@a\r\n", 400, "parse_rejects_host_with_userinfo"),
    E("GET / HTTP/1.1\r\nHost: [zz::1]\r\n", 400, "parse_rejects_bad_ipv6_host"),
    /* Content-Length */
    E("GET / HTTP/1.1\r\nContent-Length: -1\r\n", 400, "parse_rejects_negative_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: +5\r\n", 400, "parse_rejects_signed_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: 1 2\r\n", 400, "parse_rejects_space_inside_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length:\r\n", 400, "parse_rejects_empty_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length:   \r\n", 400, "parse_rejects_blank_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: 5a\r\n", 400, "parse_rejects_content_length_with_letters"),
    E("GET / HTTP/1.1\r\nContent-Length: 0x10\r\n", 400, "parse_rejects_hex_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: 5.0\r\n", 400, "parse_rejects_decimal_point_in_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: 5, 6\r\n", 400, "parse_rejects_differing_content_length_list"),
    E("GET / HTTP/1.1\r\nContent-Length: 5, 5\r\n", 400, "parse_rejects_identical_content_length_list"),
    E("GET / HTTP/1.1\r\nContent-Length: 1000,1000\r\n", 400, "parse_rejects_content_length_list_without_spaces"),
    E("GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n", 400, "parse_rejects_repeated_identical_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: \"5\"\r\n", 400, "parse_rejects_quoted_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: 1e3\r\n", 400, "parse_rejects_exponent_in_content_length"),
    E("GET / HTTP/1.1\r\nContent-Length: 5,\r\n", 400, "parse_rejects_content_length_list_with_empty_element"),
    E("GET / HTTP/1.1\r\nContent-Length: ,5\r\n", 400, "parse_rejects_content_length_list_with_leading_comma"),
    E("GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n", 400, "parse_rejects_differing_content_length_fields"),
    E("GET / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n", 400, "parse_rejects_content_length_over_int64"),
    E("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n", 400, "parse_rejects_content_length_far_over_int64"),
};

/* Reported only once the whole head is there. */
static const struct error_case deferred_cases[] = {
    E("POST /" H11 "\r\n", 405, "parse_rejects_post_with_405"),
    E("PUT /" H11 "\r\n", 405, "parse_rejects_put_with_405"),
    E("DELETE /" H11 "\r\n", 405, "parse_rejects_delete_with_405"),
    E("PATCH /" H11 "\r\n", 405, "parse_rejects_patch_with_405"),
    E("OPTIONS /" H11 "\r\n", 405, "parse_rejects_options_with_405"),
    E("CONNECT /" H11 "\r\n", 405, "parse_rejects_connect_with_405"),
    E("TRACE /" H11 "\r\n", 405, "parse_rejects_trace_with_405"),
    E("FOO /" H11 "\r\n", 501, "parse_rejects_unknown_method_with_501"),
    E("get /" H11 "\r\n", 501, "parse_methods_are_case_sensitive"),
    E("M-SEARCH /" H11 "\r\n", 501, "parse_rejects_unknown_token_with_dash_with_501"),
    E("!#$%&'*+-.^_`|~09azAZ /" H11 "\r\n", 501, "parse_accepts_every_tchar_in_unknown_method"),
    E("GET / HTTP/1.1\r\n\r\n", 400, "parse_rejects_http11_without_host"),
    E("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n", 400, "parse_rejects_http11_with_only_lookalike_host"),
    E("POST / HTTP/1.1\r\n\r\n", 400, "parse_missing_host_400_comes_before_405"),
    E("GET /" H11 "Content-Length: 1048577\r\n\r\n", 413, "parse_rejects_content_length_over_max_body"),
    E("GET /" H11 "Content-Length: 9223372036854775807\r\n\r\n", 413, "parse_rejects_int64_max_content_length_with_413"),
    E("POST /" H11 "Content-Length: 2000000\r\n\r\n", 405, "parse_method_405_comes_before_413"),
    E("FOO /" H11 "Content-Length: 2000000\r\n\r\n", 501, "parse_method_501_comes_before_413"),
    E("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "parse_rejects_transfer_encoding_on_http10_as_faulty_framing"),
    E("GET /" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "parse_rejects_gzip_then_chunked_with_501"),
    E("GET /" H11 "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "parse_reads_transfer_codings_across_fields"),
    E("GET /" H11 "Transfer-Encoding: gzip\r\n\r\n", 400, "parse_rejects_transfer_encoding_without_chunked"),
    E("GET /" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "parse_rejects_chunked_not_last"),
    E("GET /" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "parse_rejects_chunked_not_last_across_fields"),
    E("GET /" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 400, "parse_rejects_chunked_twice"),
    E("GET /" H11 "Transfer-Encoding: xchunked\r\n\r\n", 400, "parse_rejects_chunked_lookalike"),
    E("GET /" H11 "Transfer-Encoding: 'chunked'\r\n\r\n", 400, "parse_rejects_apostrophed_chunked"),
    E("GET /" H11 "Transfer-Encoding: chunked\xff\r\n\r\n", 400, "parse_rejects_obs_text_in_transfer_coding"),
    E("GET /" H11 "Transfer-Encoding: \"chunked\"\r\n\r\n", 400, "parse_rejects_quoted_chunked"),
    E("GET /" H11 "Transfer-Encoding: chunked;x=1\r\n\r\n", 400, "parse_rejects_transfer_coding_with_parameters"),
    E("GET /" H11 "Transfer-Encoding: chunked x\r\n\r\n", 400, "parse_rejects_space_inside_transfer_coding"),
    E("GET /" H11 "Transfer-Encoding:\r\n\r\n", 400, "parse_rejects_empty_transfer_encoding"),
    E("GET /" H11 "Transfer-Encoding: ,\r\n\r\n", 400, "parse_rejects_transfer_encoding_of_empty_elements"),
    E("POST /" H11 "Transfer-Encoding: gzip\r\n\r\n", 400, "parse_unreadable_framing_400_comes_before_405"),
    E("OPTIONS *" H11 "\r\n", 405, "parse_answers_options_asterisk_with_405"),
    E("OPTIONS * HTTP/1.0\r\n\r\n", 405, "parse_answers_options_asterisk_on_http10_with_405"),
    E("CONNECT a.example:443" H11 "\r\n", 405, "parse_answers_connect_authority_form_with_405"),
    E("CONNECT [::1]:443" H11 "\r\n", 405, "parse_answers_connect_to_ipv6_with_405"),
    E("GET / HTTP/1.2\r\n\r\n", 400, "parse_http12_needs_host_as_http11"),
    E("GET /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, "parse_rejects_transfer_encoding_with_content_length"),
    E("GET /" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "parse_rejects_content_length_with_transfer_encoding"),
    E("POST /" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "parse_framing_400_comes_before_405"),
    E("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n", 405, "parse_method_405_comes_before_transfer_encoding_501"),
};

static void test_error_case(void **state)
{
    const struct error_case *c = *state;
    int first_error = -1;

    for (size_t k = 0; k <= c->len; k++) {
        int r = parse_len(c->in, k);
        if (first_error < 0 && r != 0)
            first_error = (int)k;
        /* 0 until detectable, then the same status for every longer prefix */
        assert_int_equal(r, first_error < 0 ? 0 : -c->status);
    }
    assert_int_equal(parse_len(c->in, c->len), -c->status);
}

static void test_deferred_case(void **state)
{
    const struct error_case *c = *state;

    for (size_t k = 0; k < c->len; k++)
        assert_int_equal(parse_len(c->in, k), 0);
    assert_int_equal(parse_len(c->in, c->len), -c->status);
}

/* The fields parsed before an error stay valid: a HEAD gets a bodiless page. */
static void parse_keeps_head_method_on_413(void **state)
{
    static const char in[] = "HEAD /" H11 "Content-Length: 2000000\r\n\r\n";
    struct http_request req;
    (void)state;

    assert_int_equal(parse_guarded(in, sizeof in - 1, &req, NULL), -413);
    assert_int_equal(req.method, HTTP_HEAD);
}

/* The conditional and range fields: the first line's value, trimmed, and
 * how many lines gave each (a field given twice is respond.c's to judge). */
static void parse_keeps_conditional_and_range_fields(void **state)
{
    static const char in[] = "GET /" H11
                             "range: bytes=0-1 \r\n"
                             "If-Match: \"a\"\r\n"
                             "IF-RANGE:\t\"b\"\r\n"
                             "If-None-Match: \"c\", \"d\"\r\n"
                             "If-Unmodified-Since: x\r\n"
                             "If-Modified-Since: y\r\n"
                             "If-None-Match: W/\"e\"\r\n"
                             "If-Modified-Since: z\r\n"
                             "\r\n";
    struct http_request req;
    (void)state;

    assert_int_equal(parse_guarded(in, sizeof in - 1, &req, NULL), (int)sizeof in - 1);
    static const struct {
        enum http_field_id id;
        const char *value;
        uint32_t count;
    } want[] = {
        {HTTP_RANGE, "bytes=0-1", 1},         {HTTP_IF_MATCH, "\"a\"", 1},
        {HTTP_IF_RANGE, "\"b\"", 1},          {HTTP_IF_NONE_MATCH, "\"c\", \"d\"", 2},
        {HTTP_IF_UNMODIFIED_SINCE, "x", 1},   {HTTP_IF_MODIFIED_SINCE, "y", 2},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const struct http_field *f = http_field(&req, want[i].id);
        assert_non_null(f);
        assert_int_equal(f->len, strlen(want[i].value));
        assert_memory_equal(f->value, want[i].value, f->len);
        assert_int_equal(f->count, want[i].count);
    }
}

static void parse_absent_fields_are_null(void **state)
{
    static const char in[] = "GET /" H11 "X-Range: 1\r\nIf-Matchx: 2\r\nIf-Rangex: 3\r\n"
                             "If-None-Matc: 4\r\nRanges: 5\r\nIf-Modified-Sinc: 6\r\n\r\n";
    struct http_request req;
    (void)state;

    /* Whatever an earlier request left in the struct does not show. */
    memset(&req, 0xa5, sizeof req);
    assert_int_equal(parse_guarded(in, sizeof in - 1, &req, NULL), (int)sizeof in - 1);
    assert_int_equal(req.fields_given, 0);
    for (int id = 0; id < HTTP_FIELD_IDS; id++)
        assert_null(http_field(&req, (enum http_field_id)id));
}

/* http_field_next walks a list field's later lines, in order, any case. */
static void parse_field_next_finds_every_line(void **state)
{
    static const char in[] = "GET /" H11
                             "If-None-Match: \"a\"\r\n"
                             "X-If-None-Match: no\r\n"
                             "if-none-match:\r\n"
                             "If-None-Matches: no\r\n"
                             "IF-NONE-MATCH:  \"b\" , \"c\"\t\r\n"
                             "\r\n";
    static const char *const values[] = {"\"a\"", "", "\"b\" , \"c\""};
    struct http_request req;
    (void)state;

    assert_int_equal(parse_guarded(in, sizeof in - 1, &req, NULL), (int)sizeof in - 1);
    const struct http_field *f = http_field(&req, HTTP_IF_NONE_MATCH);
    assert_non_null(f);
    assert_int_equal(f->count, 3);
    const char *v = f->value;
    size_t n = f->len;
    for (size_t i = 0; i < 3; i++) {
        if (i > 0)
            assert_true(http_field_next(&req, HTTP_IF_NONE_MATCH, &v, &n));
        assert_int_equal(n, strlen(values[i]));
        assert_memory_equal(v, values[i], n);
    }
    assert_false(http_field_next(&req, HTTP_IF_NONE_MATCH, &v, &n));
}

/* A rejected HEAD is known as one, so its error page can go without a
 * body (RFC 9110 section 9.3.2), however early the error shows. */
static void parse_knows_head_on_every_error(void **state)
{
    static const struct {
        const char *in;
        int status;
    } rows[] = {
        {"HEAD /a\x01", 400},
        {"HEAD / HTTP/2.0\r\n", 505},
        {"HEAD / FOO/1.1\r\n", 400},
        {"\r\nHEAD /\r\n", 400},
        {"HEAD / HTTP/1.1\r\nBad Name: x\r\n", 400},
        {"HEAD / HTTP/1.1\r\n\r\n", 400},
        {"HEAD /" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
    };
    (void)state;

    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        struct http_request req;
        assert_int_equal(parse_guarded(rows[i].in, strlen(rows[i].in), &req, NULL),
                         -rows[i].status);
        assert_int_equal(req.method, HTTP_HEAD);
    }
    struct http_request req;
    static const char unknown[] = "HEADX / HTTP/1.0\r\n\r\n";
    assert_int_equal(parse_guarded(unknown, sizeof unknown - 1, &req, NULL), -501);
    assert_int_equal(req.method, HTTP_GET);
}

/* Transfer-Encoding: chunked as the only coding sets req.chunked (the
 * caller reads the body: http_chunked.h); nothing else does. */
static void parse_reports_chunked(void **state)
{
    static const struct {
        const char *in;
        bool chunked;
    } rows[] = {
        {"GET /" H11 "Transfer-Encoding: chunked\r\n\r\n", true},
        {"GET /" H11 "Transfer-Encoding: CHUNKED \r\n\r\n", true},
        {"GET /" H11 "Transfer-Encoding: ,\t chunked\r\n\r\n", true},
        {"GET /" H11 "Content-Length: 5\r\n\r\n", false},
        {"GET /" H11 "\r\n", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        struct http_request req;
        int n = parse_guarded(rows[i].in, strlen(rows[i].in), &req, NULL);
        assert_int_equal(n, (int)strlen(rows[i].in));
        assert_int_equal(req.chunked, rows[i].chunked);
    }
}

/* ---- Pipelines ----------------------------------------------------------- */

/* Parses the requests in buf one after the other, skipping each body, and
 * checks their targets; returns the offset where parsing stopped. */
static size_t parse_pipeline(const char *buf, size_t len, const char *const *targets,
                             size_t n)
{
    size_t off = 0;

    for (size_t i = 0; i < n; i++) {
        struct http_request req;
        int r = parse_guarded(buf + off, len - off, &req, NULL);
        assert_true(r > 0);
        assert_int_equal(req.target_len, strlen(targets[i]));
        assert_memory_equal(req.target, targets[i], req.target_len);
        off += (size_t)r + (size_t)req.content_length;
    }
    return off;
}

static void parse_pipeline_returns_each_request_in_turn(void **state)
{
    static const char in[] = "GET /a" H11 "\r\n"
                             "HEAD /b" H11 "Content-Length: 3\r\n\r\nxyz"
                             "GET /c HTTP/1.0\r\n\r\n";
    static const char *const targets[] = {"/a", "/b", "/c"};
    (void)state;

    assert_int_equal(parse_pipeline(in, sizeof in - 1, targets, 3), sizeof in - 1);
}

static void parse_pipeline_skips_crlf_between_requests(void **state)
{
    static const char in[] = "GET /a" H11 "\r\n\r\nGET /b" H11 "\r\n";
    static const char *const targets[] = {"/a", "/b"};
    (void)state;

    assert_int_equal(parse_pipeline(in, sizeof in - 1, targets, 2), sizeof in - 1);
}

static void parse_pipeline_waits_for_partial_second_request(void **state)
{
    static const char in[] = "GET /a" H11 "\r\nGET /b HTTP/1.1\r\nHo";
    static const char *const targets[] = {"/a"};
    (void)state;

    size_t off = parse_pipeline(in, sizeof in - 1, targets, 1);
    assert_int_equal(parse_len(in + off, sizeof in - 1 - off), 0);
}

static void parse_pipeline_reports_error_in_second_request(void **state)
{
    static const char in[] = "GET /a" H11 "\r\nGET /b HTTP/1.1\r\nBad Name: x\r\n";
    static const char *const targets[] = {"/a"};
    (void)state;

    size_t off = parse_pipeline(in, sizeof in - 1, targets, 1);
    assert_int_equal(parse_len(in + off, sizeof in - 1 - off), -400);
}

/* ---- Limits -------------------------------------------------------------- */

static char big[GUARD_CAP];

/* big = "GET /aaa...a HTTP/1.1" with a request line of line_len bytes, after
 * `blank` leading CRLFs; returns the bytes written. */
static size_t make_request_line(size_t blank, size_t line_len)
{
    size_t n = 0;
    for (size_t i = 0; i < blank; i++) {
        big[n++] = '\r';
        big[n++] = '\n';
    }
    memcpy(big + n, "GET /", 5);
    memset(big + n + 5, 'a', line_len - 5 - 9);
    memcpy(big + n + line_len - 9, " HTTP/1.1", 9);
    return n + line_len;
}

static size_t append(size_t n, const char *s)
{
    size_t l = strlen(s);
    memcpy(big + n, s, l);
    return n + l;
}

static void parse_accepts_request_line_at_limit(void **state)
{
    (void)state;
    size_t n = make_request_line(0, HTTP_MAX_REQUEST_LINE);
    n = append(n, "\r\nHost: a\r\n\r\n");
    assert_int_equal(parse_len(big, n), (int)n);
}

static void parse_rejects_request_line_over_limit_with_414(void **state)
{
    (void)state;
    size_t n = make_request_line(0, HTTP_MAX_REQUEST_LINE + 1);
    n = append(n, "\r\nHost: a\r\n\r\n");
    assert_int_equal(parse_len(big, n), -414);
}

/* 414 as soon as one byte more than the limit is buffered without a CR. */
static void parse_reports_414_before_line_end(void **state)
{
    (void)state;
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', HTTP_MAX_REQUEST_LINE);
    assert_int_equal(parse_len(big, HTTP_MAX_REQUEST_LINE), 0);
    assert_int_equal(parse_len(big, HTTP_MAX_REQUEST_LINE + 1), -414);
    /* Even with bytes that would be a syntax error once the line ended. */
    memset(big, '@', HTTP_MAX_REQUEST_LINE + 1);
    assert_int_equal(parse_len(big, HTTP_MAX_REQUEST_LINE), 0);
    assert_int_equal(parse_len(big, HTTP_MAX_REQUEST_LINE + 1), -414);
}

/* Exactly HTTP_MAX_REQUEST_LINE bytes then a CR: wait for the LF. */
static void parse_waits_for_lf_after_line_at_limit(void **state)
{
    (void)state;
    size_t n = make_request_line(0, HTTP_MAX_REQUEST_LINE);
    n = append(n, "\r");
    assert_int_equal(parse_len(big, n), 0);
}

/* Leading empty lines count against the request-line limit. */
static void parse_counts_leading_empty_lines_against_414(void **state)
{
    (void)state;
    size_t n = make_request_line(1, HTTP_MAX_REQUEST_LINE - 2);
    n = append(n, "\r\nHost: a\r\n\r\n");
    assert_int_equal(parse_len(big, n), (int)n);

    n = make_request_line(1, HTTP_MAX_REQUEST_LINE - 1);
    n = append(n, "\r\nHost: a\r\n\r\n");
    assert_int_equal(parse_len(big, n), -414);
}

/* Endless empty lines do not leave the caller waiting forever. */
static void parse_rejects_flood_of_empty_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < 10000; i += 2)
        memcpy(big + i, "\r\n", 2);
    assert_int_equal(parse_len(big, HTTP_MAX_REQUEST_LINE), 0);
    assert_int_equal(parse_len(big, 10000), -400);
}

/* big = "GET / HTTP/1.1\r\n" then a header section of exactly section_len
 * bytes (Host, one long X field, final CRLF); returns the bytes written. */
static size_t make_header_section(size_t section_len)
{
    size_t n = append(0, "GET / HTTP/1.1\r\n");
    size_t s0 = n;
    n = append(n, "Host: a\r\nX: ");
    size_t fill = section_len - (n - s0) - 4;
    memset(big + n, 'v', fill);
    return append(n + fill, "\r\n\r\n");
}

static void parse_accepts_header_section_at_limit(void **state)
{
    (void)state;
    size_t n = make_header_section(HTTP_MAX_HEADER_BYTES);
    assert_int_equal(parse_len(big, n), (int)n);
    assert_true(n == 16 + HTTP_MAX_HEADER_BYTES);
}

static void parse_rejects_header_section_over_limit_with_431(void **state)
{
    (void)state;
    size_t n = make_header_section(HTTP_MAX_HEADER_BYTES + 1);
    assert_int_equal(parse_len(big, n), -431);
}

/* 431 as soon as one byte more than the limit is buffered without the end. */
static void parse_reports_431_before_head_end(void **state)
{
    (void)state;
    size_t n = append(0, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(big + n, 'v', sizeof big - n);
    assert_int_equal(parse_len(big, 16 + HTTP_MAX_HEADER_BYTES), 0);
    assert_int_equal(parse_len(big, 16 + HTTP_MAX_HEADER_BYTES + 1), -431);
}

static size_t make_fields(size_t count)
{
    size_t n = append(0, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (size_t i = 1; i < count; i++)
        n = append(n, "X: y\r\n");
    return append(n, "\r\n");
}

static void parse_accepts_max_header_fields(void **state)
{
    (void)state;
    size_t n = make_fields(HTTP_MAX_HEADERS);
    assert_int_equal(parse_len(big, n), (int)n);
}

static void parse_rejects_too_many_header_fields_with_431(void **state)
{
    (void)state;
    size_t n = make_fields(HTTP_MAX_HEADERS + 1);
    assert_int_equal(parse_len(big, n), -431);
    /* Reported once the 101st field line is complete, before the end. */
    assert_int_equal(parse_len(big, n - 2), -431);
    assert_int_equal(parse_len(big, n - 3), 0);
}

/* A caller whose buffer holds HTTP_MAX_HEAD bytes always gets an answer. */
static void parse_never_waits_beyond_max_head(void **state)
{
    static const char *const starts[] = {
        "", "GET /", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nX: ",
        "GET / HTTP/1.1\r\nX", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n",
    };
    static const char fills[] = {'a', ' ', '\r', 'X'};
    (void)state;

    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
        for (size_t j = 0; j < sizeof fills; j++) {
            size_t n = append(0, starts[i]);
            memset(big + n, fills[j], sizeof big - n);
            /* "\r" fill: CR CR is a syntax error, caught early. */
            assert_int_not_equal(parse_len(big, HTTP_MAX_HEAD + 1), 0);
        }
    }
}

/* ---- Runner -------------------------------------------------------------- */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    static const struct CMUnitTest named[] = {
        cmocka_unit_test(parse_keeps_head_method_on_413),
        cmocka_unit_test(parse_keeps_conditional_and_range_fields),
        cmocka_unit_test(parse_absent_fields_are_null),
        cmocka_unit_test(parse_field_next_finds_every_line),
        cmocka_unit_test(parse_knows_head_on_every_error),
        cmocka_unit_test(parse_reports_chunked),
        cmocka_unit_test(parse_pipeline_returns_each_request_in_turn),
        cmocka_unit_test(parse_pipeline_skips_crlf_between_requests),
        cmocka_unit_test(parse_pipeline_waits_for_partial_second_request),
        cmocka_unit_test(parse_pipeline_reports_error_in_second_request),
        cmocka_unit_test(parse_accepts_request_line_at_limit),
        cmocka_unit_test(parse_rejects_request_line_over_limit_with_414),
        cmocka_unit_test(parse_reports_414_before_line_end),
        cmocka_unit_test(parse_waits_for_lf_after_line_at_limit),
        cmocka_unit_test(parse_counts_leading_empty_lines_against_414),
        cmocka_unit_test(parse_rejects_flood_of_empty_lines),
        cmocka_unit_test(parse_accepts_header_section_at_limit),
        cmocka_unit_test(parse_rejects_header_section_over_limit_with_431),
        cmocka_unit_test(parse_reports_431_before_head_end),
        cmocka_unit_test(parse_accepts_max_header_fields),
        cmocka_unit_test(parse_rejects_too_many_header_fields_with_431),
        cmocka_unit_test(parse_never_waits_beyond_max_head),
    };
    enum {
        N = COUNT(valid_cases) + COUNT(error_cases) + COUNT(deferred_cases) +
            COUNT(named)
    };
    /* One cmocka test per table row, named after the behaviour it pins. */
    static struct CMUnitTest tests[N];
    size_t n = 0;

    for (size_t i = 0; i < COUNT(valid_cases); i++)
        tests[n++] = (struct CMUnitTest){valid_cases[i].name, test_valid_case,
                                         NULL, NULL, (void *)&valid_cases[i]};
    for (size_t i = 0; i < COUNT(error_cases); i++)
        tests[n++] = (struct CMUnitTest){error_cases[i].name, test_error_case,
                                         NULL, NULL, (void *)&error_cases[i]};
    for (size_t i = 0; i < COUNT(deferred_cases); i++)
        tests[n++] = (struct CMUnitTest){deferred_cases[i].name,
                                         test_deferred_case, NULL, NULL,
                                         (void *)&deferred_cases[i]};
    for (size_t i = 0; i < COUNT(named); i++)
        tests[n++] = named[i];

    return _cmocka_run_group_tests("http_parse", tests, n, map_guard,
                                   unmap_guard);
}
