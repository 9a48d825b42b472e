/* libFuzzer target for http_parse_request(); built and run by tests/fuzz/run.
 *
 * Besides crashes and sanitizer reports, it checks the parser's contract on
 * every input and aborts when one does not hold:
 *   - the result is 0, a head length in 1..size (and at most HTTP_MAX_HEAD),
 *     or minus one of the documented statuses;
 *   - a head ends with CRLFCRLF, and the target and the conditional and
 *     range fields point inside it (http_field_next finds as many lines of
 *     each as were counted); the other fields are in range;
 *   - a buffer longer than HTTP_MAX_HEAD never gets 0 (the caller's buffer
 *     holds that much, so 0 there would leave the connection hanging);
 *   - prefixes agree with the whole: a prefix shorter than the head gets 0,
 *     a longer one the same head length, and once an error shows in a prefix
 *     every longer prefix shows the same error. This is what lets a server
 *     call the parser again each time bytes arrive.
 * Every parse reads from a heap copy that ends exactly at the parsed length,
 * so AddressSanitizer catches a read past len. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

/* Inputs up to this size get every prefix checked; larger ones a sample,
 * because checking all prefixes costs size * size / 2 bytes parsed. */
#define ALL_PREFIXES_MAX 1024
#define PREFIX_SAMPLES 64

static void fail(const char *what, size_t size, size_t k, int r, int whole)
{
    fprintf(stderr, "fuzz_parse: %s (size %zu, prefix %zu: %d, whole: %d)\n",
            what, size, k, r, whole);
    abort();
}

static bool is_status(int r)
{
    switch (-r) {
    case 400: case 405: case 413: case 414: case 431: case 501: case 505:
        return true;
    default:
        return false;
    }
}

/* Copies data[0..k) to the end of scratch (size bytes long) and parses it. */
static int parse_tail(char *scratch, size_t size, const uint8_t *data,
                      size_t k, struct http_request *req)
{
    char *p = scratch + size - k;
    memcpy(p, data, k);
    return http_parse_request(p, k, req);
}

/* http_field_next finds exactly count - 1 more lines, each inside the head. */
static void check_field_lines(const struct http_request *req, enum http_field_id id,
                              size_t n)
{
    const struct http_field *f = http_field(req, id);
    const char *v = f->value;
    size_t len = f->len;
    uint32_t lines = 1;
    while (http_field_next(req, id, &v, &len)) {
        if (v < req->head_end - n || v + len > req->head_end)
            fail("http_field_next outside the head", n, n, (int)lines, 0);
        lines++;
    }
    if (lines != f->count)
        fail("http_field_next disagrees with the count", n, n, (int)lines, (int)f->count);
}

static void check_whole(const char *buf, size_t size, int r,
                        const struct http_request *req)
{
    if (r == 0) {
        if (size > HTTP_MAX_HEAD)
            fail("0 for a buffer longer than HTTP_MAX_HEAD", size, size, r, r);
        return;
    }
    if (r < 0) {
        if (!is_status(r))
            fail("undocumented status", size, size, r, r);
        return;
    }
    size_t n = (size_t)r;
    if (n > size || n > HTTP_MAX_HEAD)
        fail("head length beyond input or HTTP_MAX_HEAD", size, size, r, r);
    if (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0)
        fail("head does not end with CRLFCRLF", size, size, r, r);
    if (req->target == NULL || req->target < buf || req->target_len == 0 ||
        req->target_len > n || (size_t)(req->target - buf) > n - req->target_len)
        fail("target outside the head", size, size, r, r);
    if (req->fields_given >> HTTP_FIELD_IDS)
        fail("an unknown field bit", size, size, r, r);
    for (int id = 0; id < HTTP_FIELD_IDS; id++) {
        const struct http_field *f = http_field(req, (enum http_field_id)id);
        if (f == NULL)
            continue;
        if (f->value < buf || f->len > n || (size_t)(f->value - buf) > n - f->len ||
            f->count < 1)
            fail("a conditional or range field outside the head", size, size, r, r);
        check_field_lines(req, (enum http_field_id)id, n);
    }
    if (req->head_end != buf + n)
        fail("head_end is not the head's end", size, size, r, r);
    if ((req->method != HTTP_GET && req->method != HTTP_HEAD) ||
        (req->minor_version != 0 && req->minor_version != 1) ||
        req->content_length < 0 || req->content_length > HTTP_MAX_BODY)
        fail("field out of range", size, size, r, r);
}

/* What a prefix of length k must return given the whole input's result. */
static void check_prefix(size_t size, size_t k, int rk, int r, int *first_err)
{
    if (r > 0) {
        if (k < (size_t)r ? rk != 0 : rk != r)
            fail("prefix disagrees with the head length", size, k, rk, r);
        return;
    }
    if (rk == 0) {
        if (*first_err != 0)
            fail("prefix returned 0 after an error", size, k, rk, r);
        return;
    }
    if (rk != r)
        fail("prefix error differs from the whole input's", size, k, rk, r);
    *first_err = rk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *scratch = malloc(size ? size : 1);
    struct http_request req;

    if (scratch == NULL)
        return 0;
    int r = parse_tail(scratch, size, data, size, &req);
    check_whole(scratch, size, r, &req);

    /* Prefixes in increasing length, so "0 after an error" can be seen. */
    int first_err = 0;
    if (size <= ALL_PREFIXES_MAX) {
        for (size_t k = 0; k < size; k++)
            check_prefix(size, k, parse_tail(scratch, size, data, k, &req), r,
                         &first_err);
    } else {
        for (size_t i = 0; i < PREFIX_SAMPLES; i++) {
            size_t k = size * i / PREFIX_SAMPLES;
            check_prefix(size, k, parse_tail(scratch, size, data, k, &req), r,
                         &first_err);
        }
        for (size_t k = size - 8; k < size; k++)
            check_prefix(size, k, parse_tail(scratch, size, data, k, &req), r,
                         &first_err);
    }
    free(scratch);
    return 0;
}
