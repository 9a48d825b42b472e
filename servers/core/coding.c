/* Content coding: see coding.h. */
#include "coding.h"

#include <string.h>

#include "http_field.h"

static int gzip_level = CODING_GZIP_LEVEL_DEFAULT;
static long long min_size = CODING_MIN_SIZE_DEFAULT;

void coding_accept_init(struct coding_accept *a)
{
    *a = (struct coding_accept){.gzip = -1, .identity = -1, .star = -1};
}

int coding_qvalue(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1') || n > 5 || (n > 1 && s[1] != '.'))
        return -1;
    int q = 0, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        q += (s[i] - '0') * scale;
    }
    if (s[0] == '1')
        return q == 0 ? 1000 : -1; /* "1.5" is no qvalue */
    return q;
}

/* tchar (RFC 9110 section 5.6.2). */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The weight after a coding, e[0..n) from the ';' on: OWS ";" OWS "q="
 * qvalue (section 12.4.2; the parameter name in any case, section 5.6.6).
 * Empty: 1000. -1 if malformed. */
static int weight(const char *e, size_t n)
{
    size_t i = 0;
    while (i < n && is_ows(e[i]))
        i++;
    if (i == n)
        return 1000;
    if (e[i++] != ';')
        return -1;
    while (i < n && is_ows(e[i]))
        i++;
    if (n - i < 2 || (e[i] != 'q' && e[i] != 'Q') || e[i + 1] != '=')
        return -1;
    return coding_qvalue(e + i + 2, n - i - 2);
}

static void keep_highest(int *slot, int q)
{
    if (q > *slot)
        *slot = q;
}

/* One list element: a coding and its weight. */
static int element(struct coding_accept *a, const char *e, size_t n)
{
    size_t t = 0;
    while (t < n && is_tchar(e[t]))
        t++;
    int q = t > 0 ? weight(e + t, n - t) : -1;
    if (q < 0)
        return -1;
    if ((t == 4 && http_field_case_eq(e, "gzip", 4)) ||
        (t == 6 && http_field_case_eq(e, "x-gzip", 6)))
        keep_highest(&a->gzip, q);
    else if (t == 8 && http_field_case_eq(e, "identity", 8))
        keep_highest(&a->identity, q);
    else if (t == 1 && e[0] == '*')
        keep_highest(&a->star, q);
    return 0; /* other codings (br, deflate, zstd) are not offered */
}

int coding_accept_line(struct coding_accept *a, const char *v, size_t n)
{
    size_t i = 0, t0, t1;
    a->given = true;
    while (http_field_list_next(v, n, &i, &t0, &t1)) {
        if (element(a, v + t0, t1 - t0) < 0) {
            a->malformed = true;
            return -1;
        }
    }
    return 0;
}

int coding_q_gzip(const struct coding_accept *a)
{
    if (!a->given || a->malformed)
        return 0; /* see coding.h: identity for these */
    return a->gzip >= 0 ? a->gzip : a->star >= 0 ? a->star : 0;
}

int coding_q_identity(const struct coding_accept *a)
{
    if (!a->given || a->malformed)
        return 1000;
    if (a->identity >= 0)
        return a->identity;
    /* "*;q=0" refuses an unnamed identity; else it is acceptable, the
     * least preferred (coding.h). */
    return a->star >= 0 ? a->star : CODING_Q_UNNAMED_IDENTITY;
}

bool coding_accept_gzip(const struct coding_accept *a)
{
    int g = coding_q_gzip(a);
    return g > 0 && g >= coding_q_identity(a);
}

void coding_configure(int level, long long min)
{
    gzip_level = level;
    min_size = min;
}

int coding_gzip_level(void)
{
    return gzip_level;
}

/* The media types worth compressing, by the type before any parameter:
 * what nginx's and h2o's documentation suggest for gzip_types and
 * compress, and what the references are configured with (harness/sut). */
static bool type_compressible(const char *t)
{
    static const char *const types[] = {
        "application/javascript", "application/json", "application/xml",
        "application/xhtml+xml", "image/svg+xml", "text/javascript",
    };
    size_t n = strcspn(t, ";");
    if (n > 5 && strncmp(t, "text/", 5) == 0)
        return true;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strlen(types[i]) == n && strncmp(t, types[i], n) == 0)
            return true;
    return false;
}

bool coding_compressible(const char *media_type, long long size)
{
    return gzip_level > 0 && size >= min_size && size <= CODING_MAX_SIZE &&
           type_compressible(media_type);
}
