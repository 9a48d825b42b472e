/* Load hosts over OpenSSH (issue 10): check a host, copy loadgen there,
 * measure its clock, run loadgen with its stdout readable here, and leave
 * nothing behind. Only ssh and scp (Debian openssh-client): no agent.
 *
 *   struct remote_host h;
 *   remote_init(&h, "user@loadhost", ssh_config_or_NULL);
 *   if (remote_prepare(&h, "build/loadgen", NULL, err, sizeof err) ||
 *       remote_clock_offset(&h, REMOTE_CLOCK_PROBES, err, sizeof err)) ...
 *   char *argv[] = {h.loadgen, "--rate", "1000", ..., NULL};
 *   remote_spawn(&h, argv, &fd, err, sizeof err);  read fd to EOF, close it
 *   remote_wait(&h, timeout_ms, &status, err, sizeof err);
 *   remote_cleanup(&h, err, sizeof err);  also on every error and
 *                                         interrupt path
 *
 * Every function returns 0 or -1 with one line in err naming the host and
 * the cause: unreachable, authentication refused, host key not trusted,
 * wrong architecture, loadgen missing or not running there, timeout.
 * ssh and scp are run as `-F ssh_config -o BatchMode=yes`: keys only, never
 * a prompt. The remote login shell must be POSIX (sh, bash, dash, zsh).
 * The caller ignores SIGPIPE (spawn_install_signals does). */
#ifndef HARNESS_REMOTE_H
#define HARNESS_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define REMOTE_CLOCK_PROBES 16        /* round trips of one clock measurement */
#define REMOTE_CMD_TIMEOUT_MS 30000   /* one check, mktemp, scp or cleanup */

struct remote_host {
    char dest[256];          /* ssh destination: user@host or a Host alias */
    char ssh_config[4096];   /* ssh -F FILE; "" for the user's own config */
    char dir[4096];          /* temporary directory there, "" if none */
    char loadgen[4096];      /* loadgen's path there, set by remote_prepare */
    char arch[64];           /* `uname -m` there */
    int cpus;                /* CPUs a session may use there (`nproc`) */
    int64_t offset_ns;       /* remote CLOCK_REALTIME minus local */
    int64_t uncertainty_ns;  /* |true offset - offset_ns| <= this */
    pid_t ssh_pid;           /* local ssh of remote_spawn, 0 if none */
    long remote_pid;         /* the spawned command's PID there, 0 if none */
    char remote_argv0[4096]; /* its argv[0]: cleanup kills only that */
    int stderr_fd;           /* ssh's stderr of remote_spawn (a memfd) */
};

void remote_init(struct remote_host *h, const char *dest, const char *ssh_config);

/* Checks the host answers and runs the local architecture (and counts its
 * CPUs: h->cpus), then either
 * checks remote_loadgen is executable there (--remote-loadgen PATH) or,
 * when it is NULL, creates a temporary directory there (mktemp -d) and copies
 * local_loadgen into it with scp. Either way `LOADGEN --version` must run
 * there (missing shared libraries show up now, not at the first level). */
int remote_prepare(struct remote_host *h, const char *local_loadgen,
                   const char *remote_loadgen, char *err, size_t errlen);

/* Measures h->offset_ns over one ssh session with `probes` round trips,
 * keeping the one with the smallest round trip: offset = remote - (t_send +
 * t_recv) / 2, uncertainty = rtt / 2 + the remote clock's 1 us resolution. */
int remote_clock_offset(struct remote_host *h, int probes, char *err,
                        size_t errlen);

/* Runs argv there (argv[0] a path there, e.g. h->loadgen); *stdout_fd is
 * the read end of its stdout (the caller closes it). Returns once the remote
 * PID is known (h->remote_pid). One command per host at a time. */
int remote_spawn(struct remote_host *h, char *const argv[], int *stdout_fd,
                 char *err, size_t errlen);

/* Waits up to timeout_ms for the spawned command; *status is its exit
 * status (ssh passes it on). A non-zero status, or ssh's own failure (255),
 * gives -1 and the last line of its stderr in err. */
int remote_wait(struct remote_host *h, int timeout_ms, int *status, char *err,
                size_t errlen);

/* Kills the spawned command there (as remote_cleanup does), keeping the
 * directory and loadgen for the next command: a run past its deadline. */
int remote_kill(struct remote_host *h, char *err, size_t errlen);

/* Kills the spawned command there by its PID (SIGTERM, SIGKILL after 2 s;
 * only if that PID still runs argv[0]), removes the temporary directory,
 * stops the local ssh. Safe to call twice and after an interrupt (the
 * harness's handler has killed the local ssh; the remote command survives
 * that, which is why this exists). Returns -1 (err) if the host could not
 * be cleaned: the caller should tell the user what was left there. */
int remote_cleanup(struct remote_host *h, char *err, size_t errlen);

#endif
