/* The workload of a run (see workload.h). */
#include "workload/workload.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cgroup.h"
#include "base/util.h"

/* The file set: verified and reused, or generated (a few seconds per
 * hundred MiB), said on stdout either way. */
static int prepare_fileset(struct workload *w, const struct opts *o, char *err,
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

static void describe(struct workload *w, const struct opts *o)
{
    char rate[32];
    util_format_rate(o->slow_rate, rate, sizeof rate);
    if (w->kind == WORKLOAD_FILE || w->kind == WORKLOAD_SLOW_CLIENTS)
        snprintf(w->detail, sizeof w->detail, "%s: GET %s (%ld bytes)%s%s%s", w->name,
                 w->path, w->body_size, w->kind == WORKLOAD_SLOW_CLIENTS ?
                 "; many slow clients, each offering " : "",
                 w->kind == WORKLOAD_SLOW_CLIENTS ? rate : "",
                 w->kind == WORKLOAD_SLOW_CLIENTS ? " req/s" : "");
    else
        snprintf(w->detail, sizeof w->detail, "%s: %d files in %d directories (%lld "
                 "MiB, SPECweb99 classes, 35/50/14/1 %%, Zipf), seed %llu, %d requests "
                 "walked by both load tools (mean %.0f bytes)%s", w->name, w->fs.files,
                 w->fs.dirs, w->fs.bytes >> 20, (unsigned long long)w->fs.seed,
                 FILESET_SEQUENCE, w->fs.mean_bytes, "");
    if (w->kind == WORKLOAD_FILESET_COLD) {
        size_t n = strlen(w->detail);
        snprintf(w->detail + n, sizeof w->detail - n, "; each server in a memory "
                 "cgroup of %d MiB (page cache included), models --cache-mb %d, the set "
                 "dropped from the page cache before every level", o->cold_memory_mb,
                 w->cache_mb);
    }
}

int workload_prepare(struct workload *w, const struct opts *o, char *err, size_t errlen)
{
    char why[384];
    bool cold = o->workload == WORKLOAD_FILESET_COLD;
    memset(w, 0, sizeof *w);
    w->kind = o->workload;
    w->name = opts_workload_name(o->workload);
    w->docroot = WORKLOAD_DOCROOT;
    w->cache_mb = cold ? OPTS_COLD_CACHE_MB : 0;
    w->workers = o->workers ? o->workers : CPU_COUNT(&o->server_cpus) *
                                               (cold ? OPTS_COLD_WORKERS_PER_CPU : 1);
    snprintf(w->path, sizeof w->path, "%s", o->path);
    if (w->kind == WORKLOAD_FILESET || cold) {
        if (prepare_fileset(w, o, err, errlen))
            return -1;
    } else {
        struct stat st;
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s%s", w->docroot, w->path);
        w->body_size = stat(full, &st) == 0 ? (long)st.st_size : -1;
    }
    w->disk_ok = diskio_find(&w->disk, w->docroot, why, sizeof why) == 0;
    if (cold && !w->disk_ok)
        snprintf(w->skip, sizeof w->skip, "fileset-cold needs the file set on a disk: "
                 "%s; --fileset-cache elsewhere", why);
    if (cold && !w->skip[0]) {
        w->memory_limit = (uint64_t)o->cold_memory_mb << 20;
        probe_memory_limit(w);
    }
    describe(w, o);
    return 0;
}

void workload_before_point(const struct workload *w)
{
    if (w && w->kind == WORKLOAD_FILESET_COLD)
        fileset_drop_cache(&w->fs);
}

int workload_disk(const struct workload *w, struct diskio_count *c)
{
    return w && w->disk_ok ? diskio_read(&w->disk, c) : -1;
}

void workload_write_meta(const struct workload *w, FILE *f)
{
    fprintf(f, "workload: %s\nworkload_detail: %s\ndocroot: %s\nurls: %s\n", w->name,
            w->detail, w->docroot, w->urls ? w->urls : "none");
    if (w->disk_ok)
        fprintf(f, "disk: %s (%u:%u), reads per point from /proc/diskstats\n",
                w->disk.name, w->disk.major, w->disk.minor);
    else
        fprintf(f, "disk: not measured (the docroot has no block device)\n");
    if (w->memory_limit)
        fprintf(f, "server_memory_limit_bytes: %llu\n",
                (unsigned long long)w->memory_limit);
    if (w->skip[0])
        fprintf(f, "workload_skipped: %s\n", w->skip);
    fprintf(f, "hybrid_workers: %d\n", w->workers);
}
