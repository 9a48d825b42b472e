/* Child processes of the harness (servers, wrk, probes): spawned in their
 * own process group, pinned, killed with their group, never left behind.
 *
 *   struct proc_spec sp = {.argv = argv, .cpus = &server_cpus,
 *                          .stdout_fd = pipe_w, .stderr_fd = log_fd};
 *   pid_t pid = proc_spawn(&sp, err, sizeof err);
 *   ... proc_stop(pid, PROC_GRACE_MS, note, sizeof note);
 *
 * proc_install_signals() makes SIGINT/SIGTERM/SIGHUP of the harness send
 * SIGTERM to every live child group at once and set proc_interrupted; the
 * stages check that flag and unwind, stopping what they started. */
#ifndef HARNESS_PROC_H
#define HARNESS_PROC_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define PROC_GRACE_MS 5000 /* SIGTERM to SIGKILL; the servers' own grace */
/* Live children at once: the server, a load generator or one ssh per load
 * host, probes, a cleanup. A child that finds no slot is killed and
 * proc_spawn fails: one the interrupt handler cannot reach must not run. */
#define PROC_MAX 64

struct cgroup;

struct proc_spec {
    char *const *argv;       /* argv[0] is a path or a name in PATH */
    const cpu_set_t *cpus;   /* NULL: not pinned */
    const struct cgroup *cgroup; /* NULL: stays in the harness's group */
    int stdout_fd, stderr_fd;/* -1: /dev/null */
};

extern volatile sig_atomic_t proc_interrupted;

void proc_install_signals(void);
/* Raises RLIMIT_NOFILE as far as allowed; returns the new soft limit. */
long proc_raise_nofile(void);

pid_t proc_spawn(const struct proc_spec *sp, char *err, size_t errlen);
/* Waits up to timeout_ms for pid to exit (reaping it, usage filled if not
 * NULL). Returns 1 exited, 0 still running, -1 error. */
int proc_wait(pid_t pid, int timeout_ms, int *status, struct rusage *usage);
/* SIGTERM to the group, SIGKILL after grace_ms; note says what happened. */
int proc_stop(pid_t pid, int grace_ms, int *status, char *note, size_t notelen);
void proc_describe(int status, char *out, size_t outlen); /* "exit 3" */
void proc_forget(pid_t pid);

#endif
