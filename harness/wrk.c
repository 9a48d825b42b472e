/* Running wrk and reading its report line (see wrk.h). */
#include "wrk.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

#ifndef C10K_SOURCE_ROOT
#define C10K_SOURCE_ROOT "."
#endif
#define WRK_SCRIPT C10K_SOURCE_ROOT "/bench/report.lua"
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

int wrk_start(struct wrk_run *w, const struct wrk_args *a, char *err, size_t errlen)
{
    char threads[16], conns[16], duration[16], timeout[16], pipeline[16], url[512];
    int p[2];
    memset(w, 0, sizeof *w);
    snprintf(threads, sizeof threads, "%d", a->threads);
    snprintf(conns, sizeof conns, "%d", a->conns);
    snprintf(duration, sizeof duration, "%ds", a->duration_s);
    snprintf(timeout, sizeof timeout, "%ds", WRK_TIMEOUT_S);
    snprintf(pipeline, sizeof pipeline, "%d", a->pipeline);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", a->port, a->path);
    char *argv[] = {"wrk", "--latency", "-t", threads, "-c", conns, "-d", duration,
                    "--timeout", timeout, "-s", WRK_SCRIPT, url, "--", pipeline, NULL};
    if (pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    struct proc_spec sp = {.argv = argv, .cpus = a->cpus, .stdout_fd = p[1],
                           .stderr_fd = p[1]};
    w->pid = proc_spawn(&sp, err, errlen);
    close(p[1]);
    w->out_fd = p[0];
    w->deadline = util_now() + a->duration_s + WRK_GRACE_S;
    if (w->pid < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK)) {
        if (w->pid >= 0)
            snprintf(err, errlen, "fcntl: %s", strerror(errno));
        wrk_abort(w);
        close(p[0]);
        w->out_fd = -1;
        return -1;
    }
    return 0;
}

static void read_output(struct wrk_run *w)
{
    for (;;) {
        char scratch[4096];
        size_t room = sizeof w->out - 1 - w->out_len;
        /* Keep the tail: the report line comes last. */
        char *dst = room ? w->out + w->out_len : scratch;
        ssize_t n = read(w->out_fd, dst, room ? room : sizeof scratch);
        if (n <= 0)
            return;
        if (room)
            w->out_len += (size_t)n;
        w->out[w->out_len] = '\0';
    }
}

int wrk_poll(struct wrk_run *w, int timeout_ms)
{
    struct pollfd p = {.fd = w->out_fd, .events = POLLIN};
    if (w->pid <= 0)
        return 1;
    if (poll(&p, 1, timeout_ms) > 0)
        read_output(w);
    pid_t r = wait4(w->pid, &w->status, WNOHANG, &w->usage);
    if (r == w->pid) {
        proc_forget(w->pid);
        w->pid = 0;
        read_output(w);
        return 1;
    }
    if (util_now() > w->deadline || proc_interrupted) {
        w->killed = !proc_interrupted;
        wrk_abort(w);
        return 1;
    }
    return 0;
}

int wrk_finish(struct wrk_run *w, struct wrk_result *r, char *err, size_t errlen)
{
    while (wrk_poll(w, 100) == 0)
        ;
    if (w->out_fd >= 0)
        close(w->out_fd);
    w->out_fd = -1;
    if (w->killed) {
        snprintf(err, errlen, "wrk still running %d s after its duration: killed",
                 WRK_GRACE_S);
        return -1;
    }
    if (wrk_parse_output(w->out, r)) {
        char st[128];
        proc_describe(w->status, st, sizeof st);
        size_t end = w->out_len;
        while (end > 0 && (w->out[end - 1] == '\n' || w->out[end - 1] == '\r'))
            end--;
        w->out[end] = '\0';           /* its last line says why */
        const char *nl = strrchr(w->out, '\n');
        snprintf(err, errlen, "wrk gave no report line (%s): %.200s", st,
                 nl ? nl + 1 : w->out);
        return -1;
    }
    r->cpu_s = (double)w->usage.ru_utime.tv_sec + w->usage.ru_utime.tv_usec / 1e6 +
               (double)w->usage.ru_stime.tv_sec + w->usage.ru_stime.tv_usec / 1e6;
    return 0;
}

void wrk_abort(struct wrk_run *w)
{
    if (w->pid > 0) {
        kill(-w->pid, SIGKILL);
        proc_wait(w->pid, 2000, &w->status, &w->usage);
        w->pid = 0;
    }
}
