/* What every step of a model's round uses (see run_ctx.h): a new row, and
 * bringing the server up or back. Below run.c, rates.c and slow.c, which
 * all call it. */
#include "run/run_ctx.h"

#include <stdio.h>

#include "sut/sut.h"
#include "sut/verify.h"

struct row *run_new_row(struct run_ctx *c, const struct model *m, int round)
{
    struct row *r = &c->rows[c->n_rows++];
    row_init(r);
    snprintf(r->model, sizeof r->model, "%s", m->name);
    snprintf(r->category, sizeof r->category, "%s", m->category);
    r->round = round;
    r->pipeline = c->o->pipeline;
    snprintf(r->workload, sizeof r->workload, "%s", c->wl.name);
    if (c->wl.db_queries > 0)
        r->db_queries = c->wl.db_queries;
    if (c->cfg.hosts) /* the point's merged row; each host's own: hosts.c */
        snprintf(r->host, sizeof r->host, "all");
    return r;
}

/* Starts (or restarts) the server and verifies it. 0 when it may be loaded. */
int run_bring_up(struct run_ctx *c, struct sut *s, const struct model *m,
                 char *why, size_t whylen, enum row_status *status)
{
    int r = sut_start(s, m, &c->env, why, whylen);
    *status = r == SUT_SKIPPED ? ROW_STATUS_SKIPPED : ROW_STATUS_FAILED;
    if (r != SUT_OK)
        return -1;
    char failed[400], note[256];
    if (verify_server(s, c->env.docroot, c->wl.path, failed, sizeof failed) ||
        (c->wl.gzip_level && c->wl.urls &&
         verify_coded(s, c->env.docroot, c->wl.urls, failed, sizeof failed))) {
        sut_stop(s, note, sizeof note);
        snprintf(why, whylen, "verify: %s", failed);
        return -1;
    }
    return 0;
}

/* After a row whose server died or stopped answering: restart it. Returns
 * -1 (with why) if that failed, 0 otherwise. */
int run_restart(struct run_ctx *c, struct sut *s, const struct model *m,
                struct row *r, char *why, size_t whylen, enum row_status *status)
{
    char note[256];
    if (r->status != ROW_STATUS_CRASHED && !row_has_flag(r, ROW_FLAG_STOPPED_ANSWERING))
        return 0;
    sut_stop(s, note, sizeof note);
    if (note[0])
        row_note(r, "stopping it: %s", note);
    if (run_bring_up(c, s, m, why, whylen, status)) {
        row_note(r, "restart failed: %s", why);
        return -1;
    }
    row_flag(r, ROW_FLAG_RESTARTED);
    row_note(r, "restarted for the next level");
    return 0;
}

void run_rows_not_measured(struct run_ctx *c, const struct model *m, int round, int from,
                           enum row_status status, const char *why)
{
    if (from == 0 && round == 0 && c->plan.memory_idle > 0) {
        struct row *r = run_new_row(c, m, round);
        r->kind = ROW_KIND_MEMORY;
        r->conns = 0;
        r->idle = c->plan.memory_idle;
        r->status = status;
        row_note(r, "%s", why);
        progress_step(&c->progress, r, 0);
    }
    for (int l = from; l < c->plan.n_levels; l++) {
        struct row *r = run_new_row(c, m, round);
        r->conns = c->plan.levels[l].conns;
        r->idle = c->plan.levels[l].idle;
        r->status = status;
        row_note(r, "%s", why);
        progress_step(&c->progress, r, 0);
    }
    if (c->wl.ops->not_measured) /* the workload's own steps */
        c->wl.ops->not_measured(c, m, round, status, why);
    if (c->o->rates_mode != RATES_NONE) /* the open loop: one msr row */
        run_msr_not_measured(c, m, round, status, why);
}

struct row *run_msr_not_measured(struct run_ctx *c, const struct model *m, int round,
                                 enum row_status status, const char *why)
{
    struct row *r = run_new_row(c, m, round);
    r->kind = ROW_KIND_MSR;
    r->mode = ROW_MODE_OPEN;
    r->conns = c->o->rate_conns;
    r->status = status;
    row_note(r, "%s", why);
    return r;
}
