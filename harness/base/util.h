/* Small helpers shared by the harness stages: clocks, files, CPU sets and
 * the "key=value" lines of the counters and wrk reporters.
 *
 *   double t0 = util_now();
 *   if (util_read_file(path, &buf, &len, err, sizeof err)) { ...err... }
 *   uint64_t v; if (util_kv_u64(line, "requests", &v) == 0) ...
 */
#ifndef HARNESS_UTIL_H
#define HARNESS_UTIL_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTIL_MAX_CPUS 1024

double util_now(void);                 /* monotonic seconds */
void util_sleep_ms(int ms);
int util_read_file(const char *path, char **buf, size_t *len, char *err,
                   size_t errlen);     /* NUL-terminated, caller frees */
int util_write_file(const char *path, const char *text, char *err,
                    size_t errlen);
int util_mkdir_p(const char *path, char *err, size_t errlen);
/* Removes a directory tree (scratch directories of list and verify). */
int util_remove_tree(const char *path);
bool util_is_executable(const char *path);
int util_find_program(const char *name, char *out, size_t outlen);

/* "0-3,6" <-> cpu_set_t; util_cpuset_format writes "" for an empty set. */
int util_cpuset_parse(const char *s, cpu_set_t *set);
void util_cpuset_format(const cpu_set_t *set, char *out, size_t outlen);

/* Finds " key=" (or key= at the start) in a line and parses its value. */
int util_kv_u64(const char *line, const char *key, uint64_t *out);
int util_kv_double(const char *line, const char *key, double *out);

void util_format_duration(double s, char *out, size_t outlen); /* 1m05s */
void util_format_rate(double v, char *out, size_t outlen);     /* 12.3k */
/* qsort's comparison of two ints, ascending. */
int util_cmp_int(const void *a, const void *b);

#endif
