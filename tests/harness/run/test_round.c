/* The run loop's decisions that need no server: the order models are
 * measured in (the calibration server first when the equal loads are
 * shares of its sustainable rate), and the rows a model gets when it could
 * not be measured (skipped, failed, or from a level on after a crash):
 * the memory row, every level, the workload's own steps, the msr row, each
 * saying why. Nothing here starts a process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/models.h"
#include "options/opts.h"
#include "run/plan.h"
#include "run/run_ctx.h"
#include "workloads/workloads.h"

#define ARGV(...) ((char *[]){"harness", __VA_ARGS__, NULL})
#define ARGC(v) ((int)(sizeof(v) / sizeof(v[0])) - 1)
#define PARSE(o, ...) opts_parse(o, ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__), err, sizeof err)

static char err[512];

static void calibration_first(void **state)
{
    (void)state;
    struct opts o;
    const struct model *in[] = {models_find("epoll"), models_find("nginx")}, *out[4];
    bool added;
    assert_int_equal(PARSE(&o, "run"), 0); /* --rates auto, --equal-load 25%,50% */
    assert_int_equal(plan_order_models(&o, in, 2, out, &added), 3);
    assert_true(added);
    assert_string_equal(out[0]->name, "calibration");
    assert_ptr_equal(out[1], in[0]);
    assert_ptr_equal(out[2], in[1]);
    const struct model *with[] = {in[0], models_find("calibration")};
    assert_int_equal(plan_order_models(&o, with, 2, out, &added), 2);
    assert_false(added); /* asked for: moved first, not added */
    assert_ptr_equal(out[0], with[1]);
    assert_int_equal(PARSE(&o, "run", "--equal-load", "5000,10k"), 0);
    assert_int_equal(plan_order_models(&o, in, 2, out, &added), 2); /* absolute rates */
    assert_false(added);
    assert_ptr_equal(out[0], in[0]);
    assert_int_equal(PARSE(&o, "run", "--rates", "none"), 0);
    assert_int_equal(plan_order_models(&o, in, 2, out, &added), 2);
}

static struct run_ctx *context(const struct opts *o, const struct model *m)
{
    static struct run_ctx c;
    char why[256];
    memset(&c, 0, sizeof c);
    c.o = o;
    plan_build(&c.plan, o, &m, 1);
    progress_start(&c.progress, &c.plan);
    assert_int_equal(workload_prepare(&c.wl, o, why, sizeof why), 0);
    return &c;
}

/* A model skipped in round 0 of a --quick run (one level, the open loop):
 * its memory row, its level, its msr row, all skipped with the reason; in
 * round 1 no memory row. */
static void a_skipped_model_has_its_rows(void **state)
{
    (void)state;
    struct opts o;
    const struct model *m = models_find("uring");
    assert_int_equal(PARSE(&o, "run", "--quick"), 0);
    struct run_ctx *c = context(&o, m);
    run_rows_not_measured(c, m, 0, 0, ROW_STATUS_SKIPPED, "binary missing");
    assert_int_equal(c->n_rows, 3);
    assert_int_equal(c->rows[0].kind, ROW_KIND_MEMORY);
    assert_true(c->rows[1].kind == ROW_KIND_LOAD && c->rows[1].conns == 256);
    assert_true(c->rows[2].kind == ROW_KIND_MSR && c->rows[2].mode == ROW_MODE_OPEN &&
                c->rows[2].conns == o.rate_conns);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c->rows[i].status, ROW_STATUS_SKIPPED);
        assert_string_equal(c->rows[i].note, "binary missing");
        assert_string_equal(c->rows[i].model, "uring");
        assert_string_equal(c->rows[i].workload, "file");
    }
    c->n_rows = 0;
    run_rows_not_measured(c, m, 1, 0, ROW_STATUS_FAILED, "verify: GET /");
    assert_int_equal(c->n_rows, 2); /* the memory row is round 0's only */
    assert_int_equal(c->rows[0].kind, ROW_KIND_LOAD);
}

/* After a crash at the second of three levels, the rest: the third level
 * and the msr row; with slow clients, a row per slow step instead of the
 * open loop (no rate search unless asked for). */
static void after_a_crash_the_rest(void **state)
{
    (void)state;
    struct opts o;
    const struct model *m = models_find("epoll");
    assert_int_equal(PARSE(&o, "run", "--conns", "16,256,1024"), 0);
    struct run_ctx *c = context(&o, m);
    run_rows_not_measured(c, m, 0, 2, ROW_STATUS_CRASHED, "restart failed");
    assert_int_equal(c->n_rows, 2);
    assert_true(c->rows[0].conns == 1024 && c->rows[1].kind == ROW_KIND_MSR);
    assert_int_equal(PARSE(&o, "run", "--workload", "slow-clients", "--slow-conns",
                           "100,200", "--slow-rate", "2"), 0);
    c = context(&o, m);
    run_rows_not_measured(c, m, 0, 0, ROW_STATUS_SKIPPED, "no");
    assert_int_equal(c->n_rows, 3); /* memory, two slow steps */
    assert_true(c->rows[1].step == ROW_STEP_SLOW && c->rows[1].conns == 100 &&
                c->rows[1].offered_rps == 200 && c->rows[2].offered_rps == 400);
    assert_string_equal(c->rows[2].workload, "slow-clients");
}

/* queries with q = 1,5,20, its server skipped: a kind=msr row for each
 * further q's search (its own q) and the open loop's at the first q, each
 * saying why; the workload back at the first q after. No cluster is
 * started: the workload is set up by hand at its first q. */
static void queries_msr_row_per_q(void **state)
{
    (void)state;
    struct opts o;
    static struct run_ctx c;
    const struct model *m = models_find("epoll");
    assert_int_equal(PARSE(&o, "run", "--quick", "--workload", "queries", "--db-queries",
                           "1,5,20"), 0);
    memset(&c, 0, sizeof c);
    c.o = &o;
    plan_build(&c.plan, &o, &m, 1);
    progress_start(&c.progress, &c.plan);
    c.wl.ops = o.workload;
    c.wl.name = o.workload->name;
    c.wl.db_queries = 1;
    run_rows_not_measured(&c, m, 0, 0, ROW_STATUS_SKIPPED, "PostgreSQL cannot run here");
    double want[] = {5, 20, 1};
    int k = 0;
    for (int i = 0; i < c.n_rows; i++) {
        assert_int_equal(c.rows[i].status, ROW_STATUS_SKIPPED);
        assert_string_equal(c.rows[i].note, "PostgreSQL cannot run here");
        if (c.rows[i].kind != ROW_KIND_MSR)
            continue;
        assert_true(k < 3 && c.rows[i].db_queries == want[k++]);
        assert_true(c.rows[i].mode == ROW_MODE_OPEN && c.rows[i].conns == o.rate_conns);
    }
    assert_int_equal(k, 3);
    assert_int_equal(c.wl.db_queries, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calibration_first),
        cmocka_unit_test(a_skipped_model_has_its_rows),
        cmocka_unit_test(after_a_crash_the_rest),
        cmocka_unit_test(queries_msr_row_per_q),
    };
    workloads_register(workloads_table);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
