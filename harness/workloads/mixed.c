/* --workload mixed: cheap requests (1 KiB files of a type no server
 * compresses, answered as they are from every cache) and expensive ones
 * (the text set's files of 100 KiB and more, compressed on the fly) in the
 * proportion --mix CHEAP/EXPENSIVE (default 95/5), pre-drawn into a URL
 * list whose class column (0 cheap, 1 expensive) gives loadgen a latency
 * histogram per class: how long a small answer waits behind someone
 * else's compression. Every request carries Accept-Encoding: gzip, as a
 * browser's do; the server decides what it compresses.
 *
 * Its baseline: a second URL list of the mix's cheap requests alone (the
 * same files in the same order), which its steps (mixed_steps.c, step
 * alone) offer after the open loop at the cheap share of each equal-load
 * rate: the cheap requests arrive as often as in the mix, without the
 * expensive ones. */
#include "workloads/workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"
#include "report/markdown.h"

#define MIX_CHEAP_DEFAULT 95
#define MIX_EXPENSIVE_MIN 100000 /* bytes: the expensive class's smallest file */

static const char *const options[] = {"gzip-level", "mix", "fileset-cache", NULL};
static struct textset set, cheap; /* the mix; its cheap requests alone */

static int arg(struct opts *o, const char *name, const char *value, char *err,
               size_t errlen)
{
    if (strcmp(name, "mix") != 0) /* --gzip-level; --fileset-cache is fileset.c's */
        return gzip_workload_arg(o, name, value, err, errlen);
    int cheap, expensive, used = 0;
    if (sscanf(value, "%d/%d%n", &cheap, &expensive, &used) == 2 && value[used] == '\0' &&
        cheap >= 1 && expensive >= 1 && cheap + expensive == 100) {
        o->mix_cheap_pct = cheap;
        return 0;
    }
    snprintf(err, errlen, "--mix %s: expected CHEAP/EXPENSIVE percentages, each at least "
             "1, adding up to 100 (e.g. 95/5)", value);
    return -1;
}

static void defaults(struct opts *o, bool chosen)
{
    (void)chosen;
    if (!o->gzip_level)
        o->gzip_level = 1;
    if (!o->mix_cheap_pct)
        o->mix_cheap_pct = MIX_CHEAP_DEFAULT;
}

static void usage(FILE *f)
{
    fprintf(f, "  --mix C/E            mixed: cheap/expensive requests, %% [%d/%d]; after\n"
               "                       the open loop, the cheap requests alone at C%% of\n"
               "                       each equal-load rate (step alone: the baseline)\n",
            MIX_CHEAP_DEFAULT, 100 - MIX_CHEAP_DEFAULT);
}

/* The first size index of the expensive class. */
static int first_expensive(void)
{
    int i = 0;
    while (i < TEXTSET_SIZES - 1 && textset_size(i) < MIX_EXPENSIVE_MIN)
        i++;
    return i;
}

static const char *pick(const struct textset *t, uint64_t *s, int *cls, size_t *size,
                        const void *a)
{
    int cheap_pct = *(const int *)a, lo = first_expensive();
    if ((int)textset_draw(s, 100) < cheap_pct) {
        *cls = 0;
        *size = TEXTSET_SMALL_BYTES;
        return t->small[textset_draw(s, TEXTSET_SMALL)];
    }
    uint64_t n = (uint64_t)(TEXTSET_SIZES - lo), k = textset_draw(s, TEXTSET_TYPES * n);
    *cls = 1;
    *size = textset_size(lo + (int)(k % n));
    return t->text[k / n][lo + (int)(k % n)];
}

/* The cheap requests of the mix alone: the mix's draws, the expensive
 * ones left out, so that its lines are the mix's cheap lines in order. */
static const char *pick_cheap(const struct textset *t, uint64_t *s, int *cls,
                              size_t *size, const void *a)
{
    const char *path;
    do
        path = pick(t, s, cls, size, a);
    while (*cls != 0);
    return path;
}

static int prepare(struct workload *w, const struct opts *o, char *err, size_t errlen)
{
    char name[64];
    snprintf(name, sizeof name, "urls-mixed-%d.txt", o->mix_cheap_pct);
    if (textset_prepare(&set, o->fileset_cache, err, errlen) ||
        textset_write_urls(&set, name, TEXTSET_URLS, pick, &o->mix_cheap_pct, err,
                           errlen))
        return -1;
    cheap = set;
    cheap.count[0] = cheap.count[1] = 0;
    snprintf(name, sizeof name, "urls-mixed-%d-cheap.txt", o->mix_cheap_pct);
    if (textset_write_urls(&cheap, name, (int)set.count[0], pick_cheap, &o->mix_cheap_pct,
                           err, errlen))
        return -1;
    w->docroot = set.docroot;
    w->urls = set.urls;
    w->urls_alone = cheap.urls;
    w->cheap_share = (double)set.count[0] / TEXTSET_URLS;
    snprintf(w->path, sizeof w->path, "%s", set.text[0][TEXTSET_SIZES - 1]);
    w->body_size = (long)set.mean_bytes;
    w->gzip_level = o->gzip_level;
    w->header = "Accept-Encoding: gzip";
    return 0;
}

static void describe(struct workload *w, const struct opts *o)
{
    snprintf(w->detail, sizeof w->detail, "mixed: %d/%d %% cheap/expensive (%ld/%ld of "
             "%d requests): cheap %d-byte image files (never compressed), expensive "
             "HTML/CSS/JS of %zu to %zu bytes in gzip at level %d; class column in the "
             "URL list, a latency histogram per class; the cheap requests alone at "
             "their share of each equal-load rate as the baseline", o->mix_cheap_pct,
             100 - o->mix_cheap_pct, set.count[0], set.count[1], TEXTSET_URLS,
             TEXTSET_SMALL_BYTES, textset_size(first_expensive()),
             textset_size(TEXTSET_SIZES - 1), w->gzip_level);
}

const struct workload_ops workload_mixed = {
    .name = "mixed",
    .help = "mixed: cheap 1 KiB requests and expensive gzip ones (100-256\n"
            "KiB of text) in the --mix proportion; p99 per class",
    .options = options,
    .arg = arg,
    .check = gzip_workload_check,
    .defaults = defaults,
    .usage = usage,
    .prepare = prepare,
    .describe = describe,
    .steps = mixed_alone_steps,
    .not_measured = mixed_alone_not_measured,
    .open_steps = mixed_alone_count,
    .html_section = html_mixed,
    .markdown_section = markdown_mixed,
};
