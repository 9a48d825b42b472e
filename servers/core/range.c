/* The Range request field: see range.h. Written by hand, as the request
 * parser is: it runs on input straight from the network, and what it
 * accepts is the whole of the grammar above. */
#include "range.h"

#include <stdbool.h>
#include <stdint.h>

static bool range_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static bool range_is_digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* 1*DIGIT at v[*i] into *x, saturating at INT64_MAX. False if no digit. */
static bool range_number(const char *v, size_t n, size_t *i, int64_t *x)
{
    size_t j = *i;
    *x = 0;
    while (j < n && range_is_digit(v[j])) {
        int d = v[j] - '0';
        *x = *x > (INT64_MAX - d) / 10 ? INT64_MAX : *x * 10 + d;
        j++;
    }
    if (j == *i)
        return false;
    *i = j;
    return true;
}

/* One range-spec at v[*i], resolved against size: *ok when it is
 * satisfiable, with its bytes [*first, *first + *len). False for a syntax
 * error. */
static bool range_spec(const char *v, size_t n, size_t *i, int64_t size, bool *ok,
                       int64_t *first, int64_t *len)
{
    int64_t a, b;
    if (*i < n && v[*i] == '-') { /* suffix-range: the last b bytes */
        ++*i;
        if (!range_number(v, n, i, &b))
            return false;
        *ok = b > 0 && size > 0;
        *first = b < size ? size - b : 0;
        *len = size - *first;
        return true;
    }
    if (!range_number(v, n, i, &a) || *i == n || v[(*i)++] != '-')
        return false;
    b = INT64_MAX; /* "a-": to the end */
    if (*i < n && range_is_digit(v[*i]) && (!range_number(v, n, i, &b) || b < a))
        return false;
    *ok = a < size;
    *first = a;
    *len = (b < size - 1 ? b : size - 1) - a + 1;
    return true;
}

/* "bytes=" in any case. */
static bool range_unit(const char *v, size_t n)
{
    static const char unit[] = "bytes=";
    if (n < sizeof unit - 1)
        return false;
    for (size_t i = 0; i < sizeof unit - 1; i++)
        if ((v[i] >= 'A' && v[i] <= 'Z' ? v[i] + ('a' - 'A') : v[i]) != unit[i])
            return false;
    return true;
}

enum range_result range_parse(const char *v, size_t n, off_t size, off_t *first,
                              off_t *len)
{
    size_t i = 6, specs = 0, parts = 0;
    int64_t f0 = 0, l0 = 0;

    if (!range_unit(v, n))
        return RANGE_IGNORED;
    for (;;) {
        while (i < n && (range_is_ows(v[i]) || v[i] == ','))
            i++;
        if (i == n)
            break;
        bool ok;
        int64_t f, l;
        if (!range_spec(v, n, &i, (int64_t)size, &ok, &f, &l))
            return RANGE_IGNORED;
        specs++;
        if (ok && parts++ == 0) {
            f0 = f;
            l0 = l;
        }
        while (i < n && range_is_ows(v[i]))
            i++;
        if (i < n && v[i] != ',')
            return RANGE_IGNORED; /* bytes after a range-spec */
    }
    if (specs == 0 || parts > 1)
        return RANGE_IGNORED;
    if (parts == 0)
        return RANGE_UNSATISFIABLE;
    *first = (off_t)f0;
    *len = (off_t)l0;
    return RANGE_PART;
}
