/* Values of option arguments (see opts.h): whole-number lists, rates with
 * a k suffix, equal loads in % or req/s, one number in a range. Below
 * opts.c and the option groups, which all parse their arguments here. */
#include "options/opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opts_parse_list(const char *s, int *v, int max, int lo, int hi)
{
    int n = 0;
    while (*s) {
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (end == s || errno || x < lo || x > hi || n == max ||
            (*end != ',' && *end != '\0'))
            return -1;
        v[n++] = (int)x;
        s = *end ? end + 1 : end;
    }
    return n;
}

/* One decimal number with an optional k (thousands) suffix, in (0, max]. */
static int parse_rate(const char *s, char **end, double *out)
{
    errno = 0;
    double x = strtod(s, end);
    if (*end == s || errno || !(x > 0))
        return -1;
    if (**end == 'k') {
        x *= 1000;
        (*end)++;
    }
    if (x > OPTS_MAX_RATE)
        return -1;
    *out = x;
    return 0;
}

int opts_parse_rates(const char *s, double *v, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        if (n == max || parse_rate(s, &end, &v[n]) || (*end != ',' && *end != '\0'))
            return -1;
        n++;
        s = *end ? end + 1 : end;
    }
    return n;
}

int opts_parse_loads(const char *s, struct opts_load *v, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        if (n == max || parse_rate(s, &end, &v[n].value))
            return -1;
        v[n].pct = *end == '%';
        end += v[n].pct;
        if ((v[n].pct && v[n].value > 1000) || (*end != ',' && *end != '\0'))
            return -1;
        n++;
        s = *end ? end + 1 : end;
    }
    return n;
}

int opts_double_arg(const char *name, const char *s, double lo, double hi, double *out,
                    char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end || errno || !(x >= lo && x <= hi)) {
        snprintf(err, errlen, "--%s %s: expected a number from %g to %g", name, s, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

int opts_whole_arg(const char *name, const char *s, double lo, double hi, double *out,
                   char *err, size_t errlen)
{
    if (opts_double_arg(name, s, lo, hi, out, err, errlen))
        return -1;
    if (*out == (double)(long long)*out && !strpbrk(s, ".eE"))
        return 0;
    snprintf(err, errlen, "--%s %s: expected a whole number from %.0f to %.0f", name, s,
             lo, hi);
    return -1;
}
