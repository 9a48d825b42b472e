/* What a run serves and requests (--workload), and what its workload does
 * around every measurement: the part every workload shares; each workload
 * is a plug-in in harness/workloads/ behind struct workload_ops
 * (options/workloads.h).
 *
 *   struct workload w;
 *   if (workload_prepare(&w, &opts, err, sizeof err)) ...  // set generated here
 *   env.docroot = w.docroot; ...verify w.path...; load from w.urls (or w.path)
 *   before each level or step: workload_before_point(&w);
 *   around it: workload_disk(&w, &a) ... workload_disk(&w, &b)
 *
 *   file          html/, GET --path (a cached 16 KiB file by default)
 *   fileset       the generated file set (fileset.h) served from its own
 *                 docroot, both load tools walking its URL list
 *   fileset-cold  the same, each server (and its children) in a memory
 *                 cgroup of --cold-memory MiB, page cache included, far
 *                 below the set's size, and the set dropped from the page
 *                 cache before every level and step, so that reads go to
 *                 the disk throughout; pages cached by another cgroup (the
 *                 generator, an earlier server) would otherwise be served
 *                 without counting against the limit. Models get a small
 *                 --cache-mb (their own copies of small files count against
 *                 the limit too) and hybrid models more --workers than CPUs.
 *                 Where the limit cannot be set, or the docroot has no block
 *                 device, w.skip says why and every row is skipped with it.
 *   slow-clients  html/ and --path, with the slow-client steps (workloads/slow_clients.c)
 *
 * Every workload records the docroot device's reads per point (diskio.h)
 * where it has one: zero on a cached workload, the evidence on a cold one. */
#ifndef HARNESS_WORKLOAD_H
#define HARNESS_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/cgroup.h"
#include "base/diskio.h"
#include "workload/db_probe.h"
#include "workload/fileset.h"
#include "options/opts.h"
#include "options/workloads.h"

#ifndef C10K_SOURCE_ROOT
#define C10K_SOURCE_ROOT "."
#endif
/* html/ of the source tree: what the file workload (and verify) serve. */
#define WORKLOAD_DOCROOT C10K_SOURCE_ROOT "/html"

struct workload {
    const struct workload_ops *ops; /* the run's workload */
    const char *name;            /* as results.csv's workload column says it */
    const char *docroot;         /* what every server and reference serves */
    char path[256];              /* verified (and requested without a list) */
    const char *urls;            /* the URL list both load tools walk, or NULL */
    const char *urls_alone;      /* mixed: the cheap requests of urls alone, in
                                    their order (its alone steps); else NULL */
    double cheap_share;          /* mixed: the cheap requests' share of urls (the
                                    draw's, near --mix's), 0..1; else 0 */
    struct fileset fs;           /* fileset, fileset-cold */
    struct diskio disk;
    bool disk_ok;                /* reads are measured */
    uint64_t memory_limit;       /* fileset-cold: bytes per server; 0 none */
    int cache_mb;                /* models' --cache-mb; 0: their default */
    int workers;                 /* hybrid models' --workers */
    long body_size;              /* the calibration server's response, bytes */
    /* gzip, mixed: the level every server compresses at (models'
     * --gzip-level, the references' configurations, the calibration
     * server's stored gzip body), and the header every request carries;
     * 0 and NULL for the workloads that do not compress. */
    int gzip_level;
    const char *header;
    char disk_why[384];          /* why reads are not measured, if so */
    char skip[512];              /* why no server can be measured ("": they can) */
    /* Models' extra options (db, queries: --db URI ...), NULL-terminated. */
    const char *server_args[12];
    char db_uri[512];            /* db, queries: the cluster's libpq URI */
    char db_args[4][32];         /* ... and the option values */
    int db_pid;                  /* the cluster's keeper (tests/pgcluster.py serve), 0 none */
    const struct cgroup *db_cg;  /* its CPU accounting, NULL: none */
    char *calibration_json;      /* db, queries: the stored row(s) it answers, malloc'd */
    double db_limit_rps;         /* Little's law: db-conns / (D x q), 0: none (D = 0) */
    int db_delay_ms;             /* db, queries: --db-delay-ms */
    int db_queries;              /* queries: q of the rows being measured; 0 others */
    struct db_probe *db_probe;   /* db, queries: the database's count of its clients */
    char detail[768];            /* one line for meta.txt and the report */
};

/* Before any server: the workload's prepare (a file set verified or
 * generated, saying so on stdout), the disk found, its probe (fileset-cold:
 * the memory limit tried), its description. 0, or -1 with one line in err. */
int workload_prepare(struct workload *w, const struct opts *o, char *err,
                     size_t errlen);
/* Before a level or step: the workload's hook (fileset-cold drops the set
 * from the page cache). */
void workload_before_point(const struct workload *w);
/* Reads from the docroot's device so far; -1 if not measured. */
int workload_disk(const struct workload *w, struct diskio_count *c);
/* At the end of the run: the workload's finish hook. */
void workload_finish(struct workload *w);
/* workload, workload_detail, docroot, urls, disk lines of meta.txt. */
void workload_write_meta(const struct workload *w, FILE *f);

/* db, queries: the wait PostgreSQL is told to make per request, q x
 * --db-delay-ms (ms; 0 for the other workloads, w NULL or D = 0). No
 * server can answer sooner, so it is added to the p99 SLO (--slo-p99 is
 * the server's own share): with D = 2 ms, q = 20 could otherwise never be
 * sustained within 10 ms. */
double workload_db_wait_ms(const struct workload *w);

#endif
