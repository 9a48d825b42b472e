/* Load hosts over OpenSSH (see remote.h): each step is one ssh or scp run
 * (ssh.c) with a remote POSIX shell command written here. */
#include "hosts/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/spawn.h"
#include "hosts/ssh.h"
#include "base/util.h"

#define REMOTE_CMD_MAX 16384          /* a remote command line, quoted */
#define REMOTE_CLOCK_RES_NS 1000      /* $EPOCHREALTIME counts microseconds */
#define REMOTE_CLEANUP_TIMEOUT_MS 20000 /* connect + 2 s grace + rm */

void remote_init(struct remote_host *h, const char *dest, const char *ssh_config)
{
    memset(h, 0, sizeof *h);
    snprintf(h->dest, sizeof h->dest, "%s", dest);
    snprintf(h->ssh_config, sizeof h->ssh_config, "%s", ssh_config ? ssh_config : "");
    h->stderr_fd = -1;
}

/* Runs a shell command there to completion; r holds what it printed. */
static int remote_sh(const struct remote_host *h, const char *what,
                     const char *command, struct ssh_out *r, char *err,
                     size_t errlen)
{
    struct ssh_cmd c;
    ssh_cmd_remote(&c, h->ssh_config, h->dest, command);
    return ssh_run(h->dest, what, c.argv, REMOTE_CMD_TIMEOUT_MS, true, r, err, errlen);
}

static void chomp(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
}

/* The host answers, takes our key and runs the local architecture. */
static int check_arch(struct remote_host *h, char *err, size_t errlen)
{
    struct ssh_out r;
    struct utsname u;
    if (uname(&u)) {
        snprintf(err, errlen, "uname: %s", strerror(errno));
        return -1;
    }
    /* nproc counts the CPUs this session may use (its affinity), which is
     * what loadgen's threads get there. */
    if (remote_sh(h, "uname -m", "uname -m; nproc 2>/dev/null || echo 1", &r, err,
                  errlen))
        return -1;
    char *cpus = r.out + strcspn(r.out, "\n");
    if (*cpus)
        *cpus++ = '\0';
    h->cpus = atoi(cpus) > 0 ? atoi(cpus) : 1;
    chomp(r.out);
    snprintf(h->arch, sizeof h->arch, "%.63s", r.out);
    if (strcmp(h->arch, u.machine) != 0) {
        snprintf(err, errlen, "%s: wrong architecture: %s there, %s here "
                 "(loadgen runs only where it was built)", h->dest, h->arch, u.machine);
        return -1;
    }
    return 0;
}

/* "user@host:path" for scp; an IPv6 literal needs brackets there. */
static void scp_target(const struct remote_host *h, const char *path, char *out,
                       size_t outlen)
{
    const char *at = strrchr(h->dest, '@');
    const char *host = at ? at + 1 : h->dest;
    bool v6 = strchr(host, ':') && host[0] != '[';
    snprintf(out, outlen, "%.*s%s%s%s:%s", (int)(host - h->dest), h->dest,
             v6 ? "[" : "", host, v6 ? "]" : "", path);
}

/* mktemp -d there, then scp local into it (-p keeps its mode). */
static int copy_loadgen(struct remote_host *h, const char *local, char *err,
                        size_t errlen)
{
    struct ssh_out r;
    struct ssh_cmd c;
    char target[8400];
    if (remote_sh(h, "mktemp", "mktemp -d \"${TMPDIR:-/tmp}/c10k-lab.XXXXXXXX\"",
                  &r, err, errlen))
        return -1;
    chomp(r.out);
    if (r.out[0] != '/' || strchr(r.out, '\'')) {
        snprintf(err, errlen, "%s: mktemp -d printed \"%.200s\", not a path",
                 h->dest, r.out);
        return -1;
    }
    snprintf(h->dir, sizeof h->dir, "%s", r.out);
    const char *base = strrchr(local, '/');
    if (snprintf(h->loadgen, sizeof h->loadgen, "%s/%s", h->dir,
                 base ? base + 1 : local) >= (int)sizeof h->loadgen) {
        snprintf(err, errlen, "%s: loadgen path too long", h->dest);
        return -1;
    }
    scp_target(h, h->loadgen, target, sizeof target);
    ssh_cmd_start(&c, "scp", h->ssh_config);
    c.argv[c.n++] = "-p";
    c.argv[c.n++] = "-q";
    c.argv[c.n++] = "--";
    c.argv[c.n++] = (char *)local;
    c.argv[c.n++] = target;
    c.argv[c.n] = NULL;
    return ssh_run(h->dest, "scp", c.argv, REMOTE_CMD_TIMEOUT_MS, true, &r, err, errlen);
}

/* loadgen is an executable file there and answers --version. */
static int check_loadgen(struct remote_host *h, bool given, char *err, size_t errlen)
{
    char q[8200], cmd[16500];
    struct ssh_out r;
    if (ssh_quote(h->loadgen, q, sizeof q)) {
        snprintf(err, errlen, "%s: loadgen path too long", h->dest);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "test -f %s && test -x %s", q, q);
    if (remote_sh(h, "test -x", cmd, &r, err, errlen)) {
        if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 1)
            return -1; /* ssh's own failure, already explained */
        snprintf(err, errlen, "%s: loadgen missing: %s is not an executable file there%s",
                 h->dest, h->loadgen, given ? " (--remote-loadgen)" : "");
        return -1;
    }
    snprintf(cmd, sizeof cmd, "%s --version", q);
    return remote_sh(h, "loadgen does not run there: --version", cmd, &r, err, errlen);
}

int remote_prepare(struct remote_host *h, const char *local_loadgen,
                   const char *remote_loadgen, char *err, size_t errlen)
{
    char path[PATH_MAX];
    for (const char *const *t = (const char *const[]){"ssh", "scp", NULL}; *t; t++)
        if (util_find_program(*t, path, sizeof path)) {
            snprintf(err, errlen, "%s not found (Debian package openssh-client)", *t);
            return -1;
        }
    if (!remote_loadgen && !util_is_executable(local_loadgen)) {
        snprintf(err, errlen, "loadgen not found at %s (build it: meson compile -C build)",
                 local_loadgen);
        return -1;
    }
    if (check_arch(h, err, errlen))
        return -1;
    if (remote_loadgen)
        snprintf(h->loadgen, sizeof h->loadgen, "%s", remote_loadgen);
    else if (copy_loadgen(h, local_loadgen, err, errlen))
        return -1;
    return check_loadgen(h, remote_loadgen != NULL, err, errlen);
}

/* ---- clock offset ---------------------------------------------------------- */

/* The probe's remote side: "ready", then one timestamp per line read. bash
 * 5's $EPOCHREALTIME needs no fork per probe (a fork would lengthen every
 * round trip, so the uncertainty); elsewhere `date +%s.%N`. LC_ALL=C: bash
 * writes the locale's decimal separator. */
static const char remote_clock_script[] =
    "if command -v bash >/dev/null 2>&1; then exec env LC_ALL=C bash -c "
    "'echo ready; while read -r _; do echo \"${EPOCHREALTIME:-$(date +%s.%N)}\"; "
    "done'; fi; echo ready; while read -r _; do date +%s.%N; done";

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* "1700000000.123456" (or with a comma) -> nanoseconds since the epoch. */
static int parse_epoch(const char *s, int64_t *ns)
{
    char *end;
    errno = 0;
    long long sec = strtoll(s, &end, 10);
    if (errno || end == s || sec <= 0 || (*end != '.' && *end != ','))
        return -1;
    int64_t frac = 0, scale = 1000000000;
    for (end++; *end >= '0' && *end <= '9'; end++)
        if (scale > 1)
            frac += (*end - '0') * (scale /= 10);
    *ns = (int64_t)sec * 1000000000 + frac;
    return *end == '\0' ? 0 : -1;
}

/* One round trip; keeps the offset of the shortest so far. The error bound:
 * the remote read its clock at some instant between t_send and t_recv, so
 * with offset = remote - (t_send + t_recv) / 2 the true offset is within
 * rtt / 2 of it, plus the microsecond the remote clock truncates (clocks
 * assumed not to drift within one round trip, a few hundred microseconds). */
static int clock_probe(struct remote_host *h, int to, int from, double deadline,
                       int64_t *best_rtt, char *why, size_t whylen)
{
    char line[64];
    int64_t t_send = realtime_ns(), remote;
    if (write(to, "\n", 1) != 1) {
        snprintf(why, whylen, "write: %s", strerror(errno));
        return -1;
    }
    if (ssh_read_line(from, line, sizeof line, deadline, why, whylen) < 0)
        return -1;
    int64_t t_recv = realtime_ns(), rtt = t_recv - t_send;
    if (parse_epoch(line, &remote)) {
        snprintf(why, whylen, "not a time: \"%.40s\"", line);
        return -1;
    }
    if (rtt < *best_rtt) {
        *best_rtt = rtt;
        h->offset_ns = remote - (t_send + rtt / 2);
        h->uncertainty_ns = (rtt + 1) / 2 + REMOTE_CLOCK_RES_NS;
    }
    return 0;
}

/* "ready", then the probes; the session ends when its stdin closes. */
static int clock_session(struct remote_host *h, int probes, int to, int from,
                         char *why, size_t whylen)
{
    double deadline = util_now() + REMOTE_CMD_TIMEOUT_MS / 1000.0;
    int64_t best = INT64_MAX;
    char line[64];
    if (ssh_read_line(from, line, sizeof line, deadline, why, whylen) < 0)
        return -1;
    if (strcmp(line, "ready") != 0) {
        snprintf(why, whylen, "printed \"%.40s\" before the probes", line);
        return -1;
    }
    for (int i = 0; i < probes; i++)
        if (clock_probe(h, to, from, deadline, &best, why, whylen))
            return -1;
    return 0;
}

int remote_clock_offset(struct remote_host *h, int probes, char *err, size_t errlen)
{
    struct ssh_cmd c;
    struct ssh_out r = {.status = -1};
    char why[256] = "", note[96];
    int to = -1, from = -1, rc = -1;
    int efd = memfd_create("ssh-stderr", MFD_CLOEXEC);
    ssh_cmd_remote(&c, h->ssh_config, h->dest, remote_clock_script);
    pid_t pid = efd < 0 ? -1 : ssh_spawn_duplex(c.argv, &to, &from, efd, why, sizeof why);
    if (pid > 0) {
        rc = clock_session(h, probes, to, from, why, sizeof why);
        close(to);
        close(from);
        if (spawn_wait(pid, 2000, &r.status, NULL) != 1)
            spawn_stop(pid, 1000, &r.status, note, sizeof note);
    }
    if (efd >= 0) {
        ssh_read_memfd(efd, r.errtxt, sizeof r.errtxt);
        close(efd);
    }
    if (rc == 0)
        return 0;
    if (r.status != -1 && (!WIFEXITED(r.status) || WEXITSTATUS(r.status) == 255))
        ssh_explain(h->dest, "clock probe", &r, true, err, errlen);
    else
        snprintf(err, errlen, "%s: clock probe: %s", h->dest,
                 why[0] ? why : strerror(errno));
    return -1;
}

/* ---- the load generator's session ------------------------------------------- */

/* "echo $$; exec 'argv0' 'argv1' ...": the shell's PID is the command's,
 * since exec keeps it. */
static int spawn_command(char *const argv[], char *cmd, size_t len)
{
    size_t n = (size_t)snprintf(cmd, len, "echo $$; exec");
    for (int i = 0; argv[i]; i++) {
        if (n + 2 >= len || ssh_quote(argv[i], cmd + n + 1, len - n - 1))
            return -1;
        cmd[n] = ' ';
        n += strlen(cmd + n);
    }
    return 0;
}

/* The PID line, or the reason ssh ended before it. */
static int read_remote_pid(struct remote_host *h, int fd, char *err, size_t errlen)
{
    char line[64], why[128], *end;
    double deadline = util_now() + REMOTE_CMD_TIMEOUT_MS / 1000.0;
    if (ssh_read_line(fd, line, sizeof line, deadline, why, sizeof why) >= 0) {
        long pid = strtol(line, &end, 10);
        if (pid > 0 && *end == '\0') {
            h->remote_pid = pid;
            return 0;
        }
        snprintf(why, sizeof why, "printed \"%.40s\", not its PID", line);
    }
    struct ssh_out r = {.status = -1};
    if (spawn_wait(h->ssh_pid, 2000, &r.status, NULL) == 1)
        h->ssh_pid = 0;
    ssh_read_memfd(h->stderr_fd, r.errtxt, sizeof r.errtxt);
    if (r.status != -1 && (!WIFEXITED(r.status) || WEXITSTATUS(r.status) == 255))
        ssh_explain(h->dest, "ssh", &r, true, err, errlen);
    else
        snprintf(err, errlen, "%s: %s: %s", h->dest, h->remote_argv0, why);
    return -1;
}

int remote_spawn(struct remote_host *h, char *const argv[], int *stdout_fd,
                 char *err, size_t errlen)
{
    char cmd[REMOTE_CMD_MAX];
    struct ssh_cmd c;
    int p[2];
    if (h->ssh_pid > 0 || h->remote_pid > 0) {
        snprintf(err, errlen, "%s: a command already runs there (PID %ld)",
                 h->dest, h->remote_pid);
        return -1;
    }
    if (spawn_command(argv, cmd, sizeof cmd)) {
        snprintf(err, errlen, "%s: command line too long", h->dest);
        return -1;
    }
    snprintf(h->remote_argv0, sizeof h->remote_argv0, "%s", argv[0]);
    if (h->stderr_fd < 0)
        h->stderr_fd = memfd_create("ssh-stderr", MFD_CLOEXEC);
    if (h->stderr_fd < 0 || ftruncate(h->stderr_fd, 0) || pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "%s: spawn: %s", h->dest, strerror(errno));
        return -1;
    }
    ssh_cmd_remote(&c, h->ssh_config, h->dest, cmd);
    struct spawn_spec sp = {.argv = c.argv, .stdout_fd = p[1], .stderr_fd = h->stderr_fd};
    pid_t pid = spawn_child(&sp, err, errlen);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    h->ssh_pid = pid;
    if (read_remote_pid(h, p[0], err, errlen)) {
        close(p[0]);
        return -1;
    }
    *stdout_fd = p[0];
    return 0;
}

int remote_wait(struct remote_host *h, int timeout_ms, int *status, char *err,
                size_t errlen)
{
    struct ssh_out r = {.status = -1};
    if (h->ssh_pid <= 0) {
        snprintf(err, errlen, "%s: nothing runs there", h->dest);
        return -1;
    }
    int w = spawn_wait(h->ssh_pid, timeout_ms, &r.status, NULL);
    if (w != 1) {
        snprintf(err, errlen, "%s: %s: %s", h->dest, h->remote_argv0,
                 w == 0 ? "still running at its deadline" : strerror(errno));
        return -1;
    }
    h->ssh_pid = 0;
    if (status)
        *status = r.status;
    /* An exit status of its own means the command ended there; 255 or a
     * signal may be ssh's failure, and the command may still run there. */
    bool transport = !WIFEXITED(r.status) || WEXITSTATUS(r.status) == 255;
    if (!transport)
        h->remote_pid = 0;
    if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)
        return 0;
    ssh_read_memfd(h->stderr_fd, r.errtxt, sizeof r.errtxt);
    ssh_explain(h->dest, h->remote_argv0, &r, transport, err, errlen);
    return -1;
}

/* Kills PID p only while it still runs argv[0] a (a PID may be reused),
 * then removes the directory d; exits 1 if p survived SIGKILL. */
static const char remote_cleanup_script[] =
    "p=%ld; a=%s; d=%s; "
    "ours() { [ \"$p\" -gt 0 ] && [ \"$(tr '\\0' '\\n' < /proc/$p/cmdline "
    "2>/dev/null | head -n 1)\" = \"$a\" ]; }; "
    "if ours; then kill -TERM $p; i=0; "
    "while ours && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; "
    "if ours; then kill -KILL $p; sleep 0.2; fi; fi; "
    "if [ -n \"$d\" ]; then rm -rf -- \"$d\" || exit 1; fi; "
    "if ours; then echo \"PID $p still runs $a\" >&2; exit 1; fi";

/* The spawned command killed there, and the directory removed unless
 * keep_dir. */
static int clean_there(struct remote_host *h, bool keep_dir, char *err, size_t errlen)
{
    char qa[8200], qd[8200], cmd[REMOTE_CMD_MAX], note[96];
    struct ssh_cmd c;
    struct ssh_out r;
    const char *dir = keep_dir ? "" : h->dir;
    if (h->ssh_pid > 0)
        spawn_stop(h->ssh_pid, 1000, NULL, note, sizeof note);
    h->ssh_pid = 0;
    if (h->remote_pid <= 0 && !dir[0])
        return 0;
    if (ssh_quote(h->remote_argv0, qa, sizeof qa) || ssh_quote(dir, qd, sizeof qd) ||
        snprintf(cmd, sizeof cmd, remote_cleanup_script, h->remote_pid, qa, qd) >=
            (int)sizeof cmd) {
        snprintf(err, errlen, "%s: cleanup: path too long", h->dest);
        return -1;
    }
    ssh_cmd_remote(&c, h->ssh_config, h->dest, cmd);
    /* Not interruptible: this is what runs after Ctrl-C. */
    if (ssh_run(h->dest, "cleanup", c.argv, REMOTE_CLEANUP_TIMEOUT_MS, false, &r,
                err, errlen)) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (left there: PID %ld, directory %s)",
                 h->remote_pid, dir[0] ? dir : "none");
        return -1;
    }
    h->remote_pid = 0;
    if (!keep_dir)
        h->dir[0] = '\0';
    return 0;
}

int remote_kill(struct remote_host *h, char *err, size_t errlen)
{
    return clean_there(h, true, err, errlen);
}

int remote_cleanup(struct remote_host *h, char *err, size_t errlen)
{
    int rc = clean_there(h, false, err, errlen);
    if (h->stderr_fd >= 0)
        close(h->stderr_fd);
    h->stderr_fd = -1;
    return rc;
}
