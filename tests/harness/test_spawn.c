/* Child processes: every child the harness starts is one its interrupt
 * handler can reach; past SPAWN_MAX spawn_child refuses instead of starting
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

#include "spawn.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interrupt_reaches_every_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
