/* One measurement: idle connections, warm-up, wrk under sampling (see
 * measure.h); the flags it raises are measure_flags.c's. */
#include "measure/measure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "hosts/hosts.h"
#include "sut/idle.h"
#include "tools/loadgen.h"
#include "measure/measure_int.h"
#include "measure/sample.h"
#include "base/spawn.h"
#include "base/util.h"
#include "hist.h"
#include "workload/workload.h"
#include "tools/wrk.h"

#define MEASURE_SETTLE_MS 300 /* after opening idle connections, before RSS */

#define MEASURE_DB_SAMPLE_MS 250 /* the database's count of its clients, at most this often */

struct peaks {
    long rss_kb, tasks;
    long db_conns;   /* the database's clients (db_probe.h), -1: not measured */
    double db_next;  /* when to ask it again (util_now) */
    bool no_tree;    /* open loop: no scan of the server tree while it runs */
};

/* The database's clients, every MEASURE_DB_SAMPLE_MS at most: one query
 * on a connection kept open, a fraction of a millisecond. */
static void track_db(struct peaks *p, const struct measure_cfg *cfg)
{
    double now = util_now();
    if (!p || !cfg->wl || !cfg->wl->db_probe || now < p->db_next)
        return;
    p->db_next = now + MEASURE_DB_SAMPLE_MS / 1000.0;
    long n = db_probe_clients(cfg->wl->db_probe);
    if (n > p->db_conns)
        p->db_conns = n;
}

static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void track(struct peaks *p, const struct sample_tree *t)
{
    if (t->rss_kb > p->rss_kb)
        p->rss_kb = t->rss_kb;
    if (t->tasks > p->tasks)
        p->tasks = t->tasks;
}

static void snap(struct sut *s, const struct measure_cfg *cfg, struct snapshot *sn,
                 struct peaks *p)
{
    cpu_set_t cpus;
    CPU_OR(&cpus, cfg->server_cpus, cfg->client_cpus);
    sn->disk_ok = workload_disk(cfg->wl, &sn->disk) == 0;
    sn->counters_ok = sut_counters(s, &sn->counters) == 0;
    sn->tree_ok = s->pid > 0 && sample_tree(s->pid, &sn->tree) == 0;
    /* Exact for every process the server ever had (cgroup.h). */
    sn->cg_ok = sn->tree_ok && cgroup_cpu(&s->cg, &sn->cg) == 0;
    sn->cpus_ok = sample_cpus(&cpus, &sn->cpus) == 0;
    sn->db_ok = cfg->wl && cfg->wl->db_cg && cgroup_cpu(cfg->wl->db_cg, &sn->db) == 0;
    sn->self_cpu_s = self_cpu_s();
    sn->t = util_now();
    if (sn->tree_ok)
        track(p, &sn->tree);
    if (p)
        p->db_next = 0; /* around every window */
    track_db(p, cfg);
}

/* Samples the server tree while the load generator runs: c here, or the
 * load hosts hs. */
static void watch(struct sut *s, const struct measure_cfg *cfg, struct client_run *c,
                  struct hosts *hs, struct peaks *p)
{
    int wait_ms = MEASURE_SAMPLE_MS;
    while ((hs ? hosts_poll(hs, wait_ms) : client_poll(c, wait_ms)) == 0) {
        struct sample_tree t;
        double t0 = util_now();
        sut_drain(s);
        if (p && !p->no_tree && s->pid > 0 && sample_tree(s->pid, &t) == 0)
            track(p, &t);
        track_db(p, cfg);
        /* The harness runs on the client CPUs: a tree of thousands of
         * processes costs milliseconds per scan, so scan less often, keeping
         * the sampler under 1/MEASURE_SAMPLE_SHARE of a CPU. */
        int cost_ms = (int)((util_now() - t0) * 1000);
        wait_ms = cost_ms * MEASURE_SAMPLE_SHARE > MEASURE_SAMPLE_MS
                      ? cost_ms * MEASURE_SAMPLE_SHARE : MEASURE_SAMPLE_MS;
    }
}

static int run_wrk(struct sut *s, const struct measure_cfg *cfg, int conns,
                   int duration_s, struct peaks *p, struct wrk_result *res,
                   char *err, size_t errlen)
{
    struct wrk_args a = {.port = s->port, .path = cfg->path, .urls = cfg->urls,
                         .header = cfg->header, .conns = conns,
                         .threads = wrk_threads(conns, cfg->max_threads),
                         .duration_s = duration_s, .pipeline = cfg->pipeline,
                         .cpus = cfg->client_cpus};
    struct client_run w;
    if (wrk_start(&w, &a, err, errlen))
        return -1;
    watch(s, cfg, &w, NULL, p);
    return wrk_finish(&w, res, err, errlen);
}

/* loadgen here, or its share on every load host (hosts.c), whose
 * histograms come back merged. */
/* The corrected histogram of an open-loop step as cfg->hgrm (ms, as wrk2
 * prints it): loadgen's own here, or the load hosts' merged. What cannot
 * be written is said on stderr; the step's figures stand without it. */
static void write_hgrm(const struct measure_cfg *cfg, const char *out)
{
    struct hist *h = malloc(sizeof *h);
    const struct hist *from = h;
    if (cfg->hosts)
        from = hosts_corrected(cfg->hosts);
    else if (h && loadgen_parse_hist(out, "corrected", h))
        from = NULL;
    FILE *f = from ? fopen(cfg->hgrm, "w") : NULL;
    if (!from)
        fprintf(stderr, "harness: %s: loadgen's output lacks the corrected histogram\n",
                cfg->hgrm);
    else if (!f || hist_write_hgrm(from, 1e6, f) | fclose(f))
        fprintf(stderr, "harness: write %s: %s\n", cfg->hgrm, strerror(errno));
    free(h);
}

static int run_loadgen(struct sut *s, const struct measure_cfg *cfg,
                       const struct loadgen_args *a, struct peaks *p,
                       struct lg_result *res, double *cpu_s, char *err,
                       size_t errlen)
{
    struct client_run c;
    int rc;
    if (cfg->hosts) {
        if (hosts_start(cfg->hosts, a, err, errlen))
            return -1;
        watch(s, cfg, NULL, cfg->hosts, p);
        rc = hosts_finish(cfg->hosts, res, err, errlen);
        *cpu_s = res->client_cpu_s;
        if (rc == 0 && cfg->hgrm && !a->closed)
            write_hgrm(cfg, NULL);
        return rc;
    }
    if (loadgen_start(&c, a, err, errlen))
        return -1;
    watch(s, cfg, &c, NULL, p);
    rc = loadgen_finish(&c, res, err, errlen);
    *cpu_s = client_cpu_s(&c);
    if (rc == 0 && cfg->hgrm && !a->closed)
        write_hgrm(cfg, c.out);
    return rc;
}

/* One loadgen run (or one per load host): its own warm-up at the same
 * rate, then the measured window, so the schedule runs on without a gap and
 * the window does not start with fresh connections. */
static int run_open(struct sut *s, const struct measure_cfg *cfg, double rate,
                    struct peaks *p, struct lg_result *res, double *cpu_s,
                    char *err, size_t errlen)
{
    struct loadgen_args a = {.host = s->addr, .port = s->port, .path = cfg->path,
                             .urls = cfg->urls, .header = cfg->header, .rate = rate,
                             .conns = cfg->rate_conns,
                             .threads = CPU_COUNT(cfg->client_cpus),
                             .pipeline = cfg->pipeline, .duration_s = cfg->rate_duration_s,
                             .warmup_s = cfg->rate_warmup_s, .cpus = cfg->client_cpus,
                             .histograms = cfg->hgrm != NULL};
    return run_loadgen(s, cfg, &a, p, res, cpu_s, err, errlen);
}

/* A closed-loop run: wrk here; with load hosts loadgen --closed on each,
 * whose latencies merge exactly (wrk's percentiles would not). */
static int run_closed(struct sut *s, const struct measure_cfg *cfg, int conns,
                      int duration_s, struct peaks *p, struct wrk_result *w,
                      struct lg_result *g, char *err, size_t errlen)
{
    struct loadgen_args a = {.host = s->addr, .port = s->port, .path = cfg->path,
                             .urls = cfg->urls, .header = cfg->header, .closed = true,
                             .conns = conns,
                             .pipeline = cfg->pipeline, .duration_s = duration_s};
    if (!cfg->hosts)
        return run_wrk(s, cfg, conns, duration_s, p, w, err, errlen);
    return run_loadgen(s, cfg, &a, p, g, &w->cpu_s, err, errlen);
}

static void fill_wrk(struct row *r, const struct wrk_result *w)
{
    r->duration_s = w->duration_s;
    r->requests = (double)w->requests;
    r->req_per_s = w->duration_s > 0 ? (double)w->requests / w->duration_s : 0;
    r->bytes_per_s = w->duration_s > 0 ? (double)w->bytes / w->duration_s : 0;
    r->lat_mean_us = w->mean_us;
    r->lat_stdev_us = w->stdev_us;
    r->lat_p50_us = (double)w->p50_us;
    r->lat_p90_us = (double)w->p90_us;
    r->lat_p99_us = (double)w->p99_us;
    r->lat_p999_us = (double)w->p999_us;
    r->lat_max_us = (double)w->max_us;
    r->err_connect = (double)w->err_connect;
    r->err_read = (double)w->err_read;
    r->err_write = (double)w->err_write;
    r->err_status = (double)w->err_status;
    r->err_timeout = (double)w->err_timeout;
}

/* CPU of the server tree, wrk, and everyone else on the measured CPUs;
 * the reads from the docroot's disk. */
static void fill_cpu(struct row *r, const struct snapshot *a,
                     const struct snapshot *b, double wrk_cpu_s)
{
    double wall = b->t - a->t;
    if (wall <= 0)
        return;
    r->cli_cpu_pct = 100.0 * wrk_cpu_s / wall;
    double srv = 0;
    if (a->tree_ok && b->tree_ok) {
        r->srv_user_s = b->tree.user_s - a->tree.user_s;
        r->srv_sys_s = b->tree.sys_s - a->tree.sys_s;
        if (a->cg_ok && b->cg_ok)
            cgroup_cpu_between(&a->cg, &b->cg, &r->srv_user_s, &r->srv_sys_s);
        srv = r->srv_user_s + r->srv_sys_s;
        r->srv_cpu_pct = 100.0 * srv / wall;
        r->req_per_cpu_s = srv > 0 ? r->requests / srv : -1;
        r->srv_cpu_us_per_req = r->requests > 0 ? 1e6 * srv / r->requests : -1;
    }
    r->cli_cpu_us_per_req = r->requests > 0 ? 1e6 * wrk_cpu_s / r->requests : -1;
    double db = 0, db_sys = 0;
    if (a->db_ok && b->db_ok) { /* beside the server's, never in it */
        cgroup_cpu_between(&a->db, &b->db, &db, &db_sys);
        db += db_sys;
        r->db_cpu_us_per_req = r->requests > 0 ? 1e6 * db / r->requests : -1;
    }
    if (a->disk_ok && b->disk_ok) {
        r->disk_read_bytes = (double)(b->disk.bytes - a->disk.bytes);
        r->disk_read_ops = (double)(b->disk.ops - a->disk.ops);
    }
    if (a->cpus_ok && b->cpus_ok) {
        double total = b->cpus.total_s - a->cpus.total_s;
        double busy = b->cpus.busy_s - a->cpus.busy_s;
        double self = b->self_cpu_s - a->self_cpu_s;
        double other = busy - srv - wrk_cpu_s - self - db;
        r->steal_pct = total > 0 ? 100.0 * (b->cpus.steal_s - a->cpus.steal_s) / total : 0;
        r->other_pct = total > 0 && other > 0 ? 100.0 * other / total : 0;
    }
}

/* The hosts' merged figures; the CPUs measured here carry the server (and
 * the harness), the load's CPU is the hosts' sum (% of one CPU). */
static void fill_hosts(struct row *r, const struct snapshot *a, const struct snapshot *b,
                       const struct lg_result *g)
{
    loadgen_fill_row(r, g);
    fill_cpu(r, a, b, 0);
    r->cli_cpu_pct = g->client_cpu_pct;
    r->cli_cpu_us_per_req = g->completed ? 1e6 * g->client_cpu_s / g->completed : -1;
}

/* Opens idle connections and records the memory they cost. */
static void hold_idle(struct sut *s, const struct measure_cfg *cfg, int idle,
                      struct idle_set *set, struct row *r, struct peaks *p)
{
    struct sample_tree after;
    long before_kb, after_kb;
    char err[256];
    r->idle = idle;
    if (idle <= 0)
        return;
    int ok = s->pid > 0 && sample_tree_pss(s->pid, &before_kb) == 0;
    if (idle_open(set, s->addr, s->port, idle, "/", cfg->idle_timeout_ms, err, sizeof err))
        row_note(r, "%s", err);
    util_sleep_ms(MEASURE_SETTLE_MS);
    ok = ok && s->pid > 0 && sample_tree_pss(s->pid, &after_kb) == 0 &&
         sample_tree(s->pid, &after) == 0;
    r->idle_open = set->answered;
    if (ok)
        track(p, &after);
    if (ok && set->answered > 0)
        r->mem_per_idle_b = 1024.0 * (double)(after_kb - before_kb) / set->answered;
    if (ok && set->answered > 0 && after_kb < before_kb) {
        /* PSS divides shared pages among their users: the server gave back
         * more than the connections took (nginx frees the gzip buffers of
         * the verify requests), or a process that maps the same libraries
         * started or ended (a database backend). None measurable. */
        r->mem_per_idle_b = 0;
        row_note(r, "the server's PSS fell by %ld KiB while the idle connections were "
                 "opened (freed buffers or shared pages re-divided): 0 per connection, "
                 "not measurable", before_kb - after_kb);
    }
    if (set->answered < idle) {
        row_flag(r, ROW_FLAG_IDLE_PARTIAL);
        row_note(r, "%d of %d idle connections answered within %d ms (%d failed)",
                 set->answered, idle, cfg->idle_timeout_ms, set->failed);
    }
}

/* What every load row ends with: the peaks, no answer at all is a failure,
 * the server still alive and answering, the load hosts' own rows. */
static int finish_row(struct sut *s, const struct measure_cfg *cfg,
                      const struct peaks *p, int rc, struct row *r)
{
    r->peak_rss_kb = p->rss_kb > 0 ? (double)p->rss_kb : -1;
    r->tasks = p->tasks > 0 ? (double)p->tasks : -1;
    if (p->db_conns >= 0) /* the database answered: 0 for the calibration server */
        r->db_conns_peak = (double)p->db_conns;
    double wait_ms = workload_db_wait_ms(cfg->wl); /* q x D */
    if (p->db_conns > 0 && wait_ms > 0) /* Little's law with the connections it had */
        r->db_limit_rps = p->db_conns * 1000.0 / wait_ms;
    if (rc == 0 && r->requests == 0) {
        r->status = ROW_STATUS_FAILED;
        row_note(r, "no response completed (%.0f timeouts, %.0f connect errors)",
                 r->err_timeout, r->err_connect);
    }
    measure_check_server(s, r);
    if (cfg->hosts)
        hosts_record(cfg->hosts, r);
    return rc;
}

/* Waits until the server holds no more connections than expected (the
 * idle ones): a level must not start while the last one's connections are
 * still being accepted, answered or closed. A process-per-connection server
 * takes seconds to work through thousands (fork: a fork and an answer for
 * each connection a warm-up already closed). */
static void drain(struct sut *s, long expected, const char *what, struct row *r)
{
    long n = 0;
    double deadline = util_now() + MEASURE_DRAIN_MS / 1000.0;
    while (sample_tcp_conns(s->port, &n) == 0 && n > expected && !spawn_interrupted &&
           util_now() < deadline)
        util_sleep_ms(MEASURE_DRAIN_POLL_MS);
    if (n > expected && !spawn_interrupted)
        row_note(r, "%ld connections of %s still open after %d s", n - expected, what,
                 MEASURE_DRAIN_MS / 1000);
}

int measure_level(struct sut *s, const struct measure_cfg *cfg, int conns,
                  int idle, struct row *r)
{
    struct idle_set set = {0};
    struct peaks p = {.db_conns = -1};
    struct snapshot a, b;
    struct wrk_result w = {0};
    struct lg_result g = {0};
    char err[512];
    r->conns = conns;
    r->pipeline = cfg->pipeline;
    r->threads = wrk_threads(conns, cfg->max_threads);
    drain(s, 0, "the last level", r);
    workload_before_point(cfg->wl);
    hold_idle(s, cfg, idle, &set, r, &p);
    if (cfg->warmup_s > 0 &&
        run_closed(s, cfg, conns, cfg->warmup_s, NULL, &w, &g, err, sizeof err))
        row_note(r, "warm-up: %s", err);
    drain(s, set.answered, "the warm-up", r);
    snap(s, cfg, &a, &p);
    int rc = run_closed(s, cfg, conns, cfg->duration_s, &p, &w, &g, err, sizeof err);
    snap(s, cfg, &b, &p);
    idle_close(&set);
    if (rc) {
        r->status = ROW_STATUS_FAILED;
        row_note(r, "%s", err);
    } else if (cfg->hosts) {
        fill_hosts(r, &a, &b, &g);
        r->offered_rps = r->achieved_rps = -1; /* closed loop: req_per_s */
        measure_check_counts(r, &a, &b, conns, cfg->pipeline);
    } else {
        fill_wrk(r, &w);
        fill_cpu(r, &a, &b, w.cpu_s);
        measure_check_counts(r, &a, &b, conns, cfg->pipeline);
    }
    measure_flag_level(r, cfg, p.tasks);
    return finish_row(s, cfg, &p, rc, r);
}

int measure_open(struct sut *s, const struct measure_cfg *cfg, double rate,
                 enum row_step step, struct row *r)
{
    struct peaks p = {.db_conns = -1};
    struct snapshot a, b;
    struct lg_result g = {0};
    char err[512];
    double cpu_s = 0;
    r->mode = ROW_MODE_OPEN;
    r->step = step;
    r->conns = cfg->rate_conns;
    r->pipeline = cfg->pipeline;
    r->threads = CPU_COUNT(cfg->client_cpus);
    r->offered_rps = rate;
    drain(s, 0, "the last step", r);
    workload_before_point(cfg->wl);
    snap(s, cfg, &a, &p);
    /* No sampling of the tree during the window: a scan of /proc costs
     * milliseconds on the generator's CPU and showed as send lag; below
     * saturation the snapshots around it see the same memory. The
     * database's count of its clients is one cheap query. */
    p.no_tree = true;
    int rc = run_open(s, cfg, rate, &p, &g, &cpu_s, err, sizeof err);
    snap(s, cfg, &b, &p);
    if (rc) {
        r->status = ROW_STATUS_FAILED;
        row_note(r, "%s", err);
    } else {
        /* The server's CPU and counters cover loadgen's warm-up too (same
         * rate): per request they count its responses as well. */
        loadgen_fill_row(r, &g);
        r->requests += (double)g.warmup_completed;
        fill_cpu(r, &a, &b, cfg->hosts ? 0 : cpu_s);
        measure_check_counts(r, &a, &b, cfg->rate_conns, cfg->pipeline);
        r->requests = (double)g.completed;
        r->warmup_requests = (double)g.warmup_completed;
        /* The generator's CPU over its measured window, not its set-up. */
        r->cli_cpu_pct = g.client_cpu_pct;
        r->cli_cpu_us_per_req = g.completed ? 1e6 * g.client_cpu_s / g.completed : -1;
        measure_flag_open(r, cfg, &g);
    }
    return finish_row(s, cfg, &p, rc, r);
}

int measure_memory(struct sut *s, const struct measure_cfg *cfg, int idle,
                   struct row *r)
{
    struct idle_set set = {0};
    struct peaks p = {.db_conns = -1};
    r->kind = ROW_KIND_MEMORY;
    r->conns = 0;
    hold_idle(s, cfg, idle, &set, r, &p);
    idle_close(&set);
    r->peak_rss_kb = p.rss_kb > 0 ? (double)p.rss_kb : -1;
    r->tasks = p.tasks > 0 ? (double)p.tasks : -1;
    if (spawn_interrupted)
        row_note(r, "interrupted");
    else if (r->idle_open <= 0 && r->status == ROW_STATUS_OK) {
        r->status = ROW_STATUS_FAILED;
        row_note(r, "no idle connection was answered: memory not measurable");
    }
    measure_check_server(s, r);
    return 0;
}
