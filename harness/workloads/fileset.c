/* --workload fileset: the generated SPECweb99-style file set
 * (workload/fileset.h) served from its own docroot, both load tools walking
 * its pre-drawn URL list. Its options are also fileset-cold's. */
#include "workloads/workloads.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "workload/fileset.h"

static const char *const options[] = {"fileset-dirs", "fileset-seed", "fileset-cache", NULL};

int fileset_workload_arg(struct opts *o, const char *name, const char *arg, char *err,
                         size_t errlen)
{
    double v = 0;
    int rc;
    if (strcmp(name, "fileset-cache") == 0) {
        if (arg[0] == '/' && strlen(arg) < FILESET_DIR_MAX - 64) {
            o->fileset_cache = arg;
            return 0;
        }
        snprintf(err, errlen, "--fileset-cache %s: expected an absolute directory path "
                 "of under %d bytes", arg, FILESET_DIR_MAX - 64);
        return -1;
    }
    if (strcmp(name, "fileset-dirs") == 0) {
        rc = opts_whole_arg(name, arg, 1, FILESET_MAX_DIRS, &v, err, errlen);
        o->fileset_dirs = (int)v;
    } else {
        rc = opts_whole_arg(name, arg, 1, 9007199254740992.0, &v, err, errlen);
        o->fileset_seed = (unsigned long long)v;
    }
    return rc;
}

int fileset_workload_check(const struct opts *o, char *err, size_t errlen)
{
    const char *w = o->workload->name;
    if (o->path_given)
        snprintf(err, errlen, "--path with --workload %s: the file set's requests "
                 "follow its URL list, not one path", w);
    else if (o->n_load_hosts)
        snprintf(err, errlen, "--load-hosts with --workload %s: the URL list is not "
                 "copied to the load hosts; run the file-set workloads with the load "
                 "on this machine", w);
    else
        return 0;
    return -1;
}

void fileset_workload_defaults(struct opts *o, bool chosen)
{
    (void)chosen;
    if (!o->fileset_dirs)
        o->fileset_dirs = FILESET_DEFAULT_DIRS;
    if (!o->fileset_seed)
        o->fileset_seed = FILESET_DEFAULT_SEED;
    if (!o->fileset_cache)
        o->fileset_cache = FILESET_DEFAULT_CACHE;
}

static void usage(FILE *f)
{
    fprintf(f,
"  --fileset-dirs N     directories of 4.9 MiB each [%d: %d MiB]\n"
"  --fileset-seed N     seed of the files and the request sequence [%d]\n"
"  --fileset-cache DIR  where sets are generated once and reused [%s]\n",
            FILESET_DEFAULT_DIRS, (int)(FILESET_DEFAULT_DIRS * FILESET_DIR_BYTES >> 20),
            FILESET_DEFAULT_SEED, FILESET_DEFAULT_CACHE);
}

/* The set verified and reused, or generated (a few seconds per hundred
 * MiB), said on stdout either way. */
int fileset_workload_prepare(struct workload *w, const struct opts *o, char *err,
                             size_t errlen)
{
    double t0 = util_now();
    long long mib = (long long)o->fileset_dirs * FILESET_DIR_BYTES >> 20;
    printf("file set: %d directories (%lld MiB), seed %llu, in %s/fileset-d%d-s%llu\n",
           o->fileset_dirs, mib, o->fileset_seed, o->fileset_cache, o->fileset_dirs,
           o->fileset_seed);
    fflush(stdout);
    if (fileset_prepare(&w->fs, o->fileset_cache, o->fileset_dirs, o->fileset_seed, err,
                        errlen))
        return -1;
    if (w->fs.generated)
        printf("file set: generated in %.1f s%s%s\n", util_now() - t0,
               w->fs.redo[0] ? "; the stored one was not reused: " : "", w->fs.redo);
    else
        printf("file set: reused (its manifest verified)\n");
    w->docroot = w->fs.docroot;
    w->urls = w->fs.urls;
    snprintf(w->path, sizeof w->path, "%s", w->fs.first);
    w->body_size = lround(w->fs.mean_bytes);
    return 0;
}

void fileset_workload_describe(struct workload *w, const struct opts *o)
{
    (void)o;
    snprintf(w->detail, sizeof w->detail, "%s: %d files in %d directories (%lld "
             "MiB, SPECweb99 classes, 35/50/14/1 %%, Zipf), seed %llu, %d requests "
             "walked by both load tools (mean %.0f bytes)", w->name, w->fs.files,
             w->fs.dirs, w->fs.bytes >> 20, (unsigned long long)w->fs.seed,
             FILESET_SEQUENCE, w->fs.mean_bytes);
}

const struct workload_ops workload_fileset = {
    .name = "fileset",
    .help = "fileset: a generated SPECweb99-style file set, four size\n"
            "classes requested 35/50/14/1 %, Zipf popularity, through a\n"
            "pre-drawn URL list (wrk: bench/urls.lua, loadgen --urls)",
    .options = options,
    .arg = fileset_workload_arg,
    .check = fileset_workload_check,
    .defaults = fileset_workload_defaults,
    .usage = usage,
    .prepare = fileset_workload_prepare,
    .describe = fileset_workload_describe,
};
