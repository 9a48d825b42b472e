/* Every wait and every registration is checked: a seccomp filter makes one
 * system call fail with EIO in a child that then runs a model, and the
 * model must say so in one line naming itself and the call, and exit 1.
 *
 *   wait_errors build/servers/epoll build/servers/poll ...
 *
 * Per model (by basename), the cases that apply to it:
 *   - its wait fails: epoll_pwait, pselect6, ppoll or io_uring_enter;
 *   - epoll_ctl(EPOLL_CTL_DEL) fails when a client's connection ends;
 *   - epoll_ctl(EPOLL_CTL_MOD) fails when a connection must be re-armed (a
 *     response stuck behind a client that does not read). threadpool keeps
 *     its sockets registered edge-triggered across hand-offs and never
 *     re-arms one, so its case is the delete.
 * prefork's workers fail and exit 1 while the supervisor replaces them; a
 * failed wait in libuv is libuv's (it aborts), and nonblock never waits.
 * Prints one line per case; exits 0, 1 if a case failed, 77 when seccomp
 * filters are not available here. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_deny.h"

#define EXIT_SKIP 77
#define CASE_TIMEOUT_MS 10000
#define ANY_OP SECCOMP_ANY_ARG


enum client {
    NO_CLIENT,   /* the first wait fails by itself */
    GET_CLOSE,   /* one request, its response read, then a close */
    STALL,       /* 40 pipelined 256 KiB responses never read */
};

struct fcase {
    const char *models;  /* space-separated model names */
    const char *call;    /* what the error line names */
    int nr;              /* system call to fail */
    int op;              /* its second argument, or ANY_OP */
    enum client client;
};

static const struct fcase CASES[] = {
    {"epoll epoll-et reuseport threadpool coro", "epoll_pwait", __NR_epoll_pwait, ANY_OP,
     NO_CLIENT},
    {"prefork", "epoll_pwait", __NR_epoll_pwait, ANY_OP, NO_CLIENT},
    {"select", "pselect", __NR_pselect6, ANY_OP, NO_CLIENT},
    {"poll single fork thread", "ppoll", __NR_ppoll, ANY_OP, NO_CLIENT},
    {"uring", "io_uring_enter", __NR_io_uring_enter, ANY_OP, NO_CLIENT},
    {"epoll epoll-et reuseport coro threadpool", "epoll_ctl (delete", __NR_epoll_ctl,
     EPOLL_CTL_DEL, GET_CLOSE},
    {"epoll", "epoll_ctl (modify", __NR_epoll_ctl, EPOLL_CTL_MOD, STALL},
};

struct run {
    pid_t pid;
    int out, err;        /* pipes from the child's stdout and stderr */
    char obuf[4096], ebuf[8192];
    size_t olen, elen;
    int status;          /* from waitpid; -1 while running */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Starts binary under the filter. Returns -1 when it cannot be installed. */
static int start(const char *binary, const struct fcase *fc, struct run *r)
{
    int out[2], err[2], ready[2];
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (pipe(out) < 0 || pipe(err) < 0 || pipe(ready) < 0) {
        perror("wait_errors: pipe");
        exit(1);
    }
    if ((r->pid = fork()) < 0) {
        perror("wait_errors: fork");
        exit(1);
    }
    if (r->pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]), close(err[0]), close(ready[0]);
        char ok = seccomp_deny(fc->nr, fc->op, EIO) == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1 || ok != 'y')
            _exit(127);
        execl(binary, binary, "--port", "0", "--docroot", C10K_HTML, "--workers", "2",
              (char *)NULL);
        _exit(126);
    }
    close(out[1]), close(err[1]), close(ready[1]);
    r->out = out[0];
    r->err = err[0];
    char ok = 'n';
    if (read(ready[0], &ok, 1) != 1 || ok != 'y') {
        close(ready[0]);
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        return -1;
    }
    close(ready[0]);
    return 0;
}

/* Collects output until until_ms, the child's exit, or (want non-NULL)
 * want appearing on stdout or stderr. True if want appeared. */
static bool collect(struct run *r, long long until_ms, const char *want)
{
    struct pollfd p[2] = {{r->out, POLLIN, 0}, {r->err, POLLIN, 0}};
    while (!(want && (strstr(r->obuf, want) || strstr(r->ebuf, want)))) {
        long long left = until_ms - now_ms();
        if (left <= 0 || (p[0].fd < 0 && p[1].fd < 0))
            break;
        if (poll(p, 2, (int)left) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            char *buf = i ? r->ebuf : r->obuf;
            size_t *len = i ? &r->elen : &r->olen;
            size_t cap = (i ? sizeof r->ebuf : sizeof r->obuf) - 1;
            ssize_t n = p[i].revents ? read(p[i].fd, buf + *len, cap - *len) : 1;
            if (n > 0 && p[i].revents)
                *len += (size_t)n;
            else if (n <= 0)
                p[i].fd = -1; /* EOF: the child and its children are gone */
            buf[*len] = '\0';
        }
    }
    return want && (strstr(r->obuf, want) || strstr(r->ebuf, want));
}

static void finish(struct run *r)
{
    if (r->status == -1 && waitpid(r->pid, &r->status, WNOHANG) == 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
    }
    close(r->out);
    close(r->err);
}

static int connect_to(const struct run *r)
{
    const char *at = strstr(r->obuf, "listening on 127.0.0.1:");
    if (!at)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(at + 23)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* What the case's client does; returns its socket (to close after the
 * server is gone) or -1. */
static int act(const struct run *r, enum client client)
{
    static const char get[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char big[] = "GET /bench/256k.html HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[4096];
    int fd = client == NO_CLIENT ? -1 : connect_to(r);
    if (fd < 0)
        return -1;
    if (client == STALL) {
        for (int i = 0; i < 40; i++)
            if (send(fd, big, sizeof big - 1, MSG_NOSIGNAL) < 0)
                break;
        return fd;
    }
    if (send(fd, get, sizeof get - 1, MSG_NOSIGNAL) < 0 || recv(fd, buf, sizeof buf, 0) <= 0) {
        close(fd);
        return -1;
    }
    if (client == GET_CLOSE) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The one error line: "<model>: [which reactor: ]<call>...: Input/output
 * error". */
static const char *check_line(const char *model, const struct fcase *fc, const char *err)
{
    static const char eio[] = ": Input/output error\n";
    static char why[256];
    const char *nl = strchr(err, '\n');
    size_t n = strlen(model);
    if (!nl || nl[1] != '\0')
        return "stderr is not one line";
    const char *call = strstr(err, fc->call);
    if (strncmp(err, model, n) != 0 || err[n] != ':' || !call ||
        (size_t)(nl + 1 - err) < sizeof eio - 1 ||
        strcmp(nl + 1 - (sizeof eio - 1), eio) != 0) {
        snprintf(why, sizeof why, "want '%s: ...%s...: Input/output error'", model, fc->call);
        return why;
    }
    return NULL;
}

/* Waits for the child's exit until until_ms; false if it is still running. */
static bool reap_by(struct run *r, long long until_ms)
{
    while (waitpid(r->pid, &r->status, WNOHANG) == 0) {
        if (now_ms() >= until_ms)
            return false;
        usleep(10 * 1000);
    }
    return true;
}

/* prefork: a worker says so and exits 1, the supervisor replaces it. */
static const char *check_prefork(struct run *r)
{
    static const char worker_exit[] = "exited with status 1; starting a new one";
    if (!collect(r, now_ms() + CASE_TIMEOUT_MS, worker_exit))
        return "no worker exited with status 1";
    if (!strstr(r->ebuf, ": epoll_pwait: Input/output error\n") ||
        !strstr(r->ebuf, "prefork: worker "))
        return "no 'prefork: worker N: epoll_pwait: Input/output error' line";
    kill(r->pid, SIGTERM);
    collect(r, now_ms() + CASE_TIMEOUT_MS, NULL);
    return NULL;
}

/* Runs one case; returns 0 ok, 1 failed, -1 seccomp unavailable. */
static int run_case(const char *binary, const char *model, const struct fcase *fc)
{
    struct run r;
    if (start(binary, fc, &r) < 0)
        return -1;
    const char *bad = NULL;
    int client = -1;
    if (!collect(&r, now_ms() + CASE_TIMEOUT_MS, "listening on "))
        bad = "it did not start";
    else if (!strcmp(model, "prefork"))
        bad = check_prefork(&r);
    else {
        client = act(&r, fc->client);
        long long until = now_ms() + CASE_TIMEOUT_MS;
        collect(&r, until, NULL);
        if (!reap_by(&r, until))
            bad = "still running 10 s later";
        else if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 1)
            bad = "exit status is not 1";
        else if (strstr(r.obuf, "counters:"))
            bad = "it printed the counters line as if stopped";
        else
            bad = check_line(model, fc, r.ebuf);
    }
    if (client >= 0)
        close(client);
    finish(&r);
    const char *op = fc->op == EPOLL_CTL_DEL ? " (delete)" : fc->op == EPOLL_CTL_MOD ? " (modify)" : "";
    if (bad) {
        printf("not ok - %s: %s%s fails: %s (stderr '%s')\n", model,
               fc->nr == __NR_epoll_ctl ? "epoll_ctl" : fc->call, op, bad, r.ebuf);
        return 1;
    }
    char *nl = strchr(r.ebuf, '\n');
    printf("ok - %s: %s%s fails: \"%.*s\"\n", model,
           fc->nr == __NR_epoll_ctl ? "epoll_ctl" : fc->call, op,
           nl ? (int)(nl - r.ebuf) : 0, r.ebuf);
    return 0;
}

static bool applies(const char *models, const char *model)
{
    size_t n = strlen(model);
    for (const char *p = models; (p = strstr(p, model)); p += n)
        if ((p == models || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s build/servers/MODEL...\n", argv[0]);
        return 2;
    }
    int failed = 0, ran = 0;
    for (int i = 1; i < argc; i++) {
        const char *model = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
            if (!applies(CASES[k].models, model))
                continue;
            int rc = run_case(argv[i], model, &CASES[k]);
            if (rc < 0) {
                printf("skip - seccomp filters are not available here\n");
                return EXIT_SKIP;
            }
            failed += rc;
            ran++;
            fflush(stdout);
        }
    }
    printf("# %d cases, %d not ok\n", ran, failed);
    return failed ? 1 : 0;
}
