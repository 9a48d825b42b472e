/* The text set of the gzip and mixed workloads (workloads.h): HTML, CSS and
 * JavaScript files from 4 KiB to 256 KiB, and small PNG-typed files of
 * random bytes, generated deterministically from a fixed seed with
 * splitmix64 and kept in --fileset-cache/textset-v1/docroot. Each run
 * makes every file's bytes again in memory and rewrites a file only when it
 * differs, so a damaged set heals and an intact one costs a read. */
#include "workloads/workloads.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

#define TEXTSET_SEED 0x63313070ull  /* "c10p" */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static const char *const ext_of[TEXTSET_TYPES] = {"html", "css", "js"};

/* Tokens of each type and a shared stock of identifiers: text that
 * compresses about as real pages do (3-5x at level 1). */
static const char *const tokens[TEXTSET_TYPES][12] = {
    {"<div class=\"", "\">", "</div>\n", "<p>", "</p>\n", "<a href=\"/", "</a>", "<span>",
     "</span> ", "<li>", "</li>\n", "<img src=\"/"},
    {" {\n  ", ": ", ";\n  ", "}\n.", "px", "#", "margin", "padding", "color",
     "display: flex", "@media (max-width: ", "em"},
    {"function ", "(", ") {\n  ", "return ", ";\n", "}\n", "const ", " = ", "this.",
     "if (", " === ", "=> "},
};

static void ident(uint64_t *s, char *out, size_t cap)
{
    static const char *const parts[] = {"user", "item", "list", "nav", "data", "view",
                                        "header", "main", "card", "button", "form",
                                        "value", "index", "count", "title", "link"};
    uint64_t r = splitmix64(s);
    snprintf(out, cap, "%s%s%u", parts[r % 16], parts[(r >> 8) % 16],
             (unsigned)((r >> 16) % 64));
}

char *textset_text(int type, size_t size, uint64_t seed)
{
    char *b = malloc(size + 64);
    size_t n = 0;
    uint64_t s = seed;
    if (!b)
        return NULL;
    while (n < size) {
        char id[48];
        uint64_t r = splitmix64(&s);
        ident(&s, id, sizeof id);
        n += (size_t)snprintf(b + n, 64, "%s%s", tokens[type][r % 12],
                              r % 3 ? id : "");
    }
    return b; /* size bytes are used; the rest is the last token's tail */
}

size_t textset_size(int i)
{
    /* 4 KiB x 64^(i / (N - 1)): 4 KiB to 256 KiB, evenly in log scale */
    return (size_t)lround(4096.0 * pow(64.0, (double)i / (TEXTSET_SIZES - 1)));
}

/* path's bytes are data[0..n), written (through a temporary, renamed)
 * unless they already are. */
static int put_file(const char *path, const char *data, size_t n, char *err, size_t errlen)
{
    char *have = NULL, why[256], tmp[PATH_MAX + 16];
    size_t len = 0;
    bool same = util_read_file(path, &have, &len, why, sizeof why) == 0 && len == n &&
                memcmp(have, data, n) == 0;
    free(have);
    if (same)
        return 0;
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    bool ok = f && fwrite(data, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok || chmod(tmp, 0644) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "text set: write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int put_text(struct textset *t, int type, int i, char *err, size_t errlen)
{
    char path[PATH_MAX];
    size_t size = textset_size(i);
    char *data = textset_text(type, size, TEXTSET_SEED + (uint64_t)(type * 100 + i));
    if (!data) {
        snprintf(err, errlen, "text set: out of memory");
        return -1;
    }
    snprintf(t->text[type][i], sizeof t->text[type][i], "/t/%s-%02d.%s",
             type == 0 ? "page" : type == 1 ? "style" : "app", i, ext_of[type]);
    snprintf(path, sizeof path, "%s%s", t->docroot, t->text[type][i]);
    int rc = put_file(path, data, size, err, errlen);
    free(data);
    return rc;
}

static int put_small(struct textset *t, int i, char *err, size_t errlen)
{
    char data[TEXTSET_SMALL_BYTES], path[PATH_MAX];
    uint64_t s = TEXTSET_SEED ^ (uint64_t)(1000 + i);
    for (size_t k = 0; k < sizeof data; k++)
        data[k] = (char)splitmix64(&s);
    snprintf(t->small[i], sizeof t->small[i], "/s/icon-%02d.png", i);
    snprintf(path, sizeof path, "%s%s", t->docroot, t->small[i]);
    return put_file(path, data, sizeof data, err, errlen);
}

int textset_prepare(struct textset *t, const char *cache, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    memset(t, 0, sizeof *t);
    snprintf(t->docroot, sizeof t->docroot, "%s/textset-v1/docroot", cache);
    snprintf(dir, sizeof dir, "%s/t", t->docroot);
    if (util_mkdir_p(dir, err, errlen))
        return -1;
    snprintf(dir, sizeof dir, "%s/s", t->docroot);
    if (util_mkdir_p(dir, err, errlen))
        return -1;
    for (int type = 0; type < TEXTSET_TYPES; type++)
        for (int i = 0; i < TEXTSET_SIZES; i++)
            if (put_text(t, type, i, err, errlen))
                return -1;
    for (int i = 0; i < TEXTSET_SMALL; i++)
        if (put_small(t, i, err, errlen))
            return -1;
    char index[PATH_MAX];
    snprintf(index, sizeof index, "%s/index.html", t->docroot);
    return put_file(index, "<!doctype html><title>c10k-lab text set</title>\n", 48, err,
                    errlen);
}

/* A URL list of n lines; line k is pick(k)'s path, class and size. */
int textset_write_urls(struct textset *t, const char *name, int n,
                       const char *(*pick)(const struct textset *, uint64_t *, int *,
                                           size_t *, const void *),
                       const void *arg, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 16];
    uint64_t s = TEXTSET_SEED ^ 0x75726c73ull;
    double sum = 0;
    snprintf(t->urls, sizeof t->urls, "%s/../%s", t->docroot, name);
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", t->urls, (int)getpid());
    FILE *f = fopen(tmp, "w");
    for (int k = 0; f && k < n; k++) {
        int cls;
        size_t size;
        const char *path = pick(t, &s, &cls, &size, arg);
        fprintf(f, "%s\t%d\n", path, cls);
        sum += (double)size;
        t->count[cls]++;
    }
    if (!f || fclose(f) != 0 || rename(tmp, t->urls) != 0) {
        snprintf(err, errlen, "text set: write %s: %s", t->urls, strerror(errno));
        return -1;
    }
    t->mean_bytes = sum / n;
    return 0;
}

uint64_t textset_draw(uint64_t *s, uint64_t n)
{
    return splitmix64(s) % n;
}
