/* harness run: the measuring pipeline (see run.h). */
#include "run/run.h"
#include "run/run_ctx.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "results/csv.h"
#include "hosts/hosts.h"
#include "tools/loadgen.h"
#include "measure/measure.h"
#include "options/workloads.h"
#include "run/meta.h"
#include "run/plan.h"
#include "report/generate.h"
#include "base/spawn.h"
#include "sut/sut.h"
#include "base/util.h"
#include "sut/verify.h"
#include "workload/workload.h"


static long body_size(const char *path)
{
    char full[PATH_MAX];
    struct stat st;
    snprintf(full, sizeof full, "%s%s", WORKLOAD_DOCROOT, path);
    return stat(full, &st) == 0 && S_ISREG(st.st_mode) ? (long)st.st_size : -1;
}

int run_preflight(const struct opts *o, char *err, size_t errlen)
{
    char bin[PATH_MAX];
    if (util_find_program("wrk", bin, sizeof bin)) {
        snprintf(err, errlen, "wrk not found: install the Debian package wrk");
        return -1;
    }
    if (util_find_program("gnuplot", bin, sizeof bin)) {
        snprintf(err, errlen, "gnuplot not found: install the Debian package gnuplot-nox");
        return -1;
    }
    if (o->rates_mode != RATES_NONE && !util_is_executable(loadgen_path())) {
        snprintf(err, errlen, "%s not found: build it (meson compile -C build) or run "
                 "with --rates none", loadgen_path());
        return -1;
    }
    if (o->rates_mode == RATES_NONE && o->n_conns == 0 && o->n_slow == 0) {
        snprintf(err, errlen, "--conns none with --rates none: nothing to measure");
        return -1;
    }
    if (o->workload->serves_path && body_size(o->path) < 0) {
        snprintf(err, errlen, "--path %s: no such file under %s", o->path, WORKLOAD_DOCROOT);
        return -1;
    }
    if (util_mkdir_p(o->out, err, errlen))
        return -1;
    if (access(o->out, W_OK | X_OK)) {
        snprintf(err, errlen, "output directory %s is not writable: %s", o->out,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* out/YYYYmmdd-HHMMSS, with -2, -3... if two runs start in one second. */
static int make_run_dir(const char *out, char *dir, size_t dirlen, char *err,
                        size_t errlen)
{
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    for (int i = 1; i < 100; i++) {
        if (i == 1)
            snprintf(dir, dirlen, "%s/%s", out, stamp);
        else
            snprintf(dir, dirlen, "%s/%s-%d", out, stamp, i);
        if (mkdir(dir, 0755) == 0)
            return 0;
        if (errno != EEXIST) {
            snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    snprintf(err, errlen, "mkdir %s: too many runs this second", dir);
    return -1;
}

/* out/latest -> the run directory, replaced atomically. */
static void link_latest(const char *out, const char *dir)
{
    char tmp[PATH_MAX], link[PATH_MAX];
    const char *name = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    snprintf(tmp, sizeof tmp, "%s/.latest-%d", out, (int)getpid());
    snprintf(link, sizeof link, "%s/latest", out);
    unlink(tmp);
    if (symlink(name, tmp) || rename(tmp, link))
        fprintf(stderr, "harness: link %s: %s\n", link, strerror(errno));
}

static void write_rows(struct run_ctx *c)
{
    for (int i = 0; i < c->n_rows; i++)
        if (csv_write_row(c->csv, &c->rows[i]))
            fprintf(stderr, "harness: write results.csv: %s\n", strerror(errno));
    c->n_rows = 0;
    if (hosts_write_rows(c->cfg.hosts, c->csv)) /* each load host's own */
        fprintf(stderr, "harness: write results.csv: %s\n", strerror(errno));
}

/* The same between closed-loop levels: -1 (rows for the rest written) if
 * the server could not be brought back for level next. */
static int recover(struct run_ctx *c, struct sut *s, const struct model *m,
                   int round, struct row *r, int next)
{
    char why[512];
    enum row_status status;
    bool more = next < c->plan.n_levels || c->o->rates_mode != RATES_NONE;
    if (spawn_interrupted || !more)
        return spawn_interrupted ? -1 : 0; /* no restart: the run is ending */
    if (run_restart(c, s, m, r, why, sizeof why, &status) == 0)
        return 0;
    run_rows_not_measured(c, m, round, next, status, why);
    return -1;
}

/* The closed-loop levels; -1 if the server could not be restarted. */
static int measure_levels(struct run_ctx *c, struct sut *s, const struct model *m,
                          int round)
{
    for (int l = 0; l < c->plan.n_levels && !spawn_interrupted; l++) {
        struct row *r = run_new_row(c, m, round);
        measure_level(s, &c->cfg, c->plan.levels[l].conns, c->plan.levels[l].idle, r);
        progress_step(&c->progress, r, c->plan.est_level_s);
        if (recover(c, s, m, round, r, l + 1))
            return -1;
    }
    return spawn_interrupted ? -1 : 0;
}

/* A server that is up: memory, closed loop, open loop, slow clients. */
static void measure_server(struct run_ctx *c, struct sut *s, const struct model *m,
                           int round)
{
    char note[256];
    if (round == 0 && c->plan.memory_idle > 0) {
        struct row *r = run_new_row(c, m, round);
        measure_memory(s, &c->cfg, c->plan.memory_idle, r);
        progress_step(&c->progress, r, PLAN_MEMORY_S);
        if (recover(c, s, m, round, r, 0)) {
            write_rows(c);
            return;
        }
    }
    if (measure_levels(c, s, m, round) == 0) {
        if (rates_measure(c, s, m, round) == 0) {
            if (c->wl.ops->steps) /* the workload's own (slow clients, alone, q) */
                c->wl.ops->steps(c, s, m, round);
        } else if (!spawn_interrupted && c->wl.ops->not_measured) {
            c->wl.ops->not_measured(c, m, round, ROW_STATUS_CRASHED,
                                    "not measured: the server was gone for good in the "
                                    "open loop");
        }
    }
    sut_stop(s, note, sizeof note);
    if (note[0] && c->n_rows > 0)
        row_note(&c->rows[c->n_rows - 1], "at the end: %s", note);
    write_rows(c);
}

static void model_round(struct run_ctx *c, const struct model *m, int round)
{
    struct sut s = {0};
    char why[512];
    enum row_status status;
    c->n_rows = 0;
    if (c->wl.skip[0]) { /* the workload cannot run here: said, never faked */
        snprintf(why, sizeof why, "%s", c->wl.skip);
        status = ROW_STATUS_SKIPPED;
    } else if (m->kind == MODEL_REFERENCE && c->wl.ops->refs_not_applicable) {
        snprintf(why, sizeof why, "%s", c->wl.ops->refs_not_applicable);
        status = ROW_STATUS_SKIPPED;
    } else if (run_bring_up(c, &s, m, why, sizeof why, &status) == 0) {
        measure_server(c, &s, m, round);
        return;
    }
    printf("%-12s %s: %s\n", m->name, row_status_name(status), why);
    run_rows_not_measured(c, m, round, 0, status, why);
    write_rows(c);
}

/* The plan, the workload (its file set generated if needed), what every
 * server and measurement gets. -1 with a line on stderr if the workload
 * cannot be prepared. */
static int setup(struct run_ctx *c, const struct opts *o,
                 const struct model *const *models, int n, struct hosts *hosts)
{
    const struct model *ordered[PLAN_MAX_MODELS];
    char err[1024];
    memset(c, 0, sizeof *c);
    c->o = o;
    for (int i = 0; i < o->n_equal; i++) /* given in req/s: known before any model */
        c->equal[i] = o->equal[i].pct ? 0 : o->equal[i].value;
    n = plan_order_models(o, models, n, ordered, &c->calibration_added);
    plan_build(&c->plan, o, ordered, n);
    if (workload_prepare(&c->wl, o, err, sizeof err)) {
        fprintf(stderr, "harness: %s\n", err);
        return -1;
    }
    c->env = (struct sut_env){.run_dir = c->dir, .cpus = &o->server_cpus,
                                 .workers = c->wl.workers, .docroot = c->wl.docroot,
                                 .body_size = c->wl.body_size, .addr = o->target,
                                 .cache_mb = c->wl.cache_mb,
                                 .memory_limit = c->wl.memory_limit,
                                 .model_args = c->wl.server_args,
                                 .calibration_json = c->wl.calibration_json,
                                 .gzip_level = c->wl.gzip_level};
    c->cfg = (struct measure_cfg){
        .path = c->wl.path, .urls = c->wl.urls, .header = c->wl.header, .wl = &c->wl,
        .duration_s = o->duration_s, .warmup_s = o->warmup_s,
        .pipeline = o->pipeline, .max_threads = o->threads,
        .server_cpus = &o->server_cpus, .client_cpus = &o->client_cpus,
        .idle_timeout_ms = o->quick ? RUN_QUICK_IDLE_OPEN_MS : RUN_IDLE_OPEN_MS,
        .rate_conns = o->rate_conns, .rate_duration_s = o->rate_duration_s,
        .rate_warmup_s = o->rate_warmup_s,
        .slo_p99_ms = o->slo_p99_ms, .hosts = hosts};
    return 0;
}

static int open_results(struct run_ctx *c, long nofile)
{
    char path[PATH_MAX], err[512];
    if (make_run_dir(c->o->out, c->dir, sizeof c->dir, err, sizeof err) ||
        meta_write(c->dir, c->o, &c->wl, nofile, c->cfg.hosts, err, sizeof err)) {
        fprintf(stderr, "harness: %s\n", err);
        return -1;
    }
    if (snprintf(path, sizeof path, "%s/results.csv", c->dir) >= (int)sizeof path) {
        fprintf(stderr, "harness: %s: path too long\n", c->dir);
        return -1;
    }
    c->csv = fopen(path, "w");
    if (!c->csv || csv_write_header(c->csv)) {
        fprintf(stderr, "harness: open %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void announce(const struct run_ctx *c, long nofile)
{
    char est[32];
    util_format_duration(c->plan.est_total_s, est, sizeof est);
    printf("c10k-lab harness: %d models x (%d closed-loop levels + about %d open-loop "
           "steps) x %d round%s = about %d steps, %s\n"
           "server CPUs %s, load CPUs %s (up to %d threads), nofile %ld\n"
           "workload %s\n",
           c->plan.n_models, c->plan.n_levels, c->plan.open_steps, c->plan.rounds,
           c->plan.rounds > 1 ? "s" : "", c->plan.steps, est, c->o->server_cpus_text,
           c->o->client_cpus_text, c->o->threads, nofile, c->wl.detail);
    if (c->wl.skip[0])
        printf("every model skipped: %s\n", c->wl.skip);
    if (c->plan.n_levels > 0)
        printf("closed loop (%s): %d s + %d s warm-up per level\n",
               c->cfg.hosts ? "loadgen --closed on the load hosts" : "wrk",
               c->o->duration_s, c->o->warmup_s);
    if (c->o->rates_mode != RATES_NONE)
        printf("open loop (loadgen): %d connections, %.1f s + %.1f s warm-up per step, "
               "SLO p99 <= %g ms%s\n", c->o->rate_conns, c->o->rate_duration_s,
               c->o->rate_warmup_s, c->o->slo_p99_ms,
               c->calibration_added ? "; calibration added: the equal-load rates are "
                                      "fractions of its sustainable rate" : "");
    printf("results: %s\n", c->dir);
    if (!c->cfg.hosts && CPU_COUNT(&c->o->server_cpus) == 1 &&
        CPU_EQUAL(&c->o->server_cpus, &c->o->client_cpus))
        printf("warning: server and wrk share one CPU: the numbers measure both\n");
    fflush(stdout);
}

/* Descriptors the widest step of the run needs in one process: the largest
 * closed-loop level with the idle connections beside it, the open loop's
 * connections, or the workload's own steps; and a spare of 128 for
 * loadgen's and the server's other descriptors. */
static long run_fds_needed(const struct opts *o)
{
    long conns = 0, idle = 0, most = o->rate_conns;
    for (int i = 0; i < o->n_conns; i++)
        conns = o->conns[i] > conns ? o->conns[i] : conns;
    for (int i = 0; i < o->n_idle; i++)
        idle = o->idle[i] > idle ? o->idle[i] : idle;
    most = (conns + idle > most ? conns + idle : most) + 128;
    long wl = o->workload->fds_needed ? o->workload->fds_needed(o) : 0;
    return wl > most ? wl : most;
}

int run_command(const struct opts *o, const struct model *const *models, int n,
                struct hosts *hosts)
{
    static struct run_ctx c;
    long nofile = spawn_raise_nofile(run_fds_needed(o));
    if (setup(&c, o, models, n, hosts) || open_results(&c, nofile))
        return 1;
    /* The harness samples and opens idle connections from wrk's CPUs, never
     * from the server's. */
    if (sched_setaffinity(0, sizeof o->client_cpus, &o->client_cpus))
        fprintf(stderr, "harness: sched_setaffinity: %s\n", strerror(errno));
    announce(&c, nofile);
    progress_start(&c.progress, &c.plan);
    for (int round = 0; round < c.plan.rounds && !spawn_interrupted; round++)
        for (int i = 0; i < c.plan.n_models && !spawn_interrupted; i++)
            model_round(&c, plan_model(&c.plan, round, i), round);
    if (hosts) /* before the report: after a Ctrl-C the user waits for this */
        hosts_cleanup(hosts);
    workload_finish(&c.wl); /* the database cluster stopped and deleted */
    if (fclose(c.csv))
        fprintf(stderr, "harness: close results.csv: %s\n", strerror(errno));
    int rc = report_generate(c.dir);
    link_latest(o->out, c.dir);
    printf("%s%s/report.html\n", spawn_interrupted ? "interrupted; partial report: " :
           "report: ", c.dir);
    return spawn_interrupted ? 130 : rc;
}
