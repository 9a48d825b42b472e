/* The mixed workload's alone rows (step alone: the cheap requests alone,
 * workloads/mixed_steps.c) in the report: paired with the equal-load rates
 * for the mixed section, and never in the verdict, the headline or the
 * plots: a run with them, made slow and failing, reads the same there as
 * the same run without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/plot.h"
#include "report/report.h"
#include "report/verdict.h"
#include "report/warn.h"

static struct row open_row(const char *model, const char *category, enum row_step step,
                           double rate, double p99_us, double cpu_us)
{
    struct row r;
    row_init(&r);
    snprintf(r.model, sizeof r.model, "%s", model);
    snprintf(r.category, sizeof r.category, "%s", category);
    snprintf(r.workload, sizeof r.workload, "mixed");
    r.round = 0;
    r.mode = ROW_MODE_OPEN;
    r.step = step;
    r.conns = 256;
    r.duration_s = 2;
    r.offered_rps = rate;
    r.achieved_rps = r.req_per_s = rate;
    r.requests = rate * 2;
    r.lat_p99_us = p99_us;
    r.srv_cpu_us_per_req = cpu_us;
    r.cli_cpu_us_per_req = cpu_us;
    r.err_connect = r.err_read = r.err_write = r.err_status = r.err_timeout = 0;
    if (step == ROW_STEP_EQUAL) {
        r.cheap_p99_us = p99_us / 2;
        r.expensive_p99_us = p99_us;
    }
    return r;
}

static struct row msr_row(const char *model, const char *category, double rate)
{
    struct row r = open_row(model, category, ROW_STEP_NONE, rate, 5000, 50);
    r.kind = ROW_KIND_MSR;
    return r;
}

/* dir/results.csv of the run: two models at two equal-load rates, their
 * msr rows; with alone, the alone rows at 95% of each rate, slow (50 ms),
 * costly and not sustained, one failed. */
static void write_run(const char *dir, bool alone)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    csv_write_header(f);
    const char *models[] = {"epoll", "threadpool"}, *cats[] = {"event-driven", "hybrid"};
    for (int m = 0; m < 2; m++) {
        struct row r = open_row(models[m], cats[m], ROW_STEP_EQUAL, 500, 2000 + 1000 * m, 100);
        csv_write_row(f, &r);
        r = open_row(models[m], cats[m], ROW_STEP_EQUAL, 1000, 3000 + 1000 * m, 80 + 40 * m);
        csv_write_row(f, &r);
        r = msr_row(models[m], cats[m], 4000 + 2000 * m);
        csv_write_row(f, &r);
        if (!alone)
            continue;
        r = open_row(models[m], cats[m], ROW_STEP_ALONE, 475, 1000 + 500 * m, 900);
        csv_write_row(f, &r);
        r = open_row(models[m], cats[m], ROW_STEP_ALONE, 950, 50000, 900);
        r.achieved_rps = r.req_per_s = 400; /* not sustained */
        if (m == 1)
            r.status = ROW_STATUS_FAILED;
        csv_write_row(f, &r);
    }
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* Loads dir, builds the verdict and the plots; the p99-against-offered-
 * load plot's SVG, malloc'd. */
static char *load(struct report *r, const char *dir)
{
    char err[512], path[600];
    assert_int_equal(report_load(r, dir, err, sizeof err), 0);
    assert_int_equal(warn_collect(r), 0);
    verdict_build(r);
    assert_int_equal(plot_all(dir, &r->points, &r->plots, err, sizeof err), 0);
    for (int i = 0; i < r->plots.n; i++)
        if (strstr(r->plots.names[i], "offered") || strstr(r->plots.names[i], "open")) {
            snprintf(path, sizeof path, "%s/plots/%s.svg", dir, r->plots.names[i]);
            return slurp(path);
        }
    fail_msg("no open-loop plot");
    return NULL;
}

static void alone_rows_ignored(void **state)
{
    (void)state;
    char a[] = "/tmp/c10k-mixed-a-XXXXXX", b[] = "/tmp/c10k-mixed-b-XXXXXX", cmd[128];
    static struct report without, with;
    assert_non_null(mkdtemp(a));
    assert_non_null(mkdtemp(b));
    write_run(a, false);
    write_run(b, true);
    char *plot_a = load(&without, a), *plot_b = load(&with, b);
    /* equal load and MSR: the same rates, the same figures */
    assert_int_equal(with.n_equal, 2);
    assert_int_equal(without.n_equal, with.n_equal);
    for (int e = 0; e < with.n_equal; e++)
        assert_true(with.equal[e] == without.equal[e]);
    assert_true(with.equal[0] == 500 && with.equal[1] == 1000);
    assert_int_equal(with.n_head, without.n_head);
    for (int i = 0; i < with.n_head; i++) {
        const struct report_headline *h = &with.head[i], *g = &without.head[i];
        assert_string_equal(h->model, g->model);
        assert_true(h->msr == g->msr && h->msr > 0);
        assert_int_equal(h->status, g->status);
        assert_int_equal(h->status, ROW_STATUS_OK); /* the failed alone row: not here */
        for (int e = 0; e < with.n_equal; e++)
            assert_true(h->cpu_us[e] == g->cpu_us[e] && h->cheap_ms[e] == g->cheap_ms[e] &&
                        h->expensive_ms[e] == g->expensive_ms[e] && h->cpu_us[e] < 900);
    }
    assert_int_equal(with.n_verdict, without.n_verdict);
    for (int v = 0; v < with.n_verdict; v++)
        assert_string_equal(with.verdict[v], without.verdict[v]);
    assert_string_equal(plot_b, plot_a); /* nothing of them drawn */
    /* the mixed section's pairing and ratio */
    assert_true(with.alone[0] == 475 && with.alone[1] == 950);
    assert_true(without.alone[0] < 0);
    const struct stats_point *p = stats_find_open(&with.points, "epoll", ROW_KIND_LOAD,
                                                  ROW_STEP_EQUAL, 500);
    const struct stats_point *al = report_alone_point(&with, "epoll", 0);
    assert_non_null(al);
    assert_true(al->med.step == ROW_STEP_ALONE && al->med.offered_rps == 475);
    assert_true(report_cheap_p99_us(al) == 1000); /* no classes: its whole p99 */
    assert_true(report_mixed_ratio(p, al) == 1.0); /* 1000 us in the mix, 1000 alone */
    p = stats_find_open(&with.points, "epoll", ROW_KIND_LOAD, ROW_STEP_EQUAL, 1000);
    assert_true(report_mixed_ratio(p, report_alone_point(&with, "epoll", 1)) < 0);
    assert_null(report_alone_point(&without, "epoll", 0));
    free(plot_a);
    free(plot_b);
    warn_free(&with);
    warn_free(&without);
    report_free(&with);
    report_free(&without);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", a, b);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alone_rows_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
