/* --workload gzip: the text set's HTML, CSS and JavaScript files (4 KiB to
 * 256 KiB, textset.c) walked through a URL list drawn uniformly over them,
 * every request with Accept-Encoding: gzip, every server compressing at
 * --gzip-level: the models with their --gzip-level, the references
 * configured to the same level and types (sut/refs.c), the calibration
 * server answering a gzip body it made once (the cost of everything but
 * the compression). */
#include "workloads/workloads.h"

#include <stdio.h>
#include <string.h>

#define GZIP_LEVEL_DEFAULT 1 /* nginx's gzip_comp_level and h2o's; lighttpd's differs */
#define GZIP_HEADER "Accept-Encoding: gzip"

/* --fileset-cache: where the text set is kept too (parsed by fileset.c). */
static const char *const options[] = {"gzip-level", "fileset-cache", NULL};
static struct textset set;

int gzip_workload_arg(struct opts *o, const char *name, const char *arg, char *err,
                      size_t errlen)
{
    double v = 0;
    (void)name;
    int rc = opts_whole_arg("gzip-level", arg, 1, 9, &v, err, errlen);
    o->gzip_level = (int)v;
    return rc;
}

int gzip_workload_check(const struct opts *o, char *err, size_t errlen)
{
    if (o->path_given)
        snprintf(err, errlen, "--path with --workload %s: its requests follow its URL "
                 "list", o->workload->name);
    else if (o->n_load_hosts)
        snprintf(err, errlen, "--load-hosts with --workload %s: the URL list is not "
                 "copied to the load hosts", o->workload->name);
    else
        return 0;
    return -1;
}

static void defaults(struct opts *o, bool chosen)
{
    (void)chosen;
    if (!o->gzip_level)
        o->gzip_level = GZIP_LEVEL_DEFAULT;
}

void gzip_workload_usage(FILE *f)
{
    fprintf(f, "  --gzip-level N       gzip, mixed: gzip level of every server, 1-9 [%d];\n"
               "                       their text set is kept under --fileset-cache\n",
            GZIP_LEVEL_DEFAULT);
}

static const char *pick(const struct textset *t, uint64_t *s, int *cls, size_t *size,
                        const void *arg)
{
    (void)arg;
    uint64_t k = textset_draw(s, TEXTSET_TYPES * TEXTSET_SIZES);
    *cls = 0;
    *size = textset_size((int)(k % TEXTSET_SIZES));
    return t->text[k / TEXTSET_SIZES][k % TEXTSET_SIZES];
}

static int prepare(struct workload *w, const struct opts *o, char *err, size_t errlen)
{
    if (textset_prepare(&set, o->fileset_cache, err, errlen) ||
        textset_write_urls(&set, "urls-gzip.txt", TEXTSET_URLS, pick, NULL, err, errlen))
        return -1;
    w->docroot = set.docroot;
    w->urls = set.urls;
    snprintf(w->path, sizeof w->path, "%s", set.text[0][TEXTSET_SIZES / 2]);
    w->body_size = (long)set.mean_bytes;
    w->gzip_level = o->gzip_level;
    w->header = GZIP_HEADER;
    return 0;
}

static void describe(struct workload *w, const struct opts *o)
{
    (void)o;
    snprintf(w->detail, sizeof w->detail, "gzip: %d HTML, CSS and JavaScript files of "
             "%zu to %zu bytes, %d requests drawn uniformly over them (mean %.0f bytes "
             "before compression), each with %s; every server compresses at level %d",
             TEXTSET_TYPES * TEXTSET_SIZES, textset_size(0), textset_size(TEXTSET_SIZES - 1),
             TEXTSET_URLS, set.mean_bytes, GZIP_HEADER, w->gzip_level);
}

const struct workload_ops workload_gzip = {
    .name = "gzip",
    .help = "gzip: HTML, CSS and JavaScript of 4 KiB to 256 KiB, every\n"
            "request with Accept-Encoding: gzip, compressed on the fly\n"
            "by every server at --gzip-level",
    .options = options,
    .arg = gzip_workload_arg,
    .check = gzip_workload_check,
    .defaults = defaults,
    .usage = gzip_workload_usage,
    .prepare = prepare,
    .describe = describe,
};
