/* Child processes: every child the harness starts is one its interrupt
 * handler can reach; past SPAWN_MAX spawn_child refuses instead of starting
 * one that Ctrl-C would leave running. A child in a control group has its
 * CPU time counted there exactly (as the kernel's rusage of the child and
 * its reaped children says), also when it sleeps between scheduler ticks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <unistd.h>

#include "base/cgroup.h"
#include "base/spawn.h"

static void cgroup_counts_exact_cpu(void **state)
{
    (void)state;
    struct cgroup g;
    char name[64], err[256];
    snprintf(name, sizeof name, "c10k-test-spawn-%d", (int)getpid());
    if (cgroup_create(&g, name, err, sizeof err) || !g.ok)
        skip(); /* not root or no cgroupfs: the harness falls back to /proc */
    /* Short bursts (a fork and an exec) between 3 ms sleeps: the pattern a
     * tick-sampled count gets wrong. */
    char *argv[] = {"sh", "-c", "for i in $(seq 150); do sleep 0.003; done", NULL};
    struct spawn_spec sp = {.argv = argv, .cgroup = &g, .stdout_fd = -1, .stderr_fd = -1};
    struct cgroup_cpu before, after;
    int status = 0, ok = cgroup_cpu(&g, &before) == 0;
    struct rusage ru;
    pid_t pid = spawn_child(&sp, err, sizeof err);
    ok = ok && pid > 0 && spawn_wait(pid, 50000, &status, &ru) == 1 &&
         cgroup_cpu(&g, &after) == 0;
    cgroup_remove(&g); /* before any assertion, so that none leaves it behind */
    if (!ok)
        fail_msg("could not run a child in %s: %s", name, pid > 0 ? "no CPU reading" : err);
    double user_s, sys_s;
    cgroup_cpu_between(&before, &after, &user_s, &sys_s);
    double cg = user_s + sys_s;
    double own = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    /* The child joins the group just before exec: the little it ran
     * before counts in its rusage only. */
    if (!(cg >= own * 0.95 - 0.005 && cg <= own * 1.05 + 0.005))
        fail_msg("cgroup counted %.4f s of CPU, the child and its children %.4f s", cg, own);
    assert_true(user_s >= 0 && sys_s >= 0);
}

static void interrupt_reaches_every_child(void **state)
{
    (void)state;
    char *argv[] = {"sleep", "60", NULL};
    struct spawn_spec sp = {.argv = argv, .stdout_fd = -1, .stderr_fd = -1};
    pid_t pids[SPAWN_MAX];
    char err[256];
    spawn_install_signals();
    for (int i = 0; i < SPAWN_MAX; i++) {
        pids[i] = spawn_child(&sp, err, sizeof err);
        if (pids[i] <= 0)
            fail_msg("child %d of %d: %s", i + 1, SPAWN_MAX, err);
    }
    char want[64];
    snprintf(want, sizeof want, "more than %d child processes", SPAWN_MAX);
    assert_int_equal(spawn_child(&sp, err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    raise(SIGINT);
    assert_int_equal(spawn_interrupted, SIGINT);
    for (int i = 0; i < SPAWN_MAX; i++) {
        int status = 0;
        assert_int_equal(spawn_wait(pids[i], 10000, &status, NULL), 1);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    }
}

/* RLIMIT_NOFILE goes up to what is asked, never down, and where the hard
 * limit stops it the note names the setting. In a child, so that the
 * harness's own test process keeps its limits. */
static int raise_in_child(void)
{
    struct rlimit low = {256, 1024}; /* lowering is always allowed */
    if (setrlimit(RLIMIT_NOFILE, &low))
        return 10;
    if (spawn_raise_nofile(100) != 256) /* enough already: left alone */
        return 11;
    if (spawn_raise_nofile(512) != 512 || !strstr(spawn_nofile_note(), "raised from 256"))
        return 12;
    long got = spawn_raise_nofile(2048); /* above the hard limit */
    if (got == 2048) /* root with CAP_SYS_RESOURCE raised the hard limit too */
        return 0;
    if (got != 1024 || !strstr(spawn_nofile_note(), "ulimit -Hn") ||
        !strstr(spawn_nofile_note(), "CAP_SYS_RESOURCE"))
        return 13;
    return 0;
}

static void nofile_raised_as_needed(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(raise_in_child());
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cgroup_counts_exact_cpu),
        cmocka_unit_test(interrupt_reaches_every_child),
        cmocka_unit_test(nofile_raised_as_needed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
