/* results.csv: one row per model, connection count, idle count and round.
 *
 *   FILE *f = fopen("results.csv", "w");
 *   csv_write_header(f);
 *   struct row r; row_init(&r); ...fill...; csv_write_row(f, &r);
 *   struct row *rows; size_t n; csv_read("results.csv", &rows, &n, err, len);
 *
 * Numbers never measured (no counters from a reference, nothing for a
 * skipped model) are written as empty fields and read back as -1. The
 * columns are listed, with units, in csv.c beside the writer. */
#ifndef HARNESS_CSV_H
#define HARNESS_CSV_H

#include <stddef.h>
#include <stdio.h>

#define ROW_FLAGS_LEN 256
#define ROW_NOTE_LEN 512

struct row {
    char model[32], category[16], kind[8]; /* kind: load | memory */
    double round, conns, idle, idle_open, threads, pipeline, duration_s;
    double requests, req_per_s, bytes_per_s;
    double lat_mean_us, lat_stdev_us, lat_p50_us, lat_p90_us, lat_p99_us,
        lat_p999_us, lat_max_us;
    double err_connect, err_read, err_write, err_status, err_timeout;
    double srv_user_s, srv_sys_s, srv_cpu_pct, cli_cpu_pct, req_per_cpu_s;
    double peak_rss_kb, tasks, srv_responses, srv_refused, mem_per_idle_b;
    double steal_pct, other_pct;
    char flags[ROW_FLAGS_LEN];             /* ';'-separated, see csv.c */
    char status[12];                       /* ok | failed | crashed | skipped */
    char note[ROW_NOTE_LEN];
};

void row_init(struct row *r);              /* every number -1 */
void row_flag(struct row *r, const char *flag);
void row_note(struct row *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int row_has_flag(const struct row *r, const char *flag);
double row_errors(const struct row *r);    /* sum of wrk's error classes */

/* One field, quoted if it holds a comma, quote or newline. */
int csv_write_str(FILE *f, const char *s);
int csv_write_header(FILE *f);
int csv_write_row(FILE *f, const struct row *r);
/* Splits one CSV record (RFC 4180 quoting); returns the field count. */
int csv_split(char *line, char **fields, int max);
int csv_read(const char *path, struct row **rows, size_t *n, char *err,
             size_t errlen);
/* The column names, in order, NULL-terminated. */
const char *const *csv_columns(void);

#endif
