/* Helpers shared by the harness stages (see util.h). */
#include "base/util.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double util_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void util_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    /* An interrupting signal ends the sleep early: callers re-check their
     * deadline and the interrupt flag, which is what we want. */
    nanosleep(&ts, NULL);
}

int util_read_file(const char *path, char **buf, size_t *len, char *err,
                   size_t errlen)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    if (!f || !b) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        free(b);
        return -1;
    }
    for (;;) {
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) {
                snprintf(err, errlen, "read %s: out of memory", path);
                free(b);
                fclose(f);
                return -1;
            }
            b = nb;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "read %s: I/O error", path);
        free(b);
        return -1;
    }
    b[n] = '\0';
    *buf = b;
    if (len)
        *len = n;
    return 0;
}

int util_write_file(const char *path, const char *text, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int util_mkdir_p(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "mkdir %s: path too long", path);
        return -1;
    }
    for (char *p = tmp + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) && errno != EEXIST) {
            snprintf(err, errlen, "mkdir %s: %s", tmp, strerror(errno));
            return -1;
        }
        *p = c;
        if (c == '\0')
            return 0;
    }
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) && errno != ENOENT ? -1 : 0;
}

int util_remove_tree(const char *path)
{
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool util_is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int util_find_program(const char *name, char *out, size_t outlen)
{
    /* The Debian packages put nginx and lighttpd in /usr/sbin, which is not
     * in every user's PATH. */
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/local/sbin:/usr/sbin:/sbin",
             path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, outlen, "%s/%s", d, name);
        if (util_is_executable(out))
            return 0;
    }
    out[0] = '\0';
    return -1;
}

int util_cpuset_parse(const char *s, cpu_set_t *set)
{
    CPU_ZERO(set);
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b = a;
        if (end == s || a < 0 || a >= UTIL_MAX_CPUS)
            return -1;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s || b < a || b >= UTIL_MAX_CPUS)
                return -1;
        }
        for (long c = a; c <= b; c++)
            CPU_SET((int)c, set);
        if (*end != ',' && *end != '\0')
            return -1;
        s = *end ? end + 1 : end;
    }
    return CPU_COUNT(set) > 0 ? 0 : -1;
}

void util_cpuset_format(const cpu_set_t *set, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (int c = 0; c < UTIL_MAX_CPUS; c++) {
        if (!CPU_ISSET(c, set) || (c > 0 && CPU_ISSET(c - 1, set)))
            continue;
        int e = c;
        while (e + 1 < UTIL_MAX_CPUS && CPU_ISSET(e + 1, set))
            e++;
        int w = e > c ? snprintf(out + n, outlen - n, "%s%d-%d", n ? "," : "", c, e)
                      : snprintf(out + n, outlen - n, "%s%d", n ? "," : "", c);
        if (w < 0 || (size_t)w >= outlen - n)
            return;
        n += (size_t)w;
    }
}

static const char *kv_find(const char *line, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p += klen) {
        if ((p == line || p[-1] == ' ' || p[-1] == ':') && p[klen] == '=')
            return p + klen + 1;
    }
    return NULL;
}

int util_kv_u64(const char *line, const char *key, uint64_t *out)
{
    const char *v = kv_find(line, key);
    char *end;
    if (!v || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || (*end != ' ' && *end != '\0' && *end != '\n'))
        return -1;
    *out = x;
    return 0;
}

int util_kv_double(const char *line, const char *key, double *out)
{
    const char *v = kv_find(line, key);
    char *end;
    if (!v)
        return -1;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || (*end != ' ' && *end != '\0' && *end != '\n'))
        return -1;
    *out = x;
    return 0;
}

void util_format_duration(double s, char *out, size_t outlen)
{
    long t = (long)(s + 0.5);
    if (t >= 60)
        snprintf(out, outlen, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(out, outlen, "%lds", t);
}

void util_format_rate(double v, char *out, size_t outlen)
{
    if (v >= 1e6)
        snprintf(out, outlen, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, outlen, "%.1fk", v / 1e3);
    else
        snprintf(out, outlen, "%.0f", v);
}

int util_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
