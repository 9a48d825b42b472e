/* The uring model where io_uring is unavailable: a seccomp filter makes
 * io_uring_setup fail in the child before it runs the server, as
 * kernel.io_uring_disabled (EPERM), a container's seccomp profile (EPERM) or
 * a kernel built without io_uring (ENOSYS) would.
 *
 *   uring_unavailable build/servers/uring
 *
 * Each case must end with exit status 69 (SERVER_EXIT_UNAVAILABLE), one line
 * "uring: io_uring unavailable: <strerror>" on stderr and nothing on stdout
 * (above all no "listening on"); --help must still work. Prints one line per
 * case; exits 0, 1 if a case failed, 77 if seccomp is not available here. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_deny.h"

#define EXIT_SKIP 77
#define EXIT_UNAVAILABLE 69
#define CASE_TIMEOUT_MS 10000 /* a server that did start is killed after this */

struct result {
    int status;         /* from waitpid, or -1 when killed after the timeout */
    char out[4096];     /* stdout */
    char err[4096];     /* stderr */
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Runs argv under the filter; collects stdout, stderr and the exit status.
 * Returns -1 (with a message) when the filter cannot be installed. */
static int run(char **argv, int err, struct result *r)
{
    int out[2], errp[2], ready[2];
    memset(r, 0, sizeof *r);
    if (pipe(out) < 0 || pipe(errp) < 0 || pipe(ready) < 0) {
        perror("uring_unavailable: pipe");
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("uring_unavailable: fork");
        exit(1);
    }
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(errp[1], 2);
        close(out[0]), close(errp[0]), close(ready[0]);
        char ok = seccomp_deny(__NR_io_uring_setup, SECCOMP_ANY_ARG, err) == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1 || ok != 'y')
            _exit(127);
        close(ready[1]);
        execv(argv[0], argv);
        _exit(126);
    }
    close(out[1]), close(errp[1]), close(ready[1]);
    char ok = 'n';
    if (read(ready[0], &ok, 1) != 1 || ok != 'y') {
        close(ready[0]), close(out[0]), close(errp[0]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(ready[0]);
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
    size_t len[2] = {0, 0};
    char *buf[2] = {r->out, r->err};
    long long deadline = now_ms() + CASE_TIMEOUT_MS;
    int open_fds = 2;
    while (open_fds > 0) {
        long long left = deadline - now_ms();
        if (left <= 0 || poll(p, 2, (int)left) <= 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            ssize_t n = read(p[i].fd, buf[i] + len[i], sizeof r->out - 1 - len[i]);
            if (n > 0) {
                len[i] += (size_t)n;
                continue;
            }
            close(p[i].fd);
            p[i].fd = -1;
            open_fds--;
        }
    }
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    if (open_fds > 0) { /* still running: it started after all */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        r->status = -1;
        return 0;
    }
    waitpid(pid, &r->status, 0);
    return 0;
}

static int check_unavailable(const char *binary, int err)
{
    char *argv[] = {(char *)binary, "--port", "0", NULL};
    struct result r;
    char want[256];
    if (run(argv, err, &r) < 0)
        return -1;
    snprintf(want, sizeof want, "uring: io_uring unavailable: %s\n", strerror(err));
    const char *bad = NULL;
    if (r.status == -1)
        bad = "still running after 10 s";
    else if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != EXIT_UNAVAILABLE)
        bad = "exit status is not 69";
    else if (strcmp(r.err, want) != 0)
        bad = "stderr is not the one line expected";
    else if (r.out[0])
        bad = "printed on stdout";
    if (bad) {
        printf("not ok - io_uring_setup fails with %s: %s (status %d, stdout '%s', "
               "stderr '%s')\n", strerrorname_np(err), bad,
               r.status >= 0 && WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1,
               r.out, r.err);
        return 1;
    }
    printf("ok - io_uring_setup fails with %s: exit 69, \"%.*s\"\n", strerrorname_np(err),
           (int)strlen(r.err) - 1, r.err);
    return 0;
}

static int check_help(const char *binary)
{
    char *argv[] = {(char *)binary, "--help", NULL};
    struct result r;
    if (run(argv, EPERM, &r) < 0)
        return -1;
    if (r.status == -1 || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0 ||
        !strstr(r.out, "--port")) {
        printf("not ok - --help without io_uring: status %d, stdout '%.80s'\n",
               r.status >= 0 && WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1, r.out);
        return 1;
    }
    printf("ok - --help without io_uring: exit 0 with usage\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s build/servers/uring\n", argv[0]);
        return 2;
    }
    static const int errs[] = {EPERM, ENOSYS};
    int failed = 0;
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        int rc = check_unavailable(argv[1], errs[i]);
        if (rc < 0) {
            printf("skip - seccomp filters are not available here\n");
            return EXIT_SKIP;
        }
        failed += rc;
    }
    int rc = check_help(argv[1]);
    failed += rc > 0;
    return failed ? 1 : 0;
}
