/* loadgen's response framing (loadgen/resp.h): every case is fed whole, cut
 * in two at every split point, and one byte at a time, keeping the
 * unconsumed tail as loadgen does; the responses found, their status, the
 * close flag and what end of stream means must not depend on the cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "resp.h"

#define MAX_RESPONSES 4

struct outcome {
    int n;                           /* responses complete */
    int status[MAX_RESPONSES];
    bool close;                      /* of the last one */
    bool error;                      /* RESP_ERROR seen */
    enum resp_result eof;            /* resp_eof at the end of input */
};

struct resp_case {
    const char *name;
    const char *in;
    struct outcome want;
};

#define CL5 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
#define CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" \
                "5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n"

static const struct resp_case cases[] = {
    {"two with Content-Length", CL5 CL5, {2, {200, 200}, false, false, RESP_MORE}},
    {"partial body at the end", CL5 "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab",
     {1, {200}, false, false, RESP_ERROR}},
    {"chunked with extension and trailer, then another", CHUNKED CL5,
     {2, {200, 200}, false, false, RESP_MORE}},
    {"chunk size in capitals, no trailer",
     "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
     {1, {404}, false, false, RESP_MORE}},
    {"chunked wins over Content-Length",
     "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     {1, {200}, false, false, RESP_MORE}},
    {"delimited by the close", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody until the end",
     {0, {0}, false, false, RESP_DONE}},
    {"204 and 304 have no body", "HTTP/1.1 204 No Content\r\n\r\n"
     "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" CL5,
     {3, {204, 304, 200}, false, false, RESP_MORE}},
    {"100 Continue is interim", "HTTP/1.1 100 Continue\r\n\r\n" CL5,
     {1, {200}, false, false, RESP_MORE}},
    {"Content-Length 0", "HTTP/1.1 301 Moved\r\nContent-Length: 0\r\n\r\n",
     {1, {301}, false, false, RESP_MORE}},
    {"Connection: close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx",
     {1, {200}, true, false, RESP_MORE}},
    {"HTTP/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
     {1, {200}, true, false, RESP_MORE}},
    {"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx",
     {1, {200}, false, false, RESP_MORE}},
    {"same Content-Length twice", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
     {1, {200}, false, false, RESP_MORE}},
    {"HTTP/2 status line", "HTTP/2 200 OK\r\n\r\n", {0, {0}, false, true, RESP_MORE}},
    {"status not three digits", "HTTP/1.1 2x0 OK\r\n\r\n", {0, {0}, false, true, RESP_MORE}},
    {"Content-Length not a number", "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello",
     {0, {0}, false, true, RESP_MORE}},
    {"two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx",
     {0, {0}, false, true, RESP_MORE}},
    {"field without a colon", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", {0, {0}, false, true, RESP_MORE}},
    {"chunk size not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     {0, {0}, false, true, RESP_MORE}},
};

/* Feeds `in` in pieces that end at the offsets in cuts[] (the last is its
 * length), carrying the unconsumed tail to the next piece. */
static struct outcome feed(const char *in, const size_t *cuts, size_t ncuts)
{
    struct outcome o = {0};
    struct resp r;
    char buf[1024];
    size_t have = 0, from = 0;
    resp_init(&r);
    for (size_t c = 0; c < ncuts && !o.error; c++) {
        memcpy(buf + have, in + from, cuts[c] - from);
        have += cuts[c] - from;
        from = cuts[c];
        size_t off = 0, used;
        for (;;) {
            enum resp_result rc = resp_parse(&r, buf + off, have - off, &used);
            assert_true(used <= have - off);
            off += used;
            if (rc == RESP_MORE)
                break;
            if (rc == RESP_ERROR) {
                o.error = true;
                return o;
            }
            assert_true(o.n < MAX_RESPONSES);
            o.status[o.n++] = r.status;
            o.close = r.close;
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    o.eof = resp_eof(&r, have > 0);
    return o;
}

static void check(const struct resp_case *t, struct outcome got, const char *how)
{
    const struct outcome *w = &t->want;
    bool same = got.n == w->n && got.error == w->error && (got.error || got.eof == w->eof) &&
                (w->n == 0 || got.close == w->close) &&
                memcmp(got.status, w->status, sizeof got.status) == 0;
    if (!same)
        fail_msg("%s (%s): got n=%d error=%d close=%d eof=%d status0=%d, want n=%d error=%d"
                 " close=%d eof=%d status0=%d", t->name, how, got.n, got.error, got.close,
                 got.eof, got.status[0], w->n, w->error, w->close, w->eof, w->status[0]);
}

static void frames_at_every_split_point(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct resp_case *t = &cases[i];
        size_t len = strlen(t->in);
        size_t whole[] = {len};
        check(t, feed(t->in, whole, 1), "whole");
        for (size_t split = 0; split <= len; split++) {
            size_t two[] = {split, len};
            check(t, feed(t->in, two, 2), "split");
        }
        size_t bytes[1024];
        assert_true(len <= 1024);
        for (size_t b = 0; b < len; b++)
            bytes[b] = b + 1;
        check(t, feed(t->in, bytes, len), "byte by byte");
    }
}

static void eof_between_responses_is_clean(void **state)
{
    (void)state;
    struct resp r;
    resp_init(&r);
    assert_int_equal(resp_eof(&r, false), RESP_MORE);
    assert_int_equal(resp_eof(&r, true), RESP_ERROR);  /* part of a head was kept */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frames_at_every_split_point),
        cmocka_unit_test(eof_between_responses_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
