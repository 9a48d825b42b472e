/* The request bytes loadgen sends: one request (the URL's path), or one per
 * line of a --urls file, built once before the run (see loadgen.h,
 * struct lg_reqs). A batch of up to --pipeline consecutive requests must be
 * one contiguous range, so the first `pipeline` requests of the sequence
 * follow it again at the end: request i of a batch starting at p is at
 * off[p + i] whatever p is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen.h"

#define LG_REQ_MAX 8192  /* one request, head included */

/* One request for path into out (LG_REQ_MAX bytes); its length, or 0 if
 * it does not fit. */
static size_t reqs_format(const struct lg_opts *o, const char *path, size_t path_len,
                          char *out)
{
    int n = snprintf(out, LG_REQ_MAX, "GET %.*s HTTP/1.1\r\nHost: %.*s\r\n", (int)path_len,
                     path, (int)o->authority_len, o->authority);
    for (unsigned i = 0; i < o->n_headers && n > 0 && n < LG_REQ_MAX; i++)
        n += snprintf(out + n, LG_REQ_MAX - (size_t)n, "%s\r\n", o->headers[i]);
    if (n < 0 || (size_t)n + 2 >= LG_REQ_MAX)
        return 0;
    memcpy(out + n, "\r\n", 2);
    return (size_t)n + 2;
}

/* A line's class after a tab: 0 when none; -1 if it is not 0..LG_CLASSES-1
 * (the line is then cut at the tab). */
static int reqs_class(char *line, ssize_t *len)
{
    char *tab = memchr(line, '\t', (size_t)*len);
    if (!tab)
        return 0;
    size_t rest = (size_t)(line + *len - (tab + 1));
    *len = tab - line;
    if (rest != 1 || tab[1] < '0' || tab[1] >= '0' + LG_CLASSES)
        return -1;
    return tab[1] - '0';
}

/* A path of the list: starts with /, no blank or control character (the
 * request line could not carry it). */
static bool reqs_path_ok(const char *p, size_t len)
{
    if (len == 0 || p[0] != '/')
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f || p[i] == '#')
            return false;
    return true;
}

/* The paths of a --urls file: offsets of each line's start into text (NUL-
 * terminated lines). 0, or 2 after one line on stderr. */
static int reqs_read_list(const char *file, char **text, size_t **starts, uint8_t **cls,
                          uint64_t *n)
{
    FILE *f = fopen(file, "r");
    char *line = NULL;
    size_t cap = 0, used = 0, n_cap = 0, text_cap = 0;
    ssize_t len;
    *text = NULL;
    *starts = NULL;
    *cls = NULL;
    *n = 0;
    if (!f) {
        fprintf(stderr, "loadgen: --urls %s: %s\n", file, strerror(errno));
        return 2;
    }
    for (uint64_t lineno = 1; (len = getline(&line, &cap, f)) >= 0; lineno++) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue; /* blank lines carry nothing */
        int k = reqs_class(line, &len);
        if (k < 0 || !reqs_path_ok(line, (size_t)len) || *n == LG_MAX_URLS) {
            fprintf(stderr, "loadgen: --urls %s: line %llu: %s\n", file,
                    (unsigned long long)lineno, *n == LG_MAX_URLS ? "more than "
                    "the 10000000 paths allowed" : k < 0 ? "the class after the tab "
                    "must be 0 or 1" : "expected a path starting with /, "
                    "without blanks, control characters or #");
            goto fail;
        }
        /* Both grow by doubling: a list of 100,000 paths is read at once. */
        char *t = used + (size_t)len + 1 > text_cap
                      ? realloc(*text, text_cap = 2 * (used + (size_t)len + 1)) : *text;
        size_t grow = *n == n_cap ? (n_cap ? 2 * n_cap : 1024) : n_cap;
        size_t *s = grow != n_cap ? realloc(*starts, grow * sizeof *s) : *starts;
        uint8_t *c = grow != n_cap ? realloc(*cls, grow) : *cls;
        if (t)
            *text = t;
        if (s)
            *starts = s;
        if (c)
            *cls = c;
        if (s && c)
            n_cap = grow;
        if (!t || !s || !c) {
            fprintf(stderr, "loadgen: --urls %s: out of memory\n", file);
            goto fail;
        }
        memcpy(*text + used, line, (size_t)len);
        (*text)[used + (size_t)len] = '\0';
        (*cls)[*n] = (uint8_t)k;
        (*starts)[(*n)++] = used;
        used += (size_t)len + 1;
    }
    free(line);
    fclose(f);
    if (*n > 0)
        return 0;
    fprintf(stderr, "loadgen: --urls %s: no path in the file\n", file);
    return 2;
fail:
    free(line);
    fclose(f);
    return 2;
}

/* The buffer for n paths (path i = paths + starts[i]) plus the wrap copies. */
static int reqs_fill(const struct lg_opts *o, const char *paths, const size_t *starts,
                     const uint8_t *cls, uint64_t n, struct lg_reqs *r)
{
    uint64_t total = n + o->pipeline;
    size_t cap = 0, used = 0;
    char one[LG_REQ_MAX];
    r->n = n;
    r->off = malloc((total + 1) * sizeof *r->off);
    r->cls = calloc(total, 1);
    r->buf = NULL;
    if (!r->off || !r->cls) {
        fprintf(stderr, "loadgen: malloc: %s\n", strerror(errno));
        return 1;
    }
    for (uint64_t i = 0; i < total; i++) {
        const char *p = paths + starts[i % n];
        size_t len = reqs_format(o, p, strlen(p), one);
        if (len == 0) {
            fprintf(stderr, "loadgen: the request for %s is longer than %d bytes\n", p,
                    LG_REQ_MAX);
            return 2;
        }
        if (used + len > cap) {
            char *b = realloc(r->buf, cap = (used + len) * 2);
            if (!b) {
                fprintf(stderr, "loadgen: malloc: %s\n", strerror(errno));
                return 1;
            }
            r->buf = b;
        }
        r->off[i] = used;
        r->cls[i] = cls ? cls[i % n] : 0;
        memcpy(r->buf + used, one, len);
        used += len;
    }
    r->off[total] = used;
    return 0;
}

int lg_reqs_build(const struct lg_opts *o, struct lg_reqs *r)
{
    char *text;
    size_t *starts, one_start = 0;
    uint8_t *cls;
    uint64_t n;
    int rc;
    memset(r, 0, sizeof *r);
    if (!o->urls)
        return reqs_fill(o, o->path, &one_start, NULL, 1, r);
    if ((rc = reqs_read_list(o->urls, &text, &starts, &cls, &n)) == 0)
        rc = reqs_fill(o, text, starts, cls, n, r);
    free(text);
    free(starts);
    free(cls);
    return rc;
}

void lg_reqs_free(struct lg_reqs *r)
{
    free(r->buf);
    free(r->off);
    free(r->cls);
    memset(r, 0, sizeof *r);
}
