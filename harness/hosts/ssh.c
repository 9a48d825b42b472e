/* The OpenSSH transport under remote.c (see ssh.h). We run the ssh and scp
 * programs rather than link a library: the user's keys, agent, ssh_config
 * and known_hosts then work exactly as they do in their shell. */
#include "hosts/ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/spawn.h"
#include "base/util.h"

#define SSH_POLL_STEP_MS 200 /* how often a wait looks at the interrupt flag */

/* BatchMode: keys only, never a prompt (a prompt would hang the run).
 * ServerAlive: a load host that vanishes ends its ssh in about 30 s instead
 * of never. ClearAllForwardings: a user's config may forward ports, which a
 * second session to the same host would fail to bind. */
static const char *const ssh_opts[] = {
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
    "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6",
    "-o", "ClearAllForwardings=yes",
};

void ssh_cmd_start(struct ssh_cmd *c, const char *prog, const char *config)
{
    c->n = 0;
    c->argv[c->n++] = (char *)prog;
    if (config && config[0]) {
        c->argv[c->n++] = "-F";
        c->argv[c->n++] = (char *)config;
    }
    for (size_t i = 0; i < sizeof ssh_opts / sizeof *ssh_opts; i++)
        c->argv[c->n++] = (char *)ssh_opts[i];
    c->argv[c->n] = NULL;
}

void ssh_cmd_remote(struct ssh_cmd *c, const char *config, const char *dest,
                    const char *command)
{
    ssh_cmd_start(c, "ssh", config);
    c->argv[c->n++] = "--"; /* a destination never parses as an option */
    c->argv[c->n++] = (char *)dest;
    c->argv[c->n++] = (char *)command;
    c->argv[c->n] = NULL;
}

int ssh_quote(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    if (outlen < 3)
        return -1;
    out[n++] = '\'';
    for (; *s; s++) {
        const char *piece = *s == '\'' ? "'\\''" : (char[2]){*s, '\0'};
        size_t len = strlen(piece);
        if (n + len + 2 > outlen)
            return -1;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return 0;
}

/* Copies the line of text containing needle (NULL: the last non-empty
 * line) into out; returns whether there was one. */
static bool pick_line(const char *text, const char *needle, char *out, size_t outlen)
{
    bool found = false;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\r\n");
        if (len > 0 && (!needle || memmem(p, len, needle, strlen(needle)))) {
            snprintf(out, outlen, "%.*s", (int)len, p);
            found = true;
            if (needle)
                return true;
        }
        p += len;
        p += strspn(p, "\r\n");
    }
    return found;
}

/* ssh's own words for its failures (OpenSSH 9: it prints them and exits
 * 255; scp passes them on and exits 1). */
void ssh_explain(const char *dest, const char *what, const struct ssh_out *r,
                 bool transport, char *err, size_t errlen)
{
    static const struct { const char *needle, *meaning; } causes[] = {
        {"Permission denied", "authentication refused (keys only: BatchMode)"},
        {"Host key verification failed", "host key not trusted (known_hosts)"},
        {"Could not resolve hostname", "unreachable"},
        {"connect to host", "unreachable"},
        {"Connection timed out", "unreachable"},
        {"Connection closed", "unreachable"},
        {"Connection reset", "unreachable"},
    };
    char line[512], how[96];
    for (size_t i = 0; transport && i < sizeof causes / sizeof *causes; i++)
        if (pick_line(r->errtxt, causes[i].needle, line, sizeof line)) {
            snprintf(err, errlen, "%s: %s: %s", dest, causes[i].meaning, line);
            return;
        }
    if (r->status == -1)
        snprintf(how, sizeof how, "status unknown");
    else
        spawn_describe(r->status, how, sizeof how);
    if (!pick_line(r->errtxt, NULL, line, sizeof line))
        snprintf(line, sizeof line, "no message");
    snprintf(err, errlen, "%s: %s failed (%s): %s", dest, what, how, line);
}

/* Waits for fd to be readable, until deadline; false with why on timeout,
 * interrupt or a poll error. */
static bool wait_readable(int fd, double deadline, bool interruptible, char *why,
                          size_t whylen)
{
    for (;;) {
        int ms = (int)((deadline - util_now()) * 1000);
        if ((interruptible && spawn_interrupted) || ms <= 0) {
            snprintf(why, whylen, ms <= 0 ? "no answer in time" : "interrupted");
            return false;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, ms < SSH_POLL_STEP_MS ? ms : SSH_POLL_STEP_MS);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR) {
            snprintf(why, whylen, "poll: %s", strerror(errno));
            return false;
        }
    }
}

/* Reads fd to EOF into out (cut at outlen, the rest drained). */
static int read_all(int fd, char *out, size_t outlen, double deadline,
                    bool interruptible, char *why, size_t whylen)
{
    size_t n = 0;
    char sink[512];
    for (;;) {
        if (!wait_readable(fd, deadline, interruptible, why, whylen))
            return -1;
        bool keep = n + 1 < outlen;
        ssize_t got = read(fd, keep ? out + n : sink, keep ? outlen - n - 1 : sizeof sink);
        if (got == 0)
            break;
        if (got < 0 && errno != EINTR) {
            snprintf(why, whylen, "read: %s", strerror(errno));
            return -1;
        }
        if (got > 0 && keep)
            n += (size_t)got;
    }
    out[n] = '\0';
    return 0;
}

void ssh_read_memfd(int fd, char *out, size_t outlen)
{
    ssize_t n = pread(fd, out, outlen - 1, 0);
    out[n > 0 ? n : 0] = '\0';
}

int ssh_run(const char *dest, const char *what, char *const argv[],
            int timeout_ms, bool interruptible, struct ssh_out *r, char *err,
            size_t errlen)
{
    int p[2], efd = memfd_create("ssh-stderr", MFD_CLOEXEC);
    char why[256], note[96];
    r->status = -1;
    r->out[0] = r->errtxt[0] = '\0';
    if (efd < 0 || pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "%s: %s: %s", dest, what, strerror(errno));
        if (efd >= 0)
            close(efd);
        return -1;
    }
    struct spawn_spec sp = {.argv = argv, .stdout_fd = p[1], .stderr_fd = efd};
    pid_t pid = spawn_child(&sp, why, sizeof why);
    close(p[1]);
    int rc = pid < 0 ? -1 : read_all(p[0], r->out, sizeof r->out,
                                     util_now() + timeout_ms / 1000.0,
                                     interruptible, why, sizeof why);
    close(p[0]);
    if (pid > 0 && rc == 0 && spawn_wait(pid, 2000, &r->status, NULL) != 1) {
        rc = -1;
        snprintf(why, sizeof why, "%s did not exit after closing its stdout", argv[0]);
    }
    if (pid > 0 && rc != 0)
        spawn_stop(pid, 1000, NULL, note, sizeof note);
    ssh_read_memfd(efd, r->errtxt, sizeof r->errtxt);
    close(efd);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s: %s", dest, what, why);
        return -1;
    }
    if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
        return 0;
    ssh_explain(dest, what, r, strcmp(argv[0], "scp") == 0 ||
                !WIFEXITED(r->status) || WEXITSTATUS(r->status) == 255, err, errlen);
    return -1;
}

int ssh_read_line(int fd, char *buf, size_t len, double deadline, char *why,
                  size_t whylen)
{
    size_t n = 0;
    while (n + 1 < len) {
        if (!wait_readable(fd, deadline, true, why, whylen))
            return -1;
        ssize_t got = read(fd, buf + n, 1);
        if (got == 0 || (got < 0 && errno != EINTR)) {
            snprintf(why, whylen, "%s", got == 0 ? "ssh exited" : strerror(errno));
            return -1;
        }
        if (got == 1 && buf[n] == '\n')
            break;
        n += got == 1;
    }
    buf[n] = '\0';
    return (int)n;
}

/* In the harness's process group (a terminal's Ctrl-C reaches it too),
 * killed if the harness dies; spawn_child cannot do this one: it gives every
 * child /dev/null as stdin. */
pid_t ssh_spawn_duplex(char *const argv[], int *to, int *from, int errfd,
                       char *why, size_t whylen)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC)) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(out, O_CLOEXEC)) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in[0], 0) >= 0 && dup2(out[1], 1) >= 0 && dup2(errfd, 2) >= 0)
            execvp(argv[0], argv);
        dprintf(errfd, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(in[1]);
        close(out[0]);
        return -1;
    }
    *to = in[1];
    *from = out[0];
    return pid;
}
