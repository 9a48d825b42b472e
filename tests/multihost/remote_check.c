/* Drives harness/remote.c against one ssh destination for
 * tests/multihost/test_remote.py, which builds the hosts (netlab.py) and
 * checks what this prints (key=value lines) against the hosts themselves.
 *
 *   remote_check CONFIG DEST full BINARY     prepare (copy), clock, spawn
 *                                            twice, cleanup
 *   remote_check CONFIG DEST interrupt BINARY  spawn `sleep`, Ctrl-C, cleanup
 *   remote_check CONFIG DEST clock           the clock offset only
 *   remote_check CONFIG DEST prepare BINARY [REMOTE_PATH]
 *   remote_check CONFIG DEST run ARGV...     spawn, its stdout, wait
 *
 * Exit 0 when every call it made succeeded, 1 with "error=LINE" printed for
 * the first that failed (the Python side decides which is expected). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hosts/remote.h"
#include "base/spawn.h"
#include "base/util.h"

static struct remote_host host;
static char err[1024];

/* err, a single line, then cleanup (which must succeed); exit 1. */
static int fail(void)
{
    char cerr[1024];
    printf("error=%s\n", err);
    if (host.dir[0])
        printf("dir=%s\n", host.dir); /* made before the failure */
    if (remote_cleanup(&host, cerr, sizeof cerr))
        printf("cleanup_error=%s\n", cerr);
    else
        printf("cleanup=ok\n");
    return 1;
}

/* Spawns argv there and copies its stdout to ours, each line prefixed. */
static int run_there(char *const argv[], const char *prefix)
{
    int fd, status = -1;
    char buf[4096];
    if (remote_spawn(&host, argv, &fd, err, sizeof err))
        return -1;
    printf("remote_pid=%ld\n", host.remote_pid);
    FILE *f = fdopen(fd, "r");
    while (f && fgets(buf, sizeof buf, f))
        printf("%s%s", prefix, buf);
    if (f)
        fclose(f);
    int rc = remote_wait(&host, 60000, &status, err, sizeof err);
    printf("status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return rc;
}

static int measure_clock(void)
{
    if (remote_clock_offset(&host, REMOTE_CLOCK_PROBES, err, sizeof err))
        return -1;
    printf("offset_ns=%lld\nuncertainty_ns=%lld\n", (long long)host.offset_ns,
           (long long)host.uncertainty_ns);
    return 0;
}

static int full(const char *binary)
{
    char *version[] = {host.loadgen, "--version", NULL};
    /* Which host answered, and the CPUs it pinned its sessions to. */
    char *probe[] = {"/bin/sh", "-c",
                     "echo \"conn $SSH_CONNECTION\"; "
                     "grep Cpus_allowed_list /proc/self/status", NULL};
    if (remote_prepare(&host, binary, NULL, err, sizeof err))
        return -1;
    printf("dir=%s\nloadgen=%s\narch=%s\n", host.dir, host.loadgen, host.arch);
    if (measure_clock() || run_there(version, "version: ") || run_there(probe, "probe: "))
        return -1;
    return 0;
}

/* The harness's Ctrl-C: its handler kills the local ssh; the command there
 * survives that, and remote_cleanup must end it. */
static int interrupt(const char *binary)
{
    char *argv[] = {"sleep", "300", NULL};
    int fd;
    if (remote_prepare(&host, binary, NULL, err, sizeof err) ||
        remote_spawn(&host, argv, &fd, err, sizeof err))
        return -1;
    printf("dir=%s\nremote_pid=%ld\n", host.dir, host.remote_pid);
    pid_t ssh = host.ssh_pid;
    raise(SIGINT);
    printf("interrupted=%d\n", (int)spawn_interrupted);
    int w = spawn_wait(ssh, 10000, NULL, NULL);
    printf("local_ssh_ended=%d\n", w == 1);
    close(fd);
    util_sleep_ms(500);
    /* Same machine, same PID namespace: the remote PID is visible here. */
    printf("alive_before_cleanup=%d\n", kill((pid_t)host.remote_pid, 0) == 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: remote_check CONFIG DEST MODE [ARGS]\n");
        return 2;
    }
    spawn_install_signals();
    setvbuf(stdout, NULL, _IOLBF, 0);
    remote_init(&host, argv[2], argv[1]);
    const char *mode = argv[3];
    int rc;
    if (strcmp(mode, "full") == 0 && argc == 5)
        rc = full(argv[4]);
    else if (strcmp(mode, "interrupt") == 0 && argc == 5)
        rc = interrupt(argv[4]);
    else if (strcmp(mode, "clock") == 0 && argc == 4)
        rc = measure_clock();
    else if (strcmp(mode, "prepare") == 0 && (argc == 5 || argc == 6))
        rc = remote_prepare(&host, argv[4], argc == 6 ? argv[5] : NULL, err, sizeof err);
    else if (strcmp(mode, "run") == 0 && argc > 4)
        rc = run_there(argv + 4, "out: ");
    else {
        fprintf(stderr, "remote_check: bad mode or arguments: %s\n", mode);
        return 2;
    }
    if (rc)
        return fail();
    if (remote_cleanup(&host, err, sizeof err)) {
        printf("cleanup_error=%s\n", err);
        return 1;
    }
    printf("cleanup=ok\n");
    /* Twice is safe: nothing left to do. */
    if (remote_cleanup(&host, err, sizeof err)) {
        printf("cleanup_error=%s\n", err);
        return 1;
    }
    return 0;
}
