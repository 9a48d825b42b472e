/* Child processes of the harness (servers, wrk, probes): spawned in their
 * own process group, pinned, killed with their group, never left behind.
 *
 *   struct spawn_spec sp = {.argv = argv, .cpus = &server_cpus,
 *                          .stdout_fd = pipe_w, .stderr_fd = log_fd};
 *   pid_t pid = spawn_child(&sp, err, sizeof err);
 *   ... spawn_stop(pid, SPAWN_GRACE_MS, note, sizeof note);
 *
 * spawn_install_signals() makes SIGINT/SIGTERM/SIGHUP of the harness send
 * SIGTERM to every live child group at once and set spawn_interrupted; the
 * stages check that flag and unwind, stopping what they started. */
#ifndef HARNESS_SPAWN_H
#define HARNESS_SPAWN_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SPAWN_GRACE_MS 5000 /* SIGTERM to SIGKILL; the servers' own grace */
/* Live children at once: the server, a load generator or one ssh per load
 * host, probes, a cleanup. A child that finds no slot is killed and
 * spawn_child fails: one the interrupt handler cannot reach must not run. */
#define SPAWN_MAX 64

struct cgroup;

struct spawn_spec {
    char *const *argv;       /* argv[0] is a path or a name in PATH */
    const cpu_set_t *cpus;   /* NULL: not pinned */
    const struct cgroup *cgroup; /* NULL: stays in the harness's group */
    int stdout_fd, stderr_fd;/* -1: /dev/null */
};

extern volatile sig_atomic_t spawn_interrupted;

void spawn_install_signals(void);
/* Raises RLIMIT_NOFILE (this process's, so its children's) to need
 * descriptors when it is lower, as far as the system allows: the soft
 * limit up to the hard one, then, with CAP_SYS_RESOURCE, both up to
 * fs.nr_open. Never lowers it. Returns the soft limit now, or -1. */
long spawn_raise_nofile(long need);
/* What spawn_raise_nofile did, for meta.txt and skipped steps: "20000 as
 * found; 20128 wanted; the hard limit (ulimit -Hn) is 20000, and raising
 * it was refused: ... (it needs CAP_SYS_RESOURCE; fs.nr_open allows ...)". */
const char *spawn_nofile_note(void);

pid_t spawn_child(const struct spawn_spec *sp, char *err, size_t errlen);
/* Waits up to timeout_ms for pid to exit (reaping it, usage filled if not
 * NULL). Returns 1 exited, 0 still running, -1 error. */
int spawn_wait(pid_t pid, int timeout_ms, int *status, struct rusage *usage);
/* SIGTERM to the group, SIGKILL after grace_ms; note says what happened. */
int spawn_stop(pid_t pid, int grace_ms, int *status, char *note, size_t notelen);
void spawn_describe(int status, char *out, size_t outlen); /* "exit 3" */
void spawn_forget(pid_t pid);

#endif
