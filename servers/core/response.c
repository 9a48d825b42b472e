/* Response heads and error pages. */
#include "response.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_date.h"

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

/* time() is a vDSO call, not a system call, so checking it per request is
 * cheap; formatting happens once a second per thread. */
const char *response_date(void)
{
    static _Thread_local time_t cached = -1;
    static _Thread_local char buf[HTTP_DATE_SIZE];
    time_t now = time(NULL);
    if (now != cached) {
        http_date_format(now, buf);
        cached = now;
    }
    return buf;
}

static size_t fitted(int n, size_t cap)
{
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* A head built piece by piece: it is written once per request, and
 * snprintf's format parsing cost more than the rest of a keep-alive
 * request's user time (callgrind). len may pass cap: then it does not fit. */
struct head {
    char *p;
    size_t len, cap;
};

static void head_put(struct head *h, const char *s, size_t n)
{
    if (h->len + n < h->cap)
        memcpy(h->p + h->len, s, n);
    h->len += n;
}

static void head_puts(struct head *h, const char *s)
{
    head_put(h, s, strlen(s));
}

/* v in decimal, without snprintf (see struct head). */
static void head_num(struct head *h, uint64_t v)
{
    char d[20];
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    head_put(h, d + i, sizeof d - i);
}

/* The entry's lines with the Content-Length of a part and its
 * Content-Range in place of the whole file's Content-Length. */
static void head_part_lines(struct head *h, const struct file_entry *f, off_t first,
                            off_t len)
{
    head_put(h, f->head_lines, f->length_at);
    head_puts(h, "Content-Length: ");
    head_num(h, (uint64_t)len);
    head_puts(h, "\r\nContent-Range: bytes ");
    head_num(h, (uint64_t)first);
    head_puts(h, "-");
    head_num(h, (uint64_t)(first + len - 1));
    head_puts(h, "/");
    head_num(h, (uint64_t)f->size);
    head_puts(h, "\r\n");
    head_put(h, f->head_lines + f->ranges_at, f->head_len - f->ranges_at);
}

/* The status line, Server and Date. */
static void head_begin(struct head *h, int status)
{
    char code[4] = {(char)('0' + status / 100 % 10), (char)('0' + status / 10 % 10),
                    (char)('0' + status % 10), ' '};
    head_puts(h, "HTTP/1.1 ");
    head_put(h, code, sizeof code);
    head_puts(h, response_reason(status));
    head_puts(h, "\r\nServer: " RESPONSE_SERVER "\r\nDate: ");
    head_puts(h, response_date());
    head_puts(h, "\r\n");
}

/* Connection and the blank line; the length, or 0 if it did not fit. */
static size_t head_end(struct head *h, bool keep_alive)
{
    head_puts(h, keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (h->len >= h->cap)
        return 0; /* as snprintf: room for the terminating NUL too */
    h->p[h->len] = '\0';
    return h->len;
}

size_t response_file_head(char *out, size_t cap, int status, const struct file_entry *f,
                          off_t first, off_t len, bool keep_alive)
{
    struct head h = {out, 0, cap};
    head_begin(&h, status);
    if (status == 200)
        head_put(&h, f->head_lines, f->head_len);
    else if (status == 206)
        head_part_lines(&h, f, first, len);
    else /* 304 */
        head_put(&h, f->head_lines + f->validators_at, f->head_len - f->validators_at);
    return head_end(&h, keep_alive);
}

size_t response_gzip_head(char *out, size_t cap, int status, const struct file_entry *f,
                          size_t coded_len, bool keep_alive)
{
    struct head h = {out, 0, cap};
    head_begin(&h, status);
    if (status == 200) {
        head_put(&h, f->head_lines, f->length_at);
        head_puts(&h, "Content-Encoding: gzip\r\nContent-Length: ");
        head_num(&h, (uint64_t)coded_len);
        head_puts(&h, "\r\n");
    }
    head_put(&h, f->head_lines + f->validators_at, f->etag_at - f->validators_at);
    head_puts(&h, "ETag: ");
    head_put(&h, f->etag_gzip, f->etag_gzip_len);
    head_puts(&h, "\r\nVary: Accept-Encoding\r\n");
    return head_end(&h, keep_alive);
}

size_t response_error(char *out, size_t cap, int status, const char *fields,
                      bool head_only, bool keep_alive)
{
    char body[256];
    const char *reason = response_reason(status);
    int blen = snprintf(body, sizeof body,
                        "<!doctype html>\n<html><head><title>%d %s</title></head>"
                        "<body><h1>%d %s</h1></body></html>\n",
                        status, reason, status, reason);
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nServer: " RESPONSE_SERVER "\r\nDate: %s\r\n"
                     "Content-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %d\r\n%s%sConnection: %s\r\n\r\n%s",
                     status, reason, response_date(), blen,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "", fields ? fields : "",
                     keep_alive ? "keep-alive" : "close", head_only ? "" : body);
    return fitted(n, cap);
}
