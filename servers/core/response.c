/* Response heads and error pages. */
#include "response.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *response_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static const char WDAY[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char MON[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Formatted by hand: strftime's %a and %b follow the locale, HTTP's do not. */
void response_format_date(time_t t, char *buf)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", WDAY[tm.tm_wday],
             tm.tm_mday, MON[tm.tm_mon], (tm.tm_year + 1900) % 10000, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

/* time() is a vDSO call, not a system call, so checking it per request is
 * cheap; formatting happens once a second per thread. */
const char *response_date(void)
{
    static _Thread_local time_t cached = -1;
    static _Thread_local char buf[32];
    time_t now = time(NULL);
    if (now != cached) {
        response_format_date(now, buf);
        cached = now;
    }
    return buf;
}

static int month_index(const char *s)
{
    for (int i = 0; i < 12; i++)
        if (memcmp(s, MON[i], 3) == 0)
            return i;
    return -1;
}

/* Accepts the three forms RFC 9110 requires a recipient to parse. */
int response_parse_date(const char *s, size_t len, time_t *t)
{
    char in[64], mon[4], wday[16];
    struct tm tm = {0};
    int n = 0;
    if (len == 0 || len >= sizeof in)
        return -1;
    memcpy(in, s, len);
    in[len] = '\0';
    if (sscanf(in, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", wday, &tm.tm_mday, mon,
               &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) == 7 &&
        (size_t)n == len) {
        tm.tm_year -= 1900;
    } else if (sscanf(in, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n", wday,
                      &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour, &tm.tm_min,
                      &tm.tm_sec, &n) == 7 && (size_t)n == len) {
        if (tm.tm_year < 70)
            tm.tm_year += 100;
    } else if (sscanf(in, "%3s %3s %d %2d:%2d:%2d %4d%n", wday, mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tm.tm_year, &n) == 7 &&
               (size_t)n == len) {
        tm.tm_year -= 1900;
    } else {
        return -1;
    }
    tm.tm_mon = month_index(mon);
    if (tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    *t = timegm(&tm);
    return 0;
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

size_t response_file_head(char *out, size_t cap, int status,
                          const struct file_entry *f, bool keep_alive)
{
    char code[4] = {(char)('0' + status / 100 % 10), (char)('0' + status / 10 % 10),
                    (char)('0' + status % 10), ' '};
    struct head h = {out, 0, cap};
    head_puts(&h, "HTTP/1.1 ");
    head_put(&h, code, sizeof code);
    head_puts(&h, response_reason(status));
    head_puts(&h, "\r\nServer: " RESPONSE_SERVER "\r\nDate: ");
    head_puts(&h, response_date());
    head_puts(&h, "\r\n");
    head_put(&h, f->head_lines, f->head_len);
    head_puts(&h, keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (h.len >= cap)
        return 0; /* as snprintf: room for the terminating NUL too */
    out[h.len] = '\0';
    return h.len;
}

size_t response_error(char *out, size_t cap, int status, const char *location,
                      bool head_only, bool keep_alive)
{
    char body[256];
    const char *reason = response_reason(status);
    int blen = snprintf(body, sizeof body,
                        "<!doctype html>\n<html><head><title>%d %s</title></head>"
                        "<body><h1>%d %s</h1></body></html>\n",
                        status, reason, status, reason);
    char extra[64 + RESPONSE_LOCATION_MAX];
    extra[0] = '\0';
    if (status == 405)
        snprintf(extra, sizeof extra, "Allow: GET, HEAD\r\n");
    else if (location && snprintf(extra, sizeof extra, "Location: %s\r\n",
                                  location) >= (int)sizeof extra)
        return 0;
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nServer: " RESPONSE_SERVER "\r\nDate: %s\r\n"
                     "Content-Type: text/html; charset=utf-8\r\n"
                     "Content-Length: %d\r\n%sConnection: %s\r\n\r\n%s",
                     status, reason, response_date(), blen, extra,
                     keep_alive ? "keep-alive" : "close", head_only ? "" : body);
    return fitted(n, cap);
}
