/* The queries workload's further q in the report: a run whose rows at q =
 * 20 (a search and its msr row) would contradict and outrank those at the
 * first q if they mixed. The headline and the verdict use the first q only;
 * the db section shows each q from its own rows, with Little's law's limit
 * from the connections PostgreSQL counted at the step of the MSR (not the
 * most of any step: the closed loop had more), none for a server that had
 * no connection (the calibration server), "not applicable" for a
 * reference; and the database's delay D read from meta.txt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "report/html.h"
#include "report/markdown.h"
#include "report/report.h"
#include "report/verdict.h"

static struct row *add(struct row *rows, int *n, const char *model, int q, enum row_kind kind,
                       double offered, double achieved)
{
    struct row *r = &rows[(*n)++];
    row_init(r);
    snprintf(r->model, sizeof r->model, "%s", model);
    snprintf(r->category, sizeof r->category, "%s",
             !strcmp(model, "calibration") ? "calibration"
             : !strcmp(model, "nginx") ? "reference" : "event-driven");
    snprintf(r->workload, sizeof r->workload, "queries");
    r->round = 0;
    r->db_queries = q;
    r->kind = kind;
    r->mode = ROW_MODE_OPEN;
    r->step = kind == ROW_KIND_MSR ? ROW_STEP_NONE : ROW_STEP_SEARCH;
    r->conns = 256;
    r->offered_rps = offered;
    r->achieved_rps = achieved;
    r->requests = achieved;
    r->lat_p99_us = 1000;
    r->srv_cpu_us_per_req = 50.0 * q;
    r->db_cpu_us_per_req = 20.0 * q;
    r->db_conns_peak = 8;
    r->db_limit_rps = 8 * 1000.0 / 1 / q; /* D = 1 ms */
    return r;
}

#define DIR_TEMPLATE "/tmp/c10k-report-q-XXXXXX"
static char dir[sizeof DIR_TEMPLATE];

/* meta.txt as a run at D = 1 ms writes it (its first line is the date). */
#define META_DATE "date: 2026-01-01 00:00:00 +0000\n"
#define META_D1 META_DATE "slo_p99_ms: 10\nworkload: queries\nworkload_detail: " \
    "queries: GET /queries?q=1 (q = 1, 20), --db-conns 8 per process, --db-delay-ms " \
    "1, --db-api async\nslo_db_wait_ms_per_query: 1\n"

static void write_meta(const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *meta = fopen(path, "w");
    assert_non_null(meta);
    fputs(text, meta);
    assert_int_equal(fclose(meta), 0);
}

static void write_run(void)
{
    struct row rows[24];
    int n = 0;
    char path[256];
    for (int m = 0; m < 2; m++) {
        const char *model = m ? "calibration" : "epoll";
        double scale = m ? 10 : 1;
        struct row *c = add(rows, &n, model, 1, ROW_KIND_LOAD, -1, -1); /* closed loop */
        c->mode = ROW_MODE_CLOSED;
        c->step = ROW_STEP_NONE;
        c->req_per_s = 8000 * scale;
        c->requests = 8000 * scale;
        c->db_conns_peak = m ? 0 : 64; /* epoll: more than at its MSR */
        c->db_limit_rps = m ? -1 : 64000;
        add(rows, &n, model, 1, ROW_KIND_LOAD, 4000 * scale, 4000 * scale);
        add(rows, &n, model, 1, ROW_KIND_MSR, 4000 * scale, 4000 * scale);
        /* q = 20: fails at a quarter of the first q's MSR, sustains less */
        add(rows, &n, model, 20, ROW_KIND_LOAD, 1000 * scale, 300 * scale);
        add(rows, &n, model, 20, ROW_KIND_LOAD, 200 * scale, 200 * scale);
        add(rows, &n, model, 20, ROW_KIND_MSR, 200 * scale, 200 * scale);
    }
    add(rows, &n, "epoll", 5, ROW_KIND_MSR, 600, 600); /* after q = 20's: listed before */
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].model, "calibration")) { /* no database connection */
            rows[i].db_conns_peak = 0;
            rows[i].db_limit_rps = -1;
        }
    for (int q = 1; q <= 20; q += 19) { /* a reference: every row skipped */
        struct row *s = add(rows, &n, "nginx", q, ROW_KIND_MSR, -1, -1);
        s->status = ROW_STATUS_SKIPPED;
        s->db_conns_peak = s->db_limit_rps = s->db_cpu_us_per_req = -1;
    }
    write_meta(META_D1);
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(csv_write_header(f), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(csv_write_row(f, &rows[i]), 0);
    assert_int_equal(fclose(f), 0);
}

static void first_q_only(void **state)
{
    (void)state;
    struct report r;
    char err[256], s[32];
    snprintf(dir, sizeof dir, DIR_TEMPLATE);
    assert_non_null(mkdtemp(dir));
    write_run();
    assert_int_equal(report_load(&r, dir, err, sizeof err), 0);
    assert_int_equal(r.first_q, 1);
    assert_int_equal(r.n_head, 3);
    for (int i = 0; i < r.n_head; i++) {
        if (!strcmp(r.head[i].model, "nginx"))
            continue;
        double scale = strcmp(r.head[i].model, "calibration") ? 1 : 10;
        assert_true(r.head[i].msr == 4000 * scale); /* not q = 20's */
        assert_false(r.head[i].inconsistent);       /* q = 20's failure is no contradiction */
        assert_true(r.head[i].best_rps == 8000 * scale);
    }
    verdict_build(&r);
    assert_true(r.n_verdict > 0);
    for (int i = 0; i < r.n_verdict; i++) { /* no further-q rate in the verdict */
        util_format_rate(2000, s, sizeof s);
        assert_null(strstr(r.verdict[i], s));
        assert_null(strstr(r.verdict[i], "inconsistent"));
    }
    assert_int_equal(r.n_db_qs, 3);
    assert_true(r.db_qs[0] == 1 && r.db_qs[1] == 5 && r.db_qs[2] == 20);
    struct report_db_line d;
    report_db_line(&r, "epoll", 20, &d);
    assert_true(d.msr == 200 && d.conns == 8 && d.limit == 400 && d.fraction == 0.5);
    assert_true(d.srv_us == 1000 && d.db_us == 400);
    report_db_line(&r, "epoll", 1, &d); /* the MSR step's 8, not the closed loop's 64 */
    assert_true(d.msr == 4000 && d.limit == 8000 && d.fraction == 0.5 && d.srv_us == 50);
    assert_true(d.conns == 8 && d.conns_most == 64 && d.applicable);
    report_db_line(&r, "calibration", 1, &d);
    assert_true(d.msr == 40000 && d.conns == 0 && d.limit < 0 && d.fraction < 0);
    report_db_line(&r, "nginx", 20, &d);
    assert_false(d.applicable);
    assert_int_equal(r.run.db_delay_ms, 1);
    assert_string_equal(r.run.slo_ms, "10 + 1 q");

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    markdown_db(f, &r);
    html_db(f, &r);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(text, "| epoll | q = 20 | 200 | 8 | 400 | 50% | 1000.0 | 400.0 |"));
    assert_non_null(strstr(text, "| epoll | q = 1 | 4000 | 8 (64) | 8000 | 50% |"));
    assert_non_null(strstr(text, "| calibration | q = 1 | 40.0k | 0 | none (no connection) |"));
    assert_non_null(strstr(text, "| nginx | q = 20 | not applicable |"));
    assert_non_null(strstr(text, "| calibration | q = 5 | - | - | - | - | - | - |"));
    assert_non_null(strstr(text, "<td class=l>nginx</td><td>q = 1</td><td colspan=6 "
                                 "class=l>not applicable</td>"));
    assert_non_null(strstr(text, "<td class=l>epoll</td><td>q = 1</td>"));
    assert_non_null(strstr(text, "<td>400</td><td>50%</td><td>1000.0</td><td>400.0</td>"));
    free(text);
    report_free(&r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* D from meta.txt's slo_db_wait_ms_per_query; without it (written only
 * with D > 0, and not by runs from before it, e.g. results/reference/
 * db-d2) from workload_detail; -1 in a run of neither. With D = 0 the
 * calibration server's limit cell says so. */
#define DETAIL "workload_detail: "
static void delay_from_meta(void **state)
{
    (void)state;
    static const struct {
        const char *meta;
        int delay;
    } cases[] = {
        {META_DATE DETAIL "queries: GET /queries?q=1\nslo_db_wait_ms_per_query: 2\n", 2},
        {META_DATE DETAIL "db: GET /db, --db-conns 8 per process, --db-delay-ms 2\n", 2},
        {META_DATE DETAIL "db: GET /db, --db-conns 8 per process, --db-delay-ms 0\n", 0},
        {META_DATE DETAIL "file: GET /bench/16k.html (16384 bytes)\n", -1},
    };
    struct report r;
    char err[256];
    snprintf(dir, sizeof dir, DIR_TEMPLATE);
    assert_non_null(mkdtemp(dir));
    write_run();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_meta(cases[i].meta);
        assert_int_equal(report_load(&r, dir, err, sizeof err), 0);
        assert_int_equal(r.run.db_delay_ms, cases[i].delay);
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        markdown_db(f, &r);
        assert_int_equal(fclose(f), 0);
        assert_true(!strstr(text, "| calibration | q = 1 | 40.0k | 0 | none (D = 0) |") ==
                    (cases[i].delay != 0));
        free(text);
        report_free(&r);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(first_q_only),
                                       cmocka_unit_test(delay_from_meta)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
