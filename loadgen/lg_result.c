/* loadgen's result line, printed and read with lg_result.def's table (see
 * lg_result.h). */
#include "lg_result.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum lg_type { LG_WORD, LG_COUNT, LG_REAL };

static const struct lg_key {
    const char *key;
    enum lg_type type;
    int decimals;
    size_t offset, size;
} keys[] = {
#define LG_KEY(k, type, d, meaning) \
    {#k, LG_##type, d, offsetof(struct lg_result, k), sizeof(((struct lg_result *)0)->k)},
#include "lg_result.def"
#undef LG_KEY
};
#define N_KEYS (sizeof keys / sizeof keys[0])

int lg_result_print(FILE *f, const struct lg_result *r)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *p = (const char *)r + keys[i].offset;
        int n;
        fprintf(f, "%s%s=", i ? " " : "", keys[i].key);
        if (keys[i].type == LG_WORD)
            n = fprintf(f, "%s", p);
        else if (keys[i].type == LG_COUNT)
            n = fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)p);
        else
            n = fprintf(f, "%.*f", keys[i].decimals, *(const double *)p);
        if (n < 0)
            return -1;
    }
    return fputc('\n', f) == EOF ? -1 : 0;
}

/* The value of " key=" in line (or at its start), up to a blank; NULL. */
static const char *value_of(const char *line, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p += n)
        if ((p == line || p[-1] == ' ') && p[n] == '=')
            return p + n + 1;
    return NULL;
}

int lg_result_parse(const char *line, struct lg_result *r)
{
    memset(r, 0, sizeof *r);
    if (strncmp(line, LG_RESULT_PREFIX, strlen(LG_RESULT_PREFIX)) != 0)
        return -1;
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *v = value_of(line, keys[i].key);
        char *p = (char *)r + keys[i].offset, *end;
        if (!v)
            return -1;
        errno = 0;
        if (keys[i].type == LG_WORD) {
            size_t len = strcspn(v, " \n");
            if (len == 0 || len >= keys[i].size)
                return -1;
            memcpy(p, v, len);
            continue;
        }
        if (keys[i].type == LG_COUNT && (*v < '0' || *v > '9'))
            return -1; /* strtoull would take "-1" */
        if (keys[i].type == LG_COUNT)
            *(uint64_t *)p = strtoull(v, &end, 10);
        else
            *(double *)p = strtod(v, &end);
        if (end == v || errno || (*end && *end != ' ' && *end != '\n'))
            return -1;
    }
    return 0;
}
