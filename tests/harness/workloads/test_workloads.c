/* The workload plug-ins behind struct workload_ops: the table, each
 * workload's options and refusals through the option parser, and what the
 * shared prepare makes of the hooks (file and slow-clients: no file set,
 * so no generation here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options/opts.h"
#include "workload/workload.h"
#include "workloads/workloads.h"

#define ARGV(...) ((char *[]){"harness", __VA_ARGS__, NULL})
#define ARGC(v) ((int)(sizeof(v) / sizeof(v[0])) - 1)
#define PARSE(...) opts_parse(&o, ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__), err, sizeof err)

static struct opts o;
static char err[512];

static void table(void **state)
{
    (void)state;
    const char *names[] = {"file", "fileset", "fileset-cold", "slow-clients", "gzip",
                           "mixed", "db", "queries"};
    int n = 0;
    for (; workloads_get(n); n++) {
        const struct workload_ops *w = workloads_get(n);
        assert_string_equal(w->name, names[n]);
        assert_ptr_equal(workloads_find(w->name), w);
        assert_non_null(w->prepare);
        assert_non_null(w->describe);
        assert_true(!w->options || w->arg); /* options need a parser */
        assert_true(!w->steps == !w->not_measured); /* steps write rows either way */
    }
    assert_int_equal(n, 8);
    assert_null(workloads_find("nope"));
    assert_int_equal(PARSE("run", "--workload", "nope"), -1);
    assert_string_equal(err, "--workload nope: expected file, fileset, fileset-cold, "
                             "slow-clients, gzip, mixed, db or queries");
}

/* db and queries: their options, defaults and refusals; the references
 * are not applicable to them. */
static void db_options(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--workload", "queries", "--db-queries", "5",
                           "--db-conns", "4", "--db-delay-ms", "2", "--db-api", "sync"), 0);
    assert_true(o.n_db_queries == 1 && o.db_queries[0] == 5 && o.db_conns == 4 &&
                o.db_delay_ms == 2 && o.db_sync);
    assert_int_equal(PARSE("run", "--workload", "queries", "--db-queries", "20,1,500"), 0);
    assert_true(o.n_db_queries == 3 && o.db_queries[0] == 20 && o.db_queries[1] == 1 &&
                o.db_queries[2] == 500); /* in the order given: the first is the loops' */
    assert_int_equal(PARSE("run", "--workload", "queries"), 0);
    assert_true(o.n_db_queries == 3 && o.db_queries[0] == 1 && o.db_queries[1] == 5 &&
                o.db_queries[2] == 20); /* TechEmpower's 1, 5, 20 */
    char *bad[] = {"0", "501", "1,,5", "1,5,", "", "a", "5,5", "1,2,3,4,5,6,7,8,9",
                         "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(PARSE("run", "--workload", "queries", "--db-queries", bad[i]), -1);
        assert_non_null(strstr(err, "expected up to 8 different whole numbers from 1 to "
                                    "500"));
        assert_null(strchr(err, '\n')); /* one line */
    }
    assert_int_equal(PARSE("run", "--workload", "db"), 0);
    assert_true(o.db_conns == 8 && o.db_delay_ms == 0 && !o.db_sync);
    assert_true(CPU_EQUAL(&o.db_cpus, &o.client_cpus)); /* the load CPUs */
    assert_int_equal(PARSE("run", "--workload", "db", "--db-api", "maybe"), -1);
    assert_string_equal(err, "--db-api maybe: expected sync or async");
    assert_int_equal(PARSE("run", "--workload", "db", "--db-conns", "0"), -1);
    assert_int_equal(PARSE("run", "--workload", "file", "--db-conns", "4"), -1);
    assert_non_null(strstr(err, "--db-conns is only used with --workload db"));
    assert_non_null(workloads_find("db")->refs_not_applicable);
    assert_null(workloads_find("file")->refs_not_applicable);
}

/* An option of one workload given with another is refused, naming those
 * that take it; options parse into struct opts whatever their order. */
static void options(void **state)
{
    (void)state;
    assert_int_equal(PARSE("run", "--workload", "fileset", "--cold-memory", "64"), -1);
    assert_string_equal(err, "--cold-memory is only used with --workload fileset-cold");
    assert_int_equal(PARSE("run", "--fileset-seed", "7"), -1);
    assert_string_equal(err, "--fileset-seed is only used with --workload fileset or "
                             "fileset-cold");
    assert_int_equal(PARSE("run", "--workload", "file", "--slow-conns", "10"), -1);
    assert_string_equal(err, "--slow-conns is only used with --workload slow-clients");
    assert_int_equal(PARSE("run", "--cold-memory", "32", "--fileset-dirs", "2",
                           "--workload", "fileset-cold"), 0);
    assert_true(o.cold_memory_mb == 32 && o.fileset_dirs == 2);
    assert_int_equal(PARSE("run", "--workload", "fileset-cold", "--cold-memory", "4"), -1);
    assert_non_null(strstr(err, "--cold-memory 4: expected a number from 8 to"));
    assert_int_equal(PARSE("run", "--workload", "fileset-cold", "--path", "/x"), -1);
    assert_non_null(strstr(err, "follow its URL list"));
    assert_int_equal(PARSE("run", "--workload", "file", "--gzip-level", "3"), -1);
    assert_string_equal(err, "--gzip-level is only used with --workload gzip or mixed");
    assert_int_equal(PARSE("run", "--workload", "gzip", "--mix", "90/10"), -1);
    assert_string_equal(err, "--mix is only used with --workload mixed");
    assert_int_equal(PARSE("run", "--workload", "gzip", "--gzip-level", "10"), -1);
    assert_int_equal(PARSE("run", "--workload", "mixed", "--mix", "90/20"), -1);
    assert_non_null(strstr(err, "adding up to 100"));
    assert_int_equal(PARSE("run", "--workload", "mixed", "--mix", "100/0"), -1);
    assert_int_equal(PARSE("run", "--workload", "mixed", "--mix", "80/20", "--gzip-level",
                           "6"), 0);
    assert_true(o.mix_cheap_pct == 80 && o.gzip_level == 6);
    assert_int_equal(PARSE("run", "--workload", "gzip"), 0);
    assert_true(o.gzip_level == 1); /* the default, nginx's and h2o's */
}

/* gzip and mixed: the text set generated under --fileset-cache, the same
 * bytes each time; the URL lists: every path exists, mixed's classes in
 * its proportion (within two points over 20,000 draws), cheap files small
 * and of a type no server compresses, expensive ones 100 KiB or more. */
static void text_workloads(void **state)
{
    (void)state;
    char dir[] = "/tmp/c10k-textset-XXXXXX", path[8192], line[512];
    struct workload w;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(PARSE("run", "--workload", "gzip", "--fileset-cache", dir), 0);
    assert_int_equal(workload_prepare(&w, &o, err, sizeof err), 0);
    assert_int_equal(w.gzip_level, 1);
    assert_string_equal(w.header, "Accept-Encoding: gzip");
    assert_non_null(strstr(w.detail, "48 HTML, CSS and JavaScript files of 4096 to 262144"));
    struct stat before, after;
    snprintf(path, sizeof path, "%s/t/app-15.js", w.docroot);
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(before.st_size, 262144);
    assert_int_equal(PARSE("run", "--workload", "mixed", "--fileset-cache", dir), 0);
    assert_int_equal(workload_prepare(&w, &o, err, sizeof err), 0);
    assert_int_equal(stat(path, &after), 0); /* the same bytes: not rewritten */
    assert_true(before.st_ino == after.st_ino &&
                before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    FILE *f = fopen(w.urls, "r");
    assert_non_null(f);
    long n[2] = {0, 0};
    while (fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        int cls = atoi(tab + 1);
        struct stat st;
        snprintf(path, sizeof path, "%s%s", w.docroot, line);
        assert_int_equal(stat(path, &st), 0);
        assert_true(cls == 0 ? st.st_size == 1024 && strstr(line, ".png")
                             : st.st_size >= 100000 && !strstr(line, ".png"));
        n[cls]++;
    }
    fclose(f);
    assert_int_equal(n[0] + n[1], TEXTSET_URLS);
    assert_true(n[1] > TEXTSET_URLS * 3 / 100 && n[1] < TEXTSET_URLS * 7 / 100);
    /* the cheap requests alone: the mix's class-0 lines, in their order */
    FILE *mix = fopen(w.urls, "r"), *alone = fopen(w.urls_alone, "r");
    char cheap[512];
    long k = 0;
    assert_true(mix && alone && strcmp(w.urls, w.urls_alone) != 0);
    while (fgets(line, sizeof line, mix))
        if (strstr(line, "\t0\n")) {
            assert_non_null(fgets(cheap, sizeof cheap, alone));
            assert_string_equal(cheap, line);
            k++;
        }
    assert_null(fgets(cheap, sizeof cheap, alone));
    assert_int_equal(k, n[0]);
    fclose(mix);
    fclose(alone);
    assert_non_null(workloads_find("mixed")->steps);
    assert_int_equal(workloads_find("mixed")->open_steps(&o), o.n_equal);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

/* The shared prepare around a workload's hooks: docroot, body size,
 * workers and --cache-mb from the table, the detail line. */
static void prepare(void **state)
{
    (void)state;
    struct workload w;
    assert_int_equal(PARSE("run", "--path", "/bench/1k.html", "--server-cpus", "0"), 0);
    assert_int_equal(workload_prepare(&w, &o, err, sizeof err), 0);
    assert_ptr_equal(w.ops, workloads_find("file"));
    assert_string_equal(w.docroot, WORKLOAD_DOCROOT);
    assert_int_equal(w.body_size, 1024);
    assert_int_equal(w.workers, 1);
    assert_int_equal(w.cache_mb, 0);
    assert_null(w.urls);
    assert_string_equal(w.detail, "file: GET /bench/1k.html (1024 bytes)");
    assert_int_equal(PARSE("run", "--workload", "slow-clients", "--slow-rate", "3",
                           "--server-cpus", "0", "--workers", "3"), 0);
    assert_int_equal(workload_prepare(&w, &o, err, sizeof err), 0);
    assert_int_equal(w.workers, 3);
    assert_string_equal(w.detail, "slow-clients: GET /bench/16k.html (16384 bytes); many "
                                  "slow clients, each offering 3 req/s");
    assert_int_equal(workloads_find("fileset-cold")->workers_per_cpu, OPTS_COLD_WORKERS_PER_CPU);
    assert_int_equal(workloads_find("fileset-cold")->cache_mb, OPTS_COLD_CACHE_MB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
        cmocka_unit_test(db_options),
        cmocka_unit_test(options),
        cmocka_unit_test(prepare),
        cmocka_unit_test(text_workloads),
    };
    workloads_register(workloads_table);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
