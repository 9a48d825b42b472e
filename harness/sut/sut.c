/* Start, watch and stop the server under test (see sut.h). */
#include "sut/sut.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sut/refs.h"
#include "base/spawn.h"
#include "base/util.h"

#define SUT_POLL_MS 20
#define SUT_PORT_TRIES 3  /* references: another process took our port */

int sut_parse_counters(const char *line, struct sut_counters *c)
{
    static const char *status_keys[6] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
    memset(c, 0, sizeof *c);
    if (strncmp(line, "counters:", 9) != 0 ||
        util_kv_u64(line, "accepted", &c->accepted) ||
        util_kv_u64(line, "requests", &c->requests) ||
        util_kv_u64(line, "bytes", &c->bytes))
        return -1;
    for (int i = 1; i < 6; i++)
        util_kv_u64(line, status_keys[i], &c->status[i]);
    util_kv_u64(line, "refused", &c->refused);
    return 0;
}

/* Next complete line of the server's stdout, waiting up to timeout_ms.
 * Returns 1 with a line, 0 on timeout, -1 when the pipe closed. */
static int next_line(struct sut *s, char *line, size_t linelen, int timeout_ms)
{
    double deadline = util_now() + timeout_ms / 1000.0;
    for (;;) {
        char *nl = memchr(s->buf, '\n', s->buf_len);
        if (nl) {
            size_t n = (size_t)(nl - s->buf);
            snprintf(line, linelen, "%.*s", (int)n, s->buf);
            memmove(s->buf, nl + 1, s->buf_len - n - 1);
            s->buf_len -= n + 1;
            return 1;
        }
        if (s->buf_len == sizeof s->buf)
            s->buf_len = 0; /* a line this long is not ours: drop it */
        int left = (int)((deadline - util_now()) * 1000);
        struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
        if (left <= 0 || spawn_interrupted)
            return 0;
        int r = poll(&p, 1, left < SUT_POLL_MS ? left : SUT_POLL_MS);
        if (r <= 0)
            continue;
        ssize_t got = read(s->out_fd, s->buf + s->buf_len, sizeof s->buf - s->buf_len);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
            return -1;
        if (got > 0)
            s->buf_len += (size_t)got;
    }
}

/* Waits for a line starting with prefix while the server lives. */
static int wait_line(struct sut *s, const char *prefix, char *line,
                     size_t linelen, int timeout_ms)
{
    double deadline = util_now() + timeout_ms / 1000.0;
    while (util_now() < deadline && !spawn_interrupted) {
        int r = next_line(s, line, linelen, SUT_POLL_MS * 5);
        if (r == 1 && strncmp(line, prefix, strlen(prefix)) == 0)
            return 0;
        if (r == 1)
            snprintf(s->last_line, sizeof s->last_line, "%s", line);
        if (r < 0 || (r == 0 && !sut_alive(s)))
            return -1;
    }
    return -1;
}

void sut_drain(struct sut *s)
{
    char line[1024];
    while (s->out_fd >= 0 && next_line(s, line, sizeof line, 0) == 1)
        ;
}

bool sut_alive(struct sut *s)
{
    int st;
    if (s->pid <= 0)
        return false;
    if (spawn_wait(s->pid, 0, &st, NULL) != 1)
        return true;
    spawn_describe(st, s->what, sizeof s->what);
    long oom = cgroup_oom_kills(&s->cg);
    if (oom > 0) /* SIGKILL from the memory limit, not a crash of its own */
        snprintf(s->what + strlen(s->what), sizeof s->what - strlen(s->what),
                 " (%ld processes killed at the memory limit)", oom);
    kill(-s->pid, SIGKILL); /* orphaned workers of a dead parent */
    s->pid = 0;
    return false;
}

int sut_counters(struct sut *s, struct sut_counters *c)
{
    char line[1024];
    if (model_is_reference(s->model) && s->model->kind != MODEL_CALIBRATION)
        return -1;
    if (s->pid <= 0 || kill(s->pid, SIGUSR1))
        return -1;
    if (wait_line(s, "counters:", line, sizeof line, SUT_COUNTERS_TIMEOUT_MS))
        return -1;
    return sut_parse_counters(line, c);
}

/* The last line of the server's log mentioning word (or its last line). */
static void log_tail(const struct sut *s, const char *word, char *out,
                     size_t outlen)
{
    char *text, err[256];
    out[0] = '\0';
    if (util_read_file(s->log_path, &text, NULL, err, sizeof err))
        return;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (!word || strstr(line, word) || !out[0])
            snprintf(out, outlen, "%s", line);
    free(text);
}

static int spawn(struct sut *s, char *const *argv, char *why, size_t whylen)
{
    int p[2];
    int log = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) {
        snprintf(why, whylen, "open %s: %s", s->log_path, strerror(errno));
        return -1;
    }
    /* References say nothing we read on stdout, and lighttpd -D exits 1
     * at SIGTERM after serving if its stdout is not /dev/null. */
    bool reference = s->model->kind == MODEL_REFERENCE;
    if (reference) {
        p[0] = p[1] = -1;
    } else if (pipe2(p, O_CLOEXEC)) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        close(log);
        return -1;
    }
    struct spawn_spec sp = {.argv = argv, .cpus = s->env->cpus,
                           .cgroup = s->cg.ok || s->cg.mem_ok ? &s->cg : NULL,
                           .stdout_fd = p[1], .stderr_fd = log};
    s->pid = spawn_child(&sp, why, whylen);
    if (!reference)
        close(p[1]);
    close(log);
    s->out_fd = p[0];
    s->buf_len = 0;
    if (p[0] >= 0 && fcntl(p[0], F_SETFL, O_NONBLOCK) && s->pid > 0)
        snprintf(why, whylen, "fcntl: %s", strerror(errno));
    return s->pid > 0 ? 0 : -1;
}

/* What a server that ended before it was ready tells us. */
static int ended_early(struct sut *s, char *why, size_t whylen)
{
    char tail[512];
    int skipped = strcmp(s->what, "exit status 69") == 0;
    log_tail(s, skipped ? "unavailable" : NULL, tail, sizeof tail);
    if (s->last_line[0] && (!tail[0] || (skipped && strstr(s->last_line, "unavailable"))))
        snprintf(tail, sizeof tail, "%s", s->last_line); /* said on stdout */
    if (skipped) {
        snprintf(why, whylen, "%s", tail[0] ? tail : "unavailable here (exit 69)");
        return SUT_SKIPPED;
    }
    snprintf(why, whylen, "%s before it was ready%s%s", s->what,
             tail[0] ? ": " : "", tail);
    return SUT_FAILED;
}

static int start_model(struct sut *s, const char *bin, char *why, size_t whylen)
{
    char size[32], workers[32], idle[32], cache[32], level[16], line[1024];
    char *argv[32] = {(char *)bin, "--port", "0", "--bind", (char *)s->addr};
    int n = 5;
    snprintf(idle, sizeof idle, "%d", SUT_IDLE_TIMEOUT_MS);
    if (s->model->kind == MODEL_CALIBRATION) {
        snprintf(size, sizeof size, "%ld", s->env->body_size);
        argv[n++] = s->env->calibration_json ? "--json" : "--size";
        argv[n++] = s->env->calibration_json ? (char *)s->env->calibration_json : size;
    } else {
        argv[n++] = "--docroot";
        argv[n++] = (char *)s->env->docroot;
        argv[n++] = "--idle-timeout";
        argv[n++] = idle;
        if (s->env->cache_mb > 0) {
            snprintf(cache, sizeof cache, "%d", s->env->cache_mb);
            argv[n++] = "--cache-mb";
            argv[n++] = cache;
        }
        for (int i = 0; s->env->model_args && s->env->model_args[i] && n < 28; i++)
            argv[n++] = (char *)s->env->model_args[i];
    }
    if (s->env->gzip_level > 0) { /* the calibration server: its stored gzip body */
        snprintf(level, sizeof level, "%d", s->env->gzip_level);
        argv[n++] = "--gzip-level";
        argv[n++] = level;
    }
    if (strcmp(s->model->category, "hybrid") == 0) {
        snprintf(workers, sizeof workers, "%d", s->env->workers);
        argv[n++] = "--workers";
        argv[n++] = workers;
    }
    argv[n] = NULL;
    if (spawn(s, argv, why, whylen))
        return SUT_FAILED;
    if (wait_line(s, "listening on ", line, sizeof line, SUT_START_TIMEOUT_MS) == 0) {
        char *colon = strrchr(line, ':');
        s->port = colon ? atoi(colon + 1) : 0;
        if (s->port > 0)
            return SUT_OK;
        snprintf(why, whylen, "cannot read the port in \"%s\"", line);
    } else if (!sut_alive(s)) {
        return ended_early(s, why, whylen);
    } else {
        snprintf(why, whylen, "no \"listening on\" line within %d ms",
                 SUT_START_TIMEOUT_MS);
    }
    char note[256];
    sut_stop(s, note, sizeof note);
    return SUT_FAILED;
}

static bool port_accepts(const char *addr, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = inet_pton(AF_INET, addr, &sa.sin_addr) == 1
                 ? socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int start_reference(struct sut *s, const char *bin, char *why, size_t whylen)
{
    char dir[PATH_MAX];
    struct refs_cmd cmd;
    snprintf(dir, sizeof dir, "%s/refs/%s", s->env->run_dir, s->model->name);
    for (int attempt = 0; attempt < SUT_PORT_TRIES; attempt++) {
        s->port = refs_free_port(s->addr, why, whylen);
        if (s->port < 0 || refs_prepare(s->model, bin, dir, s->env->docroot, s->addr,
                                        s->port, s->env->gzip_level, &cmd, why, whylen) ||
            spawn(s, cmd.argv, why, whylen))
            return SUT_FAILED;
        double deadline = util_now() + SUT_START_TIMEOUT_MS / 1000.0;
        while (sut_alive(s) && !port_accepts(s->addr, s->port) && util_now() < deadline)
            util_sleep_ms(SUT_POLL_MS);
        util_sleep_ms(SUT_POLL_MS); /* a bind failure ends it right away */
        if (sut_alive(s) && port_accepts(s->addr, s->port))
            return SUT_OK;
        if (sut_alive(s)) {
            char note[256];
            sut_stop(s, note, sizeof note);
            snprintf(why, whylen, "port %d not accepting within %d ms", s->port,
                     SUT_START_TIMEOUT_MS);
            return SUT_FAILED;
        }
        ended_early(s, why, whylen); /* maybe the port was taken: retry */
    }
    return SUT_FAILED;
}

int sut_start(struct sut *s, const struct model *m,
                 const struct sut_env *env, char *why, size_t whylen)
{
    char bin[PATH_MAX], logs[PATH_MAX];
    int starts = s->model == m ? s->starts : 0;
    memset(s, 0, sizeof *s);
    s->model = m;
    s->env = env;
    s->addr = env->addr ? env->addr : "127.0.0.1";
    s->out_fd = -1;
    s->starts = starts + 1;
    if (!model_available(m, why, whylen) || model_binary(m, bin, sizeof bin))
        return SUT_SKIPPED;
    char name[128], ignored[256];
    snprintf(name, sizeof name, "c10k-%d-%s-%d", (int)getpid(), m->name, s->starts);
    cgroup_create(&s->cg, name, ignored, sizeof ignored); /* else /proc */
    if (env->memory_limit &&
        cgroup_limit_memory(&s->cg, name, env->memory_limit, why, whylen)) {
        cgroup_remove(&s->cg);
        return SUT_SKIPPED; /* a limit that does not hold measures nothing */
    }
    snprintf(logs, sizeof logs, "%s/logs", env->run_dir);
    if (util_mkdir_p(logs, why, whylen))
        return SUT_FAILED;
    if (snprintf(s->log_path, sizeof s->log_path, "%s/%s.log", logs, m->name) >=
        (int)sizeof s->log_path) {
        snprintf(why, whylen, "%s: path too long", logs);
        return SUT_FAILED;
    }
    return m->kind == MODEL_REFERENCE ? start_reference(s, bin, why, whylen)
                                      : start_model(s, bin, why, whylen);
}

void sut_stop(struct sut *s, char *note, size_t notelen)
{
    int st = 0;
    note[0] = '\0';
    if (s->pid > 0) {
        /* After a Ctrl-C the user waits: a second of grace, not five. */
        spawn_stop(s->pid, spawn_interrupted ? 1000 : SPAWN_GRACE_MS, &st, note, notelen);
        if (!note[0] && !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
            !(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)) {
            spawn_describe(st, s->what, sizeof s->what);
            snprintf(note, notelen, "on SIGTERM: %s", s->what);
        }
        s->pid = 0;
    }
    if (s->out_fd >= 0)
        close(s->out_fd);
    s->out_fd = -1;
    cgroup_remove(&s->cg);
}
