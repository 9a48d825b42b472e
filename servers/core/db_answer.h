/* The database endpoints, as TechEmpower's benchmarks specify them
 * (https://github.com/TechEmpower/FrameworkBenchmarks/wiki/Project-Information-Framework-Tests-Overview):
 *
 *   /db            one random World row: {"id":3217,"randomNumber":2149}
 *   /queries?q=N   N rows, each by its own query, as a JSON array; N is
 *                  clamped to 1..500, and a q that is missing, not an
 *                  integer or below 1 counts as 1
 *
 * db_route() tells such a target from a file's; db_answer_head() writes the
 * head of the answer (Content-Type: application/json). */
#ifndef DB_ANSWER_H
#define DB_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

struct db_req;

/* True for /db and /queries (the path exactly, any query): *n queries and
 * whether the answer is an array. */
bool db_route(const char *target, size_t len, int *n, bool *array);

/* The q of a query string, clamped as above. */
int db_queries_param(const char *q, size_t len);

/* The 200 head for r's JSON; 0 if it does not fit in cap. */
size_t db_answer_head(char *out, size_t cap, const struct db_req *r, bool keep_alive);

#endif
