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

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ROW_FLAGS_LEN 256
#define ROW_NOTE_LEN 512
#define ROW_HOST_LEN 128

struct row {
    char model[32], category[16], kind[8]; /* kind: load | memory | msr */
    char mode[8];                          /* closed (wrk) | open (loadgen) */
    char step[8];                          /* open loop: rate | equal | search |
                                              cap50 | cap80 | slow (see csv.c) */
    char workload[16];                     /* file | fileset | fileset-cold |
                                              slow-clients (workload.h) */
    char host[ROW_HOST_LEN];               /* "" load from this machine; with
                                              load hosts "all" (merged) or
                                              the ssh destination (one host) */
    double round, conns, idle, idle_open, threads, pipeline, duration_s;
    double requests, warmup_requests, req_per_s, offered_rps, achieved_rps, bytes_per_s;
    double lat_mean_us, lat_stdev_us, lat_p50_us, lat_p90_us, lat_p99_us,
        lat_p999_us, lat_p9999_us, lat_max_us, lat_p99_uncorrected_us, lag_p99_us;
    double err_connect, err_read, err_write, err_status, err_timeout, backlog,
        reconnects;
    double srv_user_s, srv_sys_s, srv_cpu_pct, cli_cpu_pct, req_per_cpu_s,
        srv_cpu_us_per_req, cli_cpu_us_per_req;
    double peak_rss_kb, tasks, srv_responses, srv_refused, mem_per_idle_b;
    double steal_pct, other_pct;
    double disk_read_bytes, disk_read_ops; /* the docroot's device (diskio.h) */
    char flags[ROW_FLAGS_LEN];             /* ';'-separated, see csv.c */
    char status[12];                       /* ok | failed | crashed | skipped */
    char note[ROW_NOTE_LEN];
};

void row_init(struct row *r);              /* every number -1 */
void row_flag(struct row *r, const char *flag);
void row_note(struct row *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int row_has_flag(const struct row *r, const char *flag);
double row_errors(const struct row *r);    /* sum of the error classes */
/* Open loop: the row sustained its offered load: status ok, achieved >=
 * ROW_ACHIEVED x offered, p99 within the SLO (no slo-missed flag), no
 * errors. */
#define ROW_ACHIEVED 0.99
bool row_sustained(const struct row *r);

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
