/* results.csv: header, quoting, empty numbers, a round trip, the words of
 * the flags and statuses, an unknown flag, an unknown status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/csv.h"

static char *write_to_string(const struct row *rows, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(csv_write_header(f), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(csv_write_row(f, &rows[i]), 0);
    fclose(f);
    return buf;
}

/* The header is columns.def's names in its order (the same list
 * columns.py gives bench/check_run.py and harness/README.md), comma-separated,
 * one line. */
static void header_lists_the_documented_columns(void **state)
{
    (void)state;
    struct row r;
    row_init(&r);
    char *text = write_to_string(&r, 0);
    static const char want[] =
#define TEXT_COLUMN(n, size, rounds, t) #n ","
#define WORD_COLUMN(n, type, words, rounds, t) #n ","
#define NUM_COLUMN(n, d, rounds, unit, t) #n ","
#define FLAGS_COLUMN(n, t) #n ","
#include "results/columns.def"
        ;
    assert_int_equal(strlen(text), strlen(want));
    assert_memory_equal(text, want, strlen(want) - 1);
    assert_string_equal(text + strlen(want) - 1, "\n");
    free(text);
}

static void unmeasured_numbers_are_empty(void **state)
{
    (void)state;
    struct row r;
    row_init(&r);
    snprintf(r.model, sizeof r.model, "nginx");
    snprintf(r.category, sizeof r.category, "reference");
    r.conns = 256;
    char *text = write_to_string(&r, 1);
    const char *line = strchr(text, '\n') + 1;
    /* conns and the 8 columns before it, the other numbers and the flags
     * empty, status ok, an empty note: as many fields as columns.def has. */
    char want[512] = "nginx,reference,,,load,closed,,,256";
    for (int i = 9; i < ROW_COLUMNS - 2; i++)
        strcat(want, ",");
    strcat(want, ",ok,\n");
    assert_string_equal(line, want);
    free(text);
}

static void notes_are_quoted(void **state)
{
    (void)state;
    char line[] = "a,\"b, \"\"quoted\"\"\nnext\",,c";
    char *f[8];
    assert_int_equal(csv_split(line, f, 8), 4);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b, \"quoted\"\nnext");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "c");
}

/* The words of results.csv, fixed: runs written by older harnesses are
 * read back with them. */
static const struct {
    enum row_flag flag;
    const char *word;
} flag_words[] = {
    {ROW_FLAG_CLIENT_BOUND, "client-bound"}, {ROW_FLAG_STARVED, "starved"},
    {ROW_FLAG_ERRORS, "errors"}, {ROW_FLAG_REFUSED, "refused"},
    {ROW_FLAG_COUNT_MISMATCH, "count-mismatch"},
    {ROW_FLAG_STOPPED_ANSWERING, "stopped-answering"}, {ROW_FLAG_RESTARTED, "restarted"},
    {ROW_FLAG_UNSUSTAINED, "unsustained"}, {ROW_FLAG_SLO_MISSED, "slo-missed"},
    {ROW_FLAG_NONE_SUSTAINED, "none-sustained"}, {ROW_FLAG_LOWER_BOUND, "lower-bound"},
    {ROW_FLAG_HOSTS_UNEVEN, "hosts-uneven"}, {ROW_FLAG_IDLE_PARTIAL, "idle-partial"},
    {ROW_FLAG_STEAL, "steal"}, {ROW_FLAG_NOISY, "noisy"}, {ROW_FLAG_HIGH_CV, "high-cv"},
    {ROW_FLAG_INCONSISTENT, "inconsistent"},
};

static void the_words_are_the_documented_ones(void **state)
{
    (void)state;
    assert_int_equal(sizeof flag_words / sizeof flag_words[0], ROW_FLAG_COUNT);
    for (size_t i = 0; i < sizeof flag_words / sizeof flag_words[0]; i++)
        assert_string_equal(row_flag_name(flag_words[i].flag), flag_words[i].word);
    const char *status[] = {"ok", "skipped", "failed", "crashed"};
    for (int s = ROW_STATUS_OK; s <= ROW_STATUS_CRASHED; s++)
        assert_string_equal(row_status_name(s), status[s]);
    const char *kind[] = {"load", "memory", "msr"}, *mode[] = {"closed", "open"};
    const char *step[] = {"", "rate", "equal", "search", "cap50", "cap80", "slow", "alone"};
    for (int k = ROW_KIND_LOAD; k <= ROW_KIND_MSR; k++)
        assert_string_equal(row_kind_name(k), kind[k]);
    for (int m = ROW_MODE_CLOSED; m <= ROW_MODE_OPEN; m++)
        assert_string_equal(row_mode_name(m), mode[m]);
    for (int t = ROW_STEP_NONE; t < ROW_STEP_COUNT; t++)
        assert_string_equal(row_step_name(t), step[t]);
}

/* Writes rows to a temporary results.csv and reads them back. */
static struct row *round_trip(const struct row *in, int n)
{
    char path[] = "/tmp/c10k-test-csv-XXXXXX", err[256];
    struct row *out;
    size_t got;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(csv_write_header(f), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(csv_write_row(f, &in[i]), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(csv_read(path, &out, &got, err, sizeof err), 0);
    unlink(path);
    assert_int_equal(got, n);
    return out;
}

static void rows_survive_a_round_trip(void **state)
{
    (void)state;
    struct row in[2];
    row_init(&in[0]);
    row_init(&in[1]);
    snprintf(in[0].model, sizeof in[0].model, "epoll");
    snprintf(in[0].category, sizeof in[0].category, "event-driven");
    in[0].conns = 1024;
    in[0].req_per_s = 12345.6;
    in[0].lat_p99_us = 4200;
    in[0].srv_refused = 0;
    row_flag(&in[0], ROW_FLAG_CLIENT_BOUND);
    row_flag(&in[0], ROW_FLAG_NOISY);
    row_flag(&in[0], ROW_FLAG_CLIENT_BOUND); /* once only */
    row_note(&in[0], "server said \"hi\", twice");
    row_note(&in[0], "line two");
    snprintf(in[1].model, sizeof in[1].model, "select");
    in[1].status = ROW_STATUS_CRASHED;
    in[1].conns = 4096;
    struct row *out = round_trip(in, 2);
    assert_string_equal(out[0].model, "epoll");
    assert_string_equal(out[0].category, "event-driven");
    assert_true(out[0].conns == 1024);
    assert_true(out[0].req_per_s > 12345.5 && out[0].req_per_s < 12345.7);
    assert_true(out[0].lat_p99_us == 4200);
    assert_true(out[0].srv_refused == 0);
    assert_true(out[0].srv_responses == -1);
    assert_int_equal(out[0].flags.set, in[0].flags.set);
    assert_int_equal(out[0].flags.n, 2);
    assert_true(row_has_flag(&out[0], ROW_FLAG_NOISY));
    assert_false(row_has_flag(&out[0], ROW_FLAG_STARVED));
    assert_string_equal(out[0].note, "server said \"hi\", twice; line two");
    assert_int_equal(out[1].status, ROW_STATUS_CRASHED);
    assert_int_equal(out[1].flags.n, 0);
    assert_true(out[1].conns == 4096);
    free(out);
}

/* Every flag alone, all of them at once (raised in reverse), every status,
 * kind, mode and step come back as they were written. */
static void every_flag_and_status_survives_a_round_trip(void **state)
{
    (void)state;
    enum { ALL = ROW_FLAG_COUNT, ROWS = ROW_FLAG_COUNT + 1 };
    struct row in[ROWS];
    for (int i = 0; i < ROWS; i++) {
        row_init(&in[i]);
        in[i].status = (enum row_status)(i % (ROW_STATUS_CRASHED + 1));
        in[i].kind = (enum row_kind)(i % (ROW_KIND_MSR + 1));
        in[i].mode = (enum row_mode)(i % (ROW_MODE_OPEN + 1));
        in[i].step = (enum row_step)(i % ROW_STEP_COUNT);
        if (i < ALL)
            row_flag(&in[i], (enum row_flag)i);
    }
    for (int f = ROW_FLAG_COUNT - 1; f >= 0; f--)
        row_flag(&in[ALL], (enum row_flag)f);
    struct row *out = round_trip(in, ROWS);
    for (int i = 0; i < ROWS; i++) {
        assert_int_equal(out[i].status, in[i].status);
        assert_int_equal(out[i].kind, in[i].kind);
        assert_int_equal(out[i].mode, in[i].mode);
        assert_int_equal(out[i].step, in[i].step);
        assert_int_equal(out[i].flags.set, in[i].flags.set);
        assert_int_equal(out[i].flags.n, in[i].flags.n);
        assert_memory_equal(out[i].flags.order, in[i].flags.order, in[i].flags.n);
        assert_string_equal(out[i].note, "");
    }
    assert_int_equal(out[ALL].flags.order[0], ROW_FLAG_COUNT - 1);
    free(out);
}

/* results.csv lists the flags in the order they were raised, once each. */
static void flags_are_written_in_the_order_raised(void **state)
{
    (void)state;
    struct row r;
    char *text = NULL;
    size_t len = 0;
    row_init(&r);
    row_flag(&r, ROW_FLAG_NOISY);
    row_flag(&r, ROW_FLAG_CLIENT_BOUND);
    row_flag(&r, ROW_FLAG_NOISY);
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(csv_write_flags(f, &r), 0);
    fclose(f);
    assert_string_equal(text, "noisy;client-bound");
    free(text);
}

/* Reads text as a results.csv: csv_read's result, rows in *out. */
static int read_text(const char *text, struct row **out, size_t *n, char *err, size_t len)
{
    char path[] = "/tmp/c10k-test-csv-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = csv_read(path, out, n, err, len);
    unlink(path);
    return rc;
}

/* A flag this harness does not know (a results.csv of another version):
 * the row is read, the flags it knows kept, the unknown one kept in words
 * in the note. */
static void an_unknown_flag_is_kept_in_the_note(void **state)
{
    (void)state;
    struct row *out;
    size_t n;
    char err[256];
    assert_int_equal(read_text("model,kind,flags,status,note\n"
                               "epoll,load,client-bound;gone-flag;noisy,ok,late start\n"
                               "poll,load,gone-flag,ok,\n",
                               &out, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].flags.n, 2);
    assert_int_equal(out[0].flags.order[0], ROW_FLAG_CLIENT_BOUND);
    assert_int_equal(out[0].flags.order[1], ROW_FLAG_NOISY);
    assert_string_equal(out[0].note, "late start; unknown flag gone-flag");
    assert_int_equal(out[1].flags.n, 0);
    assert_string_equal(out[1].note, "unknown flag gone-flag");
    free(out);
}

/* A status, kind, mode or step that is none of ours cannot be read as
 * anything: the file is refused, naming the row and the word. */
static void an_unknown_status_or_step_is_refused(void **state)
{
    (void)state;
    struct row *out = NULL;
    size_t n = 7;
    char err[256];
    assert_int_equal(read_text("model,status\nepoll,ok\nepoll,exploded\n", &out, &n, err,
                               sizeof err), -1);
    assert_non_null(strstr(err, "row 2: unknown status \"exploded\""));
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(read_text("model,mode,step\nepoll,open,cap90\n", &out, &n, err,
                               sizeof err), -1);
    assert_non_null(strstr(err, "row 1: unknown step \"cap90\""));
}

static void error_sum_skips_unmeasured(void **state)
{
    (void)state;
    struct row r;
    row_init(&r);
    assert_true(row_errors(&r) == 0);
    r.err_read = 3;
    r.err_timeout = 4;
    assert_true(row_errors(&r) == 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_lists_the_documented_columns),
        cmocka_unit_test(unmeasured_numbers_are_empty),
        cmocka_unit_test(notes_are_quoted),
        cmocka_unit_test(rows_survive_a_round_trip),
        cmocka_unit_test(the_words_are_the_documented_ones),
        cmocka_unit_test(every_flag_and_status_survives_a_round_trip),
        cmocka_unit_test(flags_are_written_in_the_order_raised),
        cmocka_unit_test(an_unknown_flag_is_kept_in_the_note),
        cmocka_unit_test(an_unknown_status_or_step_is_refused),
        cmocka_unit_test(error_sum_skips_unmeasured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
