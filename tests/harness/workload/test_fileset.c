/* The file set (harness/fileset.c, fileset_store.c): the request sequence
 * is deterministic per seed and different across seeds; its class mix
 * matches 35/50/14/1 % within one percentage point over 100k draws; its
 * Zipf ranks behave (rank 1 most popular, frequencies near 1/rank); the
 * set on disk comes out byte for byte the same from a seed, is reused while
 * it verifies, generated again when damaged, and can be dropped from the
 * page cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload/fileset.h"
#include "base/util.h"

#define DRAWS 100000

static struct fileset_req seq_a[DRAWS], seq_b[DRAWS];

static void draw(int dirs, uint64_t seed, struct fileset_req *out)
{
    assert_int_equal(fileset_draw(dirs, seed, out, DRAWS), 0);
}

static void sequence_deterministic_per_seed(void **state)
{
    (void)state;
    draw(60, 1, seq_a);
    draw(60, 1, seq_b);
    assert_memory_equal(seq_a, seq_b, sizeof seq_a);
    draw(60, 2, seq_b);
    int same = 0;
    for (int i = 0; i < DRAWS; i++)
        same += memcmp(&seq_a[i], &seq_b[i], sizeof seq_a[i]) == 0;
    assert_true(same < DRAWS / 2); /* popular files repeat, not whole runs */
}

static void class_mix_within_one_point(void **state)
{
    (void)state;
    static const double want[FILESET_CLASSES] = {0.35, 0.50, 0.14, 0.01};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        int count[FILESET_CLASSES] = {0};
        draw(60, seed, seq_a);
        for (int i = 0; i < DRAWS; i++) {
            assert_true(seq_a[i].cls < FILESET_CLASSES && seq_a[i].file < FILESET_FILES);
            assert_true(seq_a[i].dir < 60);
            count[seq_a[i].cls]++;
        }
        for (int c = 0; c < FILESET_CLASSES; c++) {
            double got = (double)count[c] / DRAWS;
            if (got < want[c] - 0.01 || got > want[c] + 0.01)
                fail_msg("seed %d class %d: %.4f of the requests, want %.2f +- 0.01",
                         (int)seed, c, got, want[c]);
        }
    }
}

/* counts[r] (rank r + 1) against counts[0] / (r + 1): within 15% for the
 * first ranks, and rank 1 the most popular. */
static void zipf_like(const int *counts, int n, const char *what)
{
    for (int r = 1; r < n; r++) {
        double expect = (double)counts[0] / (r + 1);
        if (counts[r] >= counts[0] || counts[r] < 0.85 * expect || counts[r] > 1.15 * expect)
            fail_msg("%s rank %d: %d requests, rank 1 has %d (want about %.0f)", what,
                     r + 1, counts[r], counts[0], expect);
    }
}

static void zipf_ranks_behave(void **state)
{
    (void)state;
    int dirs[20] = {0}, ranks[FILESET_FILES] = {0}, rank_of[FILESET_FILES];
    for (int r = 0; r < FILESET_FILES; r++)
        rank_of[fileset_file_of_rank(r)] = r;
    draw(20, 9, seq_a);
    for (int i = 0; i < DRAWS; i++) {
        dirs[seq_a[i].dir]++;
        ranks[rank_of[seq_a[i].file]]++;
    }
    zipf_like(dirs, 10, "directory");
    zipf_like(ranks, FILESET_FILES, "file within its class");
}

static void content_by_range(void **state)
{
    (void)state;
    struct fileset_req q = {3, 2, 4};
    size_t size = (size_t)fileset_size(2, 4);
    char *whole = malloc(size), *parts = malloc(size), head[FILESET_HEAD_MAX];
    assert_int_equal(size, 50 * 1024);
    fileset_content(5, &q, 0, whole, size);
    fileset_content(5, &q, 0, parts, 1000);
    fileset_content(5, &q, 1000, parts + 1000, size - 1000);
    assert_memory_equal(whole, parts, size);
    int n = fileset_head(5, &q, head);
    assert_memory_equal(whole, head, (size_t)n);
    assert_string_equal(head, "c10k-lab fileset seed=5 /dir00003/class2_4 51200 bytes\n");
    fileset_content(6, &q, 0, parts, size);
    assert_true(memcmp(whole + n, parts + n, size - (size_t)n) != 0);
    free(whole);
    free(parts);
}

static char *slurp(const char *dir, const char *name)
{
    char path[PATH_MAX], *text, err[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (util_read_file(path, &text, NULL, err, sizeof err))
        fail_msg("%s", err);
    return text;
}

static void prepare(struct fileset *fs, const char *cache, uint64_t seed)
{
    char err[512];
    if (fileset_prepare(fs, cache, 1, seed, err, sizeof err))
        fail_msg("fileset_prepare: %s", err);
}

static void generated_same_reused_regenerated(void **state)
{
    (void)state;
    char a[] = "/tmp/c10k-test-fileset-XXXXXX", b[] = "/tmp/c10k-test-fileset-XXXXXX";
    struct fileset fa, fb, fc;
    assert_non_null(mkdtemp(a));
    assert_non_null(mkdtemp(b));
    prepare(&fa, a, 7);
    prepare(&fb, b, 7);
    assert_true(fa.generated && fb.generated);
    assert_int_equal(fa.files, 36);
    assert_true(fa.bytes == 5119470);
    const char *names[] = {"urls.txt", "manifest.txt", "docroot/dir00000/class3_8",
                           "docroot/dir00000/class0_0", "docroot/index.html"};
    for (size_t i = 0; i < 5; i++) {
        char *x = slurp(fa.dir, names[i]), *y = slurp(fb.dir, names[i]);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    prepare(&fc, a, 7);             /* stored and intact: reused */
    assert_false(fc.generated);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/docroot/dir00000/class1_2", fa.dir);
    assert_int_equal(truncate(path, 100), 0);
    prepare(&fc, a, 7);             /* damaged: generated again, and why */
    assert_true(fc.generated);
    assert_non_null(strstr(fc.redo, "class1_2"));
    assert_int_equal(fileset_drop_cache(&fc), 0);
    prepare(&fb, b, 8);             /* another seed: another sequence */
    char *x = slurp(fa.dir, "urls.txt"), *y = slurp(fb.dir, "urls.txt");
    assert_true(strcmp(x, y) != 0);
    free(x);
    free(y);
    assert_int_equal(util_remove_tree(a), 0);
    assert_int_equal(util_remove_tree(b), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sequence_deterministic_per_seed),
        cmocka_unit_test(class_mix_within_one_point),
        cmocka_unit_test(zipf_ranks_behave),
        cmocka_unit_test(content_by_range),
        cmocka_unit_test(generated_same_reused_regenerated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
