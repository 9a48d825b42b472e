/* The workload of a run (see workload.h): what every workload shares,
 * around the hooks of the run's own (harness/workloads/). */
#include "workload/workload.h"

#include <string.h>

#include "sut/refs.h"

int workload_prepare(struct workload *w, const struct opts *o, char *err, size_t errlen)
{
    char why[384];
    const struct workload_ops *ops = o->workload;
    memset(w, 0, sizeof *w);
    w->ops = ops;
    w->name = ops->name;
    w->docroot = WORKLOAD_DOCROOT;
    w->cache_mb = ops->cache_mb;
    w->workers = o->workers ? o->workers : CPU_COUNT(&o->server_cpus) *
                                               (ops->workers_per_cpu ? ops->workers_per_cpu : 1);
    snprintf(w->path, sizeof w->path, "%s", o->path);
    if (ops->prepare(w, o, err, errlen))
        return -1;
    w->disk_ok = diskio_find(&w->disk, w->docroot, why, sizeof why) == 0;
    if (!w->disk_ok)
        snprintf(w->disk_why, sizeof w->disk_why, "%s", why);
    if (ops->probe)
        ops->probe(w, o);
    ops->describe(w, o);
    return 0;
}

void workload_before_point(const struct workload *w)
{
    if (w && w->ops->before_point)
        w->ops->before_point(w);
}

void workload_finish(struct workload *w)
{
    if (w && w->ops && w->ops->finish)
        w->ops->finish(w);
}

int workload_disk(const struct workload *w, struct diskio_count *c)
{
    return w && w->disk_ok ? diskio_read(&w->disk, c) : -1;
}

/* The level, and each reference's compression lines on one meta.txt line
 * each: indentation dropped, lines joined with "; ", or a blank after a
 * line that ends with ';' (nginx) or ':' (h2o's YAML). */
static void write_compression(const struct workload *w, FILE *f)
{
    static const char *const refs[] = {"nginx", "h2o", "lighttpd"};
    char conf[1024];
    fprintf(f, "gzip_level: %d (models' --gzip-level, the references' and the "
               "calibration server's)\nrequest_header: %s\n", w->gzip_level,
            w->header ? w->header : "none");
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        refs_compression(refs[i], w->gzip_level, conf, sizeof conf);
        fprintf(f, "compression_%s:", refs[i]);
        for (char *save = NULL, *l = strtok_r(conf, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            size_t n = strlen(l += strspn(l, " "));
            bool open = n && (l[n - 1] == ';' || l[n - 1] == ':'); /* nginx's; YAML's */
            fprintf(f, " %s%s", l, !open && save && *save ? ";" : "");
        }
        fputc('\n', f);
    }
}

double workload_db_wait_ms(const struct workload *w)
{
    if (!w || w->db_delay_ms <= 0)
        return 0;
    return (double)w->db_delay_ms * (w->db_queries > 0 ? w->db_queries : 1);
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
    if (w->db_delay_ms > 0) /* the SLO of every step: slo_p99_ms + this x q */
        fprintf(f, "slo_db_wait_ms_per_query: %d\n", w->db_delay_ms);
    if (w->gzip_level)
        write_compression(w, f);
}
