/* Child processes: spawn pinned in a new group, wait with a deadline, stop
 * with SIGTERM then SIGKILL, and kill every group on an interrupt. */
#include "base/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cgroup.h"
#include "base/util.h"

#define SPAWN_WAIT_STEP_MS 10

volatile sig_atomic_t spawn_interrupted;
static volatile pid_t live[SPAWN_MAX];

static void on_interrupt(int sig)
{
    spawn_interrupted = sig;
    for (int i = 0; i < SPAWN_MAX; i++)
        if (live[i] > 0)
            kill(-live[i], SIGTERM);
}

void spawn_install_signals(void)
{
    struct sigaction sa = {.sa_handler = on_interrupt};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static char nofile_note[320] = "not raised";

static long read_nr_open(void)
{
    long nr_open = -1;
    FILE *f = fopen("/proc/sys/fs/nr_open", "r");
    if (f) {
        if (fscanf(f, "%ld", &nr_open) != 1)
            nr_open = -1;
        fclose(f);
    }
    return nr_open;
}

/* The hard limit can go up only as far as fs.nr_open, and only with
 * CAP_SYS_RESOURCE (root, unless a container took the capability away). */
long spawn_raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return -1;
    long was = (long)rl.rlim_cur, hard = (long)rl.rlim_max, nr_open = read_nr_open();
    if (rl.rlim_cur == RLIM_INFINITY || was >= need) {
        snprintf(nofile_note, sizeof nofile_note, "%ld as found, enough for the %ld "
                 "wanted", was, need);
        return was;
    }
    long want = nr_open > 0 && need > nr_open ? nr_open : need;
    const char *refused = NULL;
    if (want > hard) {
        struct rlimit up = {(rlim_t)want, (rlim_t)want};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl = up;
        else
            refused = strerror(errno);
    }
    if (rl.rlim_cur < rl.rlim_max && (long)rl.rlim_cur < want) {
        rl.rlim_cur = (rlim_t)want < rl.rlim_max ? (rlim_t)want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    long now = (long)rl.rlim_cur;
    int len = snprintf(nofile_note, sizeof nofile_note, "%ld, raised from %ld; %ld wanted",
                       now, was, need);
    if (now == was)
        len = snprintf(nofile_note, sizeof nofile_note, "%ld as found; %ld wanted", now, need);
    if (refused)
        snprintf(nofile_note + len, sizeof nofile_note - (size_t)len,
                 "; the hard limit (ulimit -Hn) is %ld, and raising it was refused: %s "
                 "(it needs CAP_SYS_RESOURCE; fs.nr_open allows %ld)", hard, refused,
                 nr_open);
    else if (now < need)
        snprintf(nofile_note + len, sizeof nofile_note - (size_t)len,
                 "; fs.nr_open allows no more than %ld", nr_open);
    return now;
}

const char *spawn_nofile_note(void)
{
    return nofile_note;
}

static int remember(pid_t pid)
{
    for (int i = 0; i < SPAWN_MAX; i++)
        if (live[i] == 0) {
            live[i] = pid;
            return 0;
        }
    return -1;
}

void spawn_forget(pid_t pid)
{
    for (int i = 0; i < SPAWN_MAX; i++)
        if (live[i] == pid)
            live[i] = 0;
}

/* In the child: own group, die with the harness, pinned, fds, exec. Any
 * failure is written as an errno to the CLOEXEC pipe the parent reads. */
static void child_exec(const struct spawn_spec *sp, int errfd)
{
    int e = 0;
    sigset_t none;
    sigemptyset(&none);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null < 0 || (sp->cpus && sched_setaffinity(0, sizeof *sp->cpus, sp->cpus)) ||
        (sp->cgroup && cgroup_enter(sp->cgroup)) ||
        dup2(null, 0) < 0 ||
        dup2(sp->stdout_fd >= 0 ? sp->stdout_fd : null, 1) < 0 ||
        dup2(sp->stderr_fd >= 0 ? sp->stderr_fd : null, 2) < 0)
        e = errno;
    if (!e) {
        execvp(sp->argv[0], sp->argv);
        e = errno;
    }
    if (write(errfd, &e, sizeof e) < 0)
        _exit(127);
    _exit(127);
}

pid_t spawn_child(const struct spawn_spec *sp, char *err, size_t errlen)
{
    int p[2], e = 0;
    if (pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0)
        child_exec(sp, p[1]);
    setpgid(pid, pid); /* also here: no race with an early kill(-pid) */
    close(p[1]);
    if (remember(pid)) {
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(p[0]);
        snprintf(err, errlen, "exec %s: more than %d child processes at once",
                 sp->argv[0], SPAWN_MAX);
        return -1;
    }
    ssize_t n;
    do
        n = read(p[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(p[0]);
    if (n == (ssize_t)sizeof e) {
        snprintf(err, errlen, "exec %s: %s", sp->argv[0], strerror(e));
        spawn_wait(pid, 1000, NULL, NULL);
        return -1;
    }
    return pid;
}

int spawn_wait(pid_t pid, int timeout_ms, int *status, struct rusage *usage)
{
    double deadline = util_now() + timeout_ms / 1000.0;
    int st;
    for (;;) {
        pid_t r = wait4(pid, &st, WNOHANG, usage);
        if (r == pid) {
            spawn_forget(pid);
            if (status)
                *status = st;
            return 1;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (util_now() >= deadline)
            return 0;
        util_sleep_ms(SPAWN_WAIT_STEP_MS);
    }
}

int spawn_stop(pid_t pid, int grace_ms, int *status, char *note, size_t notelen)
{
    int st = 0, r;
    note[0] = '\0';
    if (kill(-pid, SIGTERM) && errno != ESRCH)
        snprintf(note, notelen, "kill SIGTERM: %s", strerror(errno));
    r = spawn_wait(pid, grace_ms, &st, NULL);
    if (r == 0) {
        kill(-pid, SIGKILL);
        r = spawn_wait(pid, 2000, &st, NULL);
        snprintf(note, notelen, "did not stop within %d ms of SIGTERM: SIGKILL",
                 grace_ms);
    } else {
        kill(-pid, SIGKILL); /* children that outlived their parent */
    }
    if (status)
        *status = st;
    return r == 1 ? 0 : -1;
}

void spawn_describe(int status, char *out, size_t outlen)
{
    if (WIFEXITED(status))
        snprintf(out, outlen, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, outlen, "killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 WCOREDUMP(status) ? ", core dumped" : "");
    else
        snprintf(out, outlen, "wait status 0x%x", status);
}
