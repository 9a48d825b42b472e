/* The queries workload's further q (--db-queries 1,5,20): the closed and
 * open loop ran at the first q; for each further one, a maximum-
 * sustainable-rate search of its own at /queries?q=N and its kind=msr row,
 * every row carrying its q (results.csv's db_queries, a KEY column: points
 * of different q never merge). The search starts at the first q's MSR
 * times q0 / q (the work per request grows with q). The calibration server
 * answers a stored body whatever the request: it is restarted with q
 * stored rows for each q (verify checks the body's length), and with the
 * first q's again after. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_ctx.h"
#include "run/step_rules.h"
#include "base/spawn.h"
#include "workloads/workloads.h"

#define DB_ROW "{\"id\":3217,\"randomNumber\":2149}" /* the calibration's stored row */

/* The calibration server's stored body for q rows (queries: an array of
 * q copies of the stored row; db: the row), malloc'd, or NULL. */
char *db_calibration_body(bool queries, int q)
{
    size_t row = strlen(DB_ROW), n = queries ? (size_t)q : 1;
    char *json = malloc(n * (row + 1) + 2), *p = json;
    if (!json)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "," : queries ? "[" : "", DB_ROW);
    strcpy(p, queries ? "]" : "");
    return json;
}

int db_workload_set_q(struct workload *w, int q)
{
    char *json = db_calibration_body(true, q);
    if (!json)
        return -1;
    free(w->calibration_json);
    w->calibration_json = json;
    w->body_size = (long)strlen(json);
    w->db_queries = q;
    snprintf(w->path, sizeof w->path, "/queries?q=%d", q);
    return 0;
}

static bool has_steps(const struct run_ctx *c)
{
    return !strcmp(c->wl.name, "queries") && c->o->rates_mode == RATES_AUTO &&
           c->o->n_db_queries > 1;
}

/* The searches' msr rows from the i-th q on, with status and why. */
static void rows_not_measured(struct run_ctx *c, const struct model *m, int round, int i,
                              enum row_status status, const char *why)
{
    for (; i < c->o->n_db_queries; i++) {
        c->wl.db_queries = c->o->db_queries[i]; /* the row's q */
        progress_step(&c->progress, run_msr_not_measured(c, m, round, status, why), 0);
    }
    c->wl.db_queries = c->o->db_queries[0];
}

void db_not_measured(struct run_ctx *c, const struct model *m, int round,
                     enum row_status status, const char *why)
{
    if (has_steps(c))
        rows_not_measured(c, m, round, 1, status, why);
}

/* The workload at q: what is requested, Little's law's limit, and the
 * calibration server's stored body (its environment points at it); the
 * calibration server restarted with it. -1 with why and status if that
 * failed. */
static int set_q(struct run_ctx *c, struct sut *s, const struct model *m, int q,
                 char *why, size_t whylen, enum row_status *status)
{
    char note[256];
    *status = ROW_STATUS_FAILED;
    if (db_workload_set_q(&c->wl, q)) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    c->env.calibration_json = c->wl.calibration_json;
    c->env.body_size = c->wl.body_size;
    if (m->kind != MODEL_CALIBRATION || !s)
        return 0;
    sut_stop(s, note, sizeof note);
    if (run_bring_up(c, s, m, why, whylen, status))
        return -1;
    return 0;
}

/* The MSR at the first q in this round's rows, or 0. */
static double first_msr(const struct run_ctx *c, const struct model *m)
{
    for (int i = 0; i < c->n_rows; i++)
        if (c->rows[i].kind == ROW_KIND_MSR && c->rows[i].status == ROW_STATUS_OK &&
            c->rows[i].db_queries == c->o->db_queries[0] && !strcmp(c->rows[i].model, m->name))
            return c->rows[i].offered_rps;
    return 0;
}

int db_open_steps(const struct opts *o)
{
    if (o->rates_mode != RATES_AUTO)
        return 0; /* the further q are searched only with --rates auto */
    return (o->n_db_queries - 1) *
           (o->quick ? PLAN_QUICK_SEARCH_STEPS + 1 : PLAN_SEARCH_STEPS);
}

void db_steps(struct run_ctx *c, struct sut *s, const struct model *m, int round)
{
    char why[512];
    enum row_status status;
    if (!has_steps(c))
        return;
    int q0 = c->o->db_queries[0], n = c->o->n_db_queries, i = 1, rc = 0;
    double msr0 = first_msr(c, m);
    for (; i < n && !spawn_interrupted && rc == 0; i++) {
        int q = c->o->db_queries[i];
        double msr, start = msr0 > 0 ? msr0 * q0 / q : step_search_start(c->rows, c->n_rows);
        if (set_q(c, s, m, q, why, sizeof why, &status)) {
            rows_not_measured(c, m, round, i, status, why);
            break;
        }
        rc = rates_search(c, s, m, round, start, &msr); /* its rows say what stopped it */
    }
    if (rc && !spawn_interrupted && i < n)
        rows_not_measured(c, m, round, i, ROW_STATUS_FAILED,
                          "not measured: the server was gone for good at an earlier q");
    /* The first q again, for the next model (the calibration server's body). */
    if (db_workload_set_q(&c->wl, q0) == 0) {
        c->env.calibration_json = c->wl.calibration_json;
        c->env.body_size = c->wl.body_size;
    }
}
