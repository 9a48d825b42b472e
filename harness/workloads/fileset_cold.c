/* --workload fileset-cold: the file set from the disk. Each server (and
 * its children) in a memory cgroup of --cold-memory MiB, page cache
 * included, far below the set's size, and the set dropped from the page
 * cache before every level and step, so that reads go to the disk
 * throughout; pages cached by another cgroup (the generator, an earlier
 * server) would otherwise be served without counting against the limit.
 * Models get a small --cache-mb (their own copies of small files count
 * against the limit too) and hybrid models more --workers than CPUs. Where
 * the limit cannot be set, or the docroot has no block device, w.skip says
 * why and every row is skipped with it. */
#include "workloads/workloads.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cgroup.h"
#include "workload/fileset.h"

static const char *const options[] = {"fileset-dirs", "fileset-seed", "fileset-cache",
                                      "cold-memory", NULL};

static int arg(struct opts *o, const char *name, const char *a, char *err, size_t errlen)
{
    double v = 0;
    if (strcmp(name, "cold-memory"))
        return fileset_workload_arg(o, name, a, err, errlen);
    int rc = opts_whole_arg(name, a, 8, 1 << 20, &v, err, errlen);
    o->cold_memory_mb = (int)v;
    return rc;
}

static void defaults(struct opts *o, bool chosen)
{
    fileset_workload_defaults(o, chosen);
    if (!o->cold_memory_mb)
        o->cold_memory_mb = OPTS_DEFAULT_COLD_MEMORY_MB;
}

static void usage(FILE *f)
{
    fprintf(f,
"  --cold-memory MB     fileset-cold: each server's memory limit, page cache\n"
"                       included (models get --cache-mb %d) [%d]\n",
            OPTS_COLD_CACHE_MB, OPTS_DEFAULT_COLD_MEMORY_MB);
}

/* Can a server's memory be bounded here? A probe group says. */
static void probe_memory_limit(struct workload *w)
{
    struct cgroup g;
    char name[64], err[PATH_MAX + 64], why[320];
    snprintf(name, sizeof name, "c10k-%d-memprobe", (int)getpid());
    cgroup_create(&g, name, err, sizeof err); /* v1: the memory group is apart */
    if (cgroup_limit_memory(&g, name, w->memory_limit, why, sizeof why))
        snprintf(w->skip, sizeof w->skip, "fileset-cold needs a memory cgroup for "
                 "each server and none could be set here (%s): measuring without the "
                 "limit would be the warm file set under another name", why);
    cgroup_remove(&g);
}

static void probe(struct workload *w, const struct opts *o)
{
    if (!w->disk_ok)
        snprintf(w->skip, sizeof w->skip, "fileset-cold needs the file set on a disk: "
                 "%s; --fileset-cache elsewhere", w->disk_why);
    if (w->skip[0])
        return;
    w->memory_limit = (uint64_t)o->cold_memory_mb << 20;
    probe_memory_limit(w);
}

static void describe(struct workload *w, const struct opts *o)
{
    fileset_workload_describe(w, o);
    size_t n = strlen(w->detail);
    snprintf(w->detail + n, sizeof w->detail - n, "; each server in a memory "
             "cgroup of %d MiB (page cache included), models --cache-mb %d, the set "
             "dropped from the page cache before every level", o->cold_memory_mb,
             w->cache_mb);
}

static void before_point(const struct workload *w)
{
    fileset_drop_cache(&w->fs);
}

const struct workload_ops workload_fileset_cold = {
    .name = "fileset-cold",
    .help = "fileset-cold: the same with each server in a memory cgroup\n"
            "far smaller than the set and the set dropped from the page\n"
            "cache before each level: reads go to the disk",
    .options = options,
    .arg = arg,
    .check = fileset_workload_check,
    .defaults = defaults,
    .usage = usage,
    .cache_mb = OPTS_COLD_CACHE_MB,
    .workers_per_cpu = OPTS_COLD_WORKERS_PER_CPU,
    .prepare = fileset_workload_prepare,
    .probe = probe,
    .describe = describe,
    .before_point = before_point,
};
