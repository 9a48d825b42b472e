/* results.csv: one row per model, connection count, idle count and round.
 *
 *   FILE *f = fopen("results.csv", "w");
 *   csv_write_header(f);
 *   struct row r; row_init(&r); ...fill...; csv_write_row(f, &r);
 *   struct row *rows; size_t n; csv_read("results.csv", &rows, &n, err, len);
 *
 * Numbers never measured (no counters from a reference, nothing for a
 * skipped model) are written as empty fields and read back as -1. The
 * columns are defined, with units and meanings, in columns.def. A flag that
 * csv_read does not know (a results.csv from another version) is kept as
 * words in the row's note ("unknown flag gone-flag"); an unknown kind, mode, step or
 * status makes it fail, naming the row. */
#ifndef HARNESS_CSV_H
#define HARNESS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ROW_NOTE_LEN 512
#define ROW_HOST_LEN 128

/* The short vocabularies of a row are enums; their words (csv.c's tables)
 * appear only where results.csv, summary.csv and the pages are written or
 * read, so a misspelt one does not compile. */
enum row_kind { ROW_KIND_LOAD, ROW_KIND_MEMORY, ROW_KIND_MSR };
enum row_mode { ROW_MODE_CLOSED, ROW_MODE_OPEN }; /* wrk | loadgen */
enum row_step {                 /* open loop, why this rate (csv.c) */
    ROW_STEP_NONE, ROW_STEP_RATE, ROW_STEP_EQUAL, ROW_STEP_SEARCH,
    ROW_STEP_CAP50, ROW_STEP_CAP80, ROW_STEP_SLOW, ROW_STEP_ALONE,
    ROW_STEP_COUNT              /* how many there are */
};
/* In order of severity: a point keeps the worst of its rounds. */
enum row_status {
    ROW_STATUS_OK, ROW_STATUS_SKIPPED, ROW_STATUS_FAILED, ROW_STATUS_CRASHED
};

/* What a measurement found beside its figures (meanings in csv.c), in the
 * order of report.html's legend. */
enum row_flag {
    ROW_FLAG_CLIENT_BOUND, ROW_FLAG_STARVED, ROW_FLAG_ERRORS, ROW_FLAG_REFUSED,
    ROW_FLAG_COUNT_MISMATCH, ROW_FLAG_STOPPED_ANSWERING, ROW_FLAG_RESTARTED,
    ROW_FLAG_UNSUSTAINED, ROW_FLAG_SLO_MISSED, ROW_FLAG_NONE_SUSTAINED,
    ROW_FLAG_LOWER_BOUND, ROW_FLAG_HOSTS_UNEVEN, ROW_FLAG_IDLE_PARTIAL,
    ROW_FLAG_STEAL, ROW_FLAG_NOISY, ROW_FLAG_HIGH_CV, ROW_FLAG_INCONSISTENT,
    ROW_FLAG_COUNT                /* how many there are */
};

/* set is what the code tests; order keeps the order they were raised in,
 * the order results.csv and summary.csv have always listed them in (a
 * point's flags are its rounds' in first-seen order), so that a run's
 * files read the same as before the enum. */
struct row_flags {
    uint32_t set;                            /* bit f: flag f raised */
    unsigned char order[ROW_FLAG_COUNT], n;  /* enum row_flag values */
};

/* What a row's column is to a point (stats.h): columns.def's "rounds". */
enum row_rounds { ROUNDS_KEY, ROUNDS_FIRST, ROUNDS_MEDIAN, ROUNDS_MERGE };

/* One row of results.csv: its fields are the columns of columns.def, in
 * the file's order (units and meanings there). */
struct row {
#define TEXT_COLUMN(name, size, rounds, text) char name[size];
#define WORD_COLUMN(name, type, words, rounds, text) enum type name;
#define NUM_COLUMN(name, decimals, rounds, unit, text) double name;
#define FLAGS_COLUMN(name, text) struct row_flags name;
#include "results/columns.def"
#undef TEXT_COLUMN
#undef WORD_COLUMN
#undef NUM_COLUMN
#undef FLAGS_COLUMN
};

/* The columns by position: ROW_COL_model, ... ROW_COLUMNS (their count). */
enum row_column {
#define TEXT_COLUMN(name, size, rounds, text) ROW_COL_##name,
#define WORD_COLUMN(name, type, words, rounds, text) ROW_COL_##name,
#define NUM_COLUMN(name, decimals, rounds, unit, text) ROW_COL_##name,
#define FLAGS_COLUMN(name, text) ROW_COL_##name,
#include "results/columns.def"
#undef TEXT_COLUMN
#undef WORD_COLUMN
#undef NUM_COLUMN
#undef FLAGS_COLUMN
    ROW_COLUMNS
};

/* A column as the writer, the reader and the statistics see it. */
enum col_type { COL_STR, COL_NUM, COL_ENUM, COL_FLAGS };
struct column {
    const char *name;
    enum col_type type;
    size_t offset, size;       /* size: strings only */
    int decimals;              /* numbers: in results.csv and summary.csv */
    const char *const *words;  /* COL_ENUM: the words of its values */
    int n_words;
    enum row_rounds rounds;
    const char *unit;          /* numbers: "µs", "req/s"...; "" none */
};
/* Column i (enum row_column) of results.csv. */
const struct column *csv_column(enum row_column i);
/* A number column's value in r (-1: not measured). */
double row_num(const struct row *r, enum row_column c);
/* Writes column c of r as results.csv does (a number with its decimals,
 * empty when not measured; a word; text quoted when it must be). */
int csv_write_field(FILE *f, const struct row *r, enum row_column c);


void row_init(struct row *r);              /* every number -1, load closed ok */
void row_flag(struct row *r, enum row_flag f);  /* raises f (once) */
bool row_has_flag(const struct row *r, enum row_flag f);
void row_note(struct row *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
double row_errors(const struct row *r);    /* sum of the error classes */
/* Open loop: the row sustained its offered load: status ok, achieved >=
 * ROW_ACHIEVED x offered, p99 within the SLO (no slo-missed flag), no
 * errors. */
#define ROW_ACHIEVED 0.99
bool row_sustained(const struct row *r);
/* Open loop, not sustained because loadgen itself was saturated: client-
 * bound with its CPUs at least ROW_BUSY_FRACTION busy. Such a step says
 * nothing about the server, only about the generator. */
#define ROW_BUSY_FRACTION 0.85
bool row_generator_limited(const struct row *r);
/* The machine disturbed the row: hypervisor steal or other processes over
 * 5% of the measured CPUs (the steal and noisy flags, measure_flags.c). */
bool row_disturbed(const struct row *r);

/* The words of results.csv: "load", "open", "cap50", "" for
 * ROW_STEP_NONE, "crashed", "client-bound". */
const char *row_kind_name(enum row_kind k);
const char *row_mode_name(enum row_mode m);
const char *row_step_name(enum row_step s);
const char *row_status_name(enum row_status s);
const char *row_flag_name(enum row_flag f);

/* One field, quoted if it holds a comma, quote or newline. */
int csv_write_str(FILE *f, const char *s);
int csv_write_header(FILE *f);
int csv_write_row(FILE *f, const struct row *r);
/* r's flags as results.csv writes them: "client-bound;noisy", in the order
 * raised, nothing for none. */
int csv_write_flags(FILE *f, const struct row *r);
/* Splits one CSV record (RFC 4180 quoting); returns the field count. */
int csv_split(char *line, char **fields, int max);
int csv_read(const char *path, struct row **rows, size_t *n, char *err,
             size_t errlen);
/* The column names, in order, NULL-terminated. */
const char *const *csv_columns(void);

#endif
