/* Child processes: every child the harness starts is one its interrupt
 * handler can reach; past PROC_MAX proc_spawn refuses instead of starting
 * one that Ctrl-C would leave running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "proc.h"

static void interrupt_reaches_every_child(void **state)
{
    (void)state;
    char *argv[] = {"sleep", "60", NULL};
    struct proc_spec sp = {.argv = argv, .stdout_fd = -1, .stderr_fd = -1};
    pid_t pids[PROC_MAX];
    char err[256];
    proc_install_signals();
    for (int i = 0; i < PROC_MAX; i++) {
        pids[i] = proc_spawn(&sp, err, sizeof err);
        if (pids[i] <= 0)
            fail_msg("child %d of %d: %s", i + 1, PROC_MAX, err);
    }
    char want[64];
    snprintf(want, sizeof want, "more than %d child processes", PROC_MAX);
    assert_int_equal(proc_spawn(&sp, err, sizeof err), -1);
    assert_non_null(strstr(err, want));
    raise(SIGINT);
    assert_int_equal(proc_interrupted, SIGINT);
    for (int i = 0; i < PROC_MAX; i++) {
        int status = 0;
        assert_int_equal(proc_wait(pids[i], 10000, &status, NULL), 1);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupt_reaches_every_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
