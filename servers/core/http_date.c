/* HTTP dates: see http_date.h. The parser is written out by hand: sscanf
 * skips spaces before every number and accepts signs, so it let through
 * dates the grammar does not have ("Sun,  6 Nov 1994", "+6"), and strptime
 * follows the locale for day and month names, which HTTP's do not. */
#include "http_date.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char WDAY[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const WDAY_LONG[7] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
static const char MON[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Formatted by hand: strftime's %a and %b follow the locale, HTTP's do not. */
void http_date_format(time_t t, char *buf)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, HTTP_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT",
             WDAY[tm.tm_wday], tm.tm_mday, MON[tm.tm_mon],
             (tm.tm_year + 1900) % 10000, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A cursor over the value; every step checks the bytes left. */
struct cur {
    const char *s;
    size_t n, i;
};

static bool lit(struct cur *c, const char *t)
{
    size_t k = strlen(t);
    if (c->n - c->i < k || memcmp(c->s + c->i, t, k) != 0)
        return false;
    c->i += k;
    return true;
}

/* Exactly k digits (no sign, no space) into *v. */
static bool digits(struct cur *c, int k, int *v)
{
    if (c->n - c->i < (size_t)k)
        return false;
    *v = 0;
    for (int j = 0; j < k; j++) {
        char d = c->s[c->i + (size_t)j];
        if (d < '0' || d > '9')
            return false;
        *v = *v * 10 + (d - '0');
    }
    c->i += (size_t)k;
    return true;
}

static bool month(struct cur *c, int *mon)
{
    for (int m = 0; m < 12; m++)
        if (lit(c, MON[m])) {
            *mon = m;
            return true;
        }
    return false;
}

static bool time_of_day(struct cur *c, struct tm *tm)
{
    return digits(c, 2, &tm->tm_hour) && lit(c, ":") && digits(c, 2, &tm->tm_min) &&
           lit(c, ":") && digits(c, 2, &tm->tm_sec);
}

/* IMF-fixdate after "Sun": ", 06 Nov 1994 08:49:37 GMT". */
static bool imf_rest(struct cur *c, struct tm *tm)
{
    return lit(c, ", ") && digits(c, 2, &tm->tm_mday) && lit(c, " ") &&
           month(c, &tm->tm_mon) && lit(c, " ") && digits(c, 4, &tm->tm_year) &&
           lit(c, " ") && time_of_day(c, tm) && lit(c, " GMT");
}

/* asctime after "Sun": " Nov  6 08:49:37 1994" (or " Nov 06 ..."). */
static bool asctime_rest(struct cur *c, struct tm *tm)
{
    if (!lit(c, " ") || !month(c, &tm->tm_mon) || !lit(c, " "))
        return false;
    if (!(lit(c, " ") ? digits(c, 1, &tm->tm_mday) : digits(c, 2, &tm->tm_mday)))
        return false;
    return lit(c, " ") && time_of_day(c, tm) && lit(c, " ") &&
           digits(c, 4, &tm->tm_year);
}

/* The century of a two-digit year: the one that puts it within 50 years of
 * this year (RFC 9110 section 5.6.7 asks only that a year more than 50
 * years ahead be taken from the past century). */
static int full_year(int yy)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int this_year = tm.tm_year + 1900;
    int y = this_year - this_year % 100 + yy;
    if (y > this_year + 50)
        y -= 100;
    else if (y <= this_year - 50)
        y += 100;
    return y;
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". */
static bool rfc850(struct cur *c, struct tm *tm)
{
    int day = -1, yy;
    for (int d = 0; d < 7 && day < 0; d++)
        if (lit(c, WDAY_LONG[d]))
            day = d;
    if (day < 0 || !lit(c, ", ") || !digits(c, 2, &tm->tm_mday) || !lit(c, "-") ||
        !month(c, &tm->tm_mon) || !lit(c, "-") || !digits(c, 2, &yy) || !lit(c, " ") ||
        !time_of_day(c, tm) || !lit(c, " GMT"))
        return false;
    tm->tm_year = full_year(yy);
    return true;
}

static int days_in_month(int year, int mon)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[mon] + (mon == 1 && leap);
}

int http_date_parse(const char *s, size_t len, time_t *t)
{
    struct tm tm = {0};
    struct cur c = {s, len, 0};
    bool ok = false;
    int day = -1;
    for (int d = 0; d < 7 && day < 0; d++)
        if (lit(&c, WDAY[d]))
            day = d;
    if (day >= 0 && c.i < len && s[c.i] == ',')
        ok = imf_rest(&c, &tm);
    else if (day >= 0 && c.i < len && s[c.i] == ' ')
        ok = asctime_rest(&c, &tm);
    else {
        c.i = 0; /* "Sunday": a long day name */
        ok = rfc850(&c, &tm);
    }
    /* tm_year still holds the full year here. Second 60 is a leap second,
     * which timegm carries into the next minute. */
    if (!ok || c.i != len || tm.tm_mday < 1 ||
        tm.tm_mday > days_in_month(tm.tm_year, tm.tm_mon) || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    *t = timegm(&tm);
    return 0;
}
