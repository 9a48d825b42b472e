/* Running wrk and reading its report line (see wrk.h). */
#include "tools/wrk.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

#ifndef C10K_SOURCE_ROOT
#define C10K_SOURCE_ROOT "."
#endif
#define WRK_SCRIPT C10K_SOURCE_ROOT "/bench/report.lua"
#define WRK_URLS_SCRIPT C10K_SOURCE_ROOT "/bench/urls.lua"
#define WRK_LINE "c10k-wrk:"

int wrk_threads(int conns, int max_threads)
{
    int t = max_threads < conns ? max_threads : conns;
    while (t > 1 && conns % t != 0)
        t--;
    return t < 1 ? 1 : t;
}

int wrk_parse_line(const char *line, struct wrk_result *r)
{
    uint64_t duration_us;
    memset(r, 0, sizeof *r);
    if (strncmp(line, WRK_LINE, strlen(WRK_LINE)) != 0)
        return -1;
    const struct { const char *key; uint64_t *v; } u[] = {
        {"duration_us", &duration_us}, {"requests", &r->requests},
        {"bytes", &r->bytes}, {"connect", &r->err_connect},
        {"read", &r->err_read}, {"write", &r->err_write},
        {"status", &r->err_status}, {"timeout", &r->err_timeout},
        {"p50_us", &r->p50_us}, {"p90_us", &r->p90_us}, {"p99_us", &r->p99_us},
        {"p999_us", &r->p999_us}, {"max_us", &r->max_us},
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (util_kv_u64(line, u[i].key, u[i].v))
            return -1;
    if (util_kv_double(line, "mean_us", &r->mean_us) ||
        util_kv_double(line, "stdev_us", &r->stdev_us))
        return -1;
    r->duration_s = (double)duration_us / 1e6;
    return 0;
}

int wrk_parse_output(const char *out, struct wrk_result *r)
{
    const char *p = out, *found = NULL;
    while ((p = strstr(p, WRK_LINE))) {
        if (p == out || p[-1] == '\n')
            found = p;
        p += strlen(WRK_LINE);
    }
    return found ? wrk_parse_line(found, r) : -1;
}

int wrk_start(struct client_run *w, const struct wrk_args *a, char *err, size_t errlen)
{
    char threads[16], conns[16], duration[16], timeout[16], pipeline[16], url[512];
    snprintf(threads, sizeof threads, "%d", a->threads);
    snprintf(conns, sizeof conns, "%d", a->conns);
    snprintf(duration, sizeof duration, "%ds", a->duration_s);
    snprintf(timeout, sizeof timeout, "%ds", WRK_TIMEOUT_S);
    snprintf(pipeline, sizeof pipeline, "%d", a->pipeline);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", a->port, a->urls ? "/" : a->path);
    char *argv[] = {"wrk", "--latency", "-t", threads, "-c", conns, "-d", duration,
                    "--timeout", timeout, "-s", a->urls ? WRK_URLS_SCRIPT : WRK_SCRIPT,
                    url, "--", pipeline, (char *)a->urls, threads, NULL};
    char *with_header[] = {"wrk", "-H", (char *)a->header, "--latency", "-t", threads,
                           "-c", conns, "-d", duration, "--timeout", timeout, "-s",
                           a->urls ? WRK_URLS_SCRIPT : WRK_SCRIPT, url, "--", pipeline,
                           (char *)a->urls, threads, NULL};
    w->name = "wrk";
    return client_start(w, a->header ? with_header : argv, a->cpus,
                        a->duration_s + WRK_GRACE_S, err, errlen);
}

int wrk_finish(struct client_run *w, struct wrk_result *r, char *err, size_t errlen)
{
    if (client_finish(w, err, errlen))
        return -1;
    if (wrk_parse_output(w->out, r)) {
        client_describe_failure(w, err, errlen);
        return -1;
    }
    r->cpu_s = client_cpu_s(w);
    return 0;
}
