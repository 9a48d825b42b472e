/* loadgen's result line as a struct (lg_result.def lists its keys): printed
 * by loadgen, read back by the harness, with the one table.
 *
 *   struct lg_result r = {...};
 *   lg_result_print(stdout, &r);          // "mode=open offered_rps=..."
 *   if (lg_result_parse(line, &r) == 0) ...
 */
#ifndef LG_RESULT_H
#define LG_RESULT_H

#include <stdint.h>
#include <stdio.h>

#define LG_RESULT_PREFIX "mode="   /* how the line begins */

struct lg_result {
#define LG_KEY_WORD(key) char key[16];
#define LG_KEY_COUNT(key) uint64_t key;
#define LG_KEY_REAL(key) double key;
#define LG_KEY(key, type, decimals, meaning) LG_KEY_##type(key)
#include "lg_result.def"
#undef LG_KEY
#undef LG_KEY_WORD
#undef LG_KEY_COUNT
#undef LG_KEY_REAL
};

/* The line, newline included; -1 when it could not be written. */
int lg_result_print(FILE *f, const struct lg_result *r);
/* A line that begins with LG_RESULT_PREFIX into r: 0, or -1 when it does
 * not, or a key is missing or not a number. */
int lg_result_parse(const char *line, struct lg_result *r);

#endif
