/* Running loadgen and reading its last line (see loadgen.h). */
#include "tools/loadgen.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "hist.h"

#ifndef C10K_BUILD_ROOT
#define C10K_BUILD_ROOT "build"
#endif
#define LOADGEN_LINE LG_RESULT_PREFIX

const char *loadgen_path(void)
{
    return C10K_BUILD_ROOT "/loadgen";
}

int loadgen_parse_line(const char *line, struct lg_result *r)
{
    return lg_result_parse(line, r);
}

int loadgen_parse_output(const char *out, struct lg_result *r)
{
    const char *p = out, *found = NULL;
    while ((p = strstr(p, LOADGEN_LINE))) {
        if (p == out || p[-1] == '\n')
            found = p;
        p += strlen(LOADGEN_LINE);
    }
    return found ? loadgen_parse_line(found, r) : -1;
}

int loadgen_parse_hist(const char *out, const char *name, struct hist *h)
{
    char prefix[HIST_NAME_MAX + 16], found[HIST_NAME_MAX];
    snprintf(prefix, sizeof prefix, "hist name=%s ", name);
    for (const char *p = out; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            return hist_parse(h, p, found, sizeof found);
    return -1;
}

void loadgen_fill_row(struct row *r, const struct lg_result *g)
{
    r->duration_s = g->duration_s;
    r->requests = (double)g->completed;
    r->offered_rps = g->offered_rps;
    r->achieved_rps = g->achieved_rps;
    r->req_per_s = g->achieved_rps;
    r->bytes_per_s = g->duration_s > 0 ? (double)g->bytes / g->duration_s : 0;
    r->lat_mean_us = g->mean_us;
    r->lat_p50_us = (double)g->p50_us;
    r->lat_p90_us = (double)g->p90_us;
    r->lat_p99_us = (double)g->p99_us;
    r->lat_p999_us = (double)g->p999_us;
    r->lat_p9999_us = (double)g->p9999_us;
    r->lat_max_us = (double)g->max_us;
    r->lat_p99_uncorrected_us = (double)g->p99_uncorrected_us;
    r->lag_p99_us = (double)g->lag_p99_us;
    if (g->class1_completed > 0) { /* a URL list with classes: mixed */
        r->cheap_p99_us = (double)g->class0_p99_us;
        r->expensive_p99_us = (double)g->class1_p99_us;
    }
    r->err_connect = (double)g->err_connect;
    r->err_read = (double)(g->err_read + g->err_parse);
    r->err_write = (double)g->err_write;
    r->err_status = (double)g->err_status;
    r->err_timeout = (double)g->err_timeout;
    r->backlog = (double)g->backlog;
    r->reconnects = (double)g->reconnects;
}

int loadgen_start(struct client_run *c, const struct loadgen_args *a, char *err,
                  size_t errlen)
{
    char rate[32], conns[16], threads[16], pipeline[16], duration[32], warmup[32],
        timeout[16], url[512];
    snprintf(rate, sizeof rate, "%.3f", a->rate);
    snprintf(conns, sizeof conns, "%d", a->conns);
    snprintf(threads, sizeof threads, "%d", a->threads > 0 ? a->threads : 1);
    snprintf(pipeline, sizeof pipeline, "%d", a->pipeline > 0 ? a->pipeline : 1);
    snprintf(duration, sizeof duration, "%.3f", a->duration_s);
    snprintf(warmup, sizeof warmup, "%.3f", a->warmup_s);
    snprintf(timeout, sizeof timeout, "%d", LOADGEN_TIMEOUT_MS);
    snprintf(url, sizeof url, "http://%s:%d%s", a->host ? a->host : "127.0.0.1",
             a->port, a->urls ? "/" : a->path);
    char *argv[24] = {(char *)loadgen_path()};
    int n = 1;
    if (a->urls) {
        argv[n++] = "--urls";
        argv[n++] = (char *)a->urls;
    }
    if (a->header) {
        argv[n++] = "--header";
        argv[n++] = (char *)a->header;
    }
    if (a->histograms)
        argv[n++] = "--histograms";
    if (a->closed)
        argv[n++] = "--closed";
    else {
        argv[n++] = "--rate";
        argv[n++] = rate;
    }
    char *rest[] = {"--conns", conns, "--threads", threads, "--pipeline", pipeline,
                    "--duration", duration, "--warmup", warmup, "--timeout", timeout,
                    url, NULL};
    memcpy(argv + n, rest, sizeof rest);
    c->name = "loadgen";
    return client_start(c, argv, a->cpus, a->warmup_s + a->duration_s + LOADGEN_GRACE_S,
                        err, errlen);
}

int loadgen_finish(struct client_run *c, struct lg_result *r, char *err,
                   size_t errlen)
{
    if (client_finish(c, err, errlen))
        return -1;
    if (loadgen_parse_output(c->out, r)) {
        client_describe_failure(c, err, errlen);
        return -1;
    }
    return 0;
}
