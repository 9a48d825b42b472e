/* /proc accounting: stat parsing, /proc/stat parsing, and a real process
 * tree whose reaped children must still count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "measure/sample.h"

#define BURN_S 0.3

static void parses_stat_with_a_hostile_comm(void **state)
{
    (void)state;
    struct sample_stat st;
    /* comm may hold spaces and ')': the fields start after the last ')'. */
    const char *text = "4242 (a) b) (c d) S 17 4242 4242 0 -1 4194560 100 0 0 0 "
                       "250 75 30 12 20 0 3 0 123456 9999999 321 18446744073709551615"
                       " 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    assert_int_equal(sample_parse_stat(text, &st), 0);
    assert_int_equal(st.pid, 4242);
    assert_int_equal(st.ppid, 17);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.utime, 250);
    assert_int_equal(st.stime, 75);
    assert_int_equal(st.cutime, 30);
    assert_int_equal(st.cstime, 12);
    assert_int_equal(st.threads, 3);
    assert_int_equal(st.rss_pages, 321);
    assert_int_equal(sample_parse_stat("4242 (truncated", &st), -1);
    assert_int_equal(sample_parse_stat("4242 (x) S 1 2", &st), -1);
}

static void sums_proc_stat_over_a_cpu_set(void **state)
{
    (void)state;
    const char *text =
        "cpu  1000 10 500 9000 5 1 2 30 0 0\n"
        "cpu0 400 0 200 4000 2 1 1 10 0 0\n"
        "cpu1 600 10 300 5000 3 0 1 20 0 0\n"
        "intr 12345\n";
    cpu_set_t one, none;
    struct sample_cpus c;
    CPU_ZERO(&one);
    CPU_SET(1, &one);
    CPU_ZERO(&none);
    CPU_SET(7, &none);
    long hz = sysconf(_SC_CLK_TCK);
    assert_int_equal(sample_parse_cpus(text, &one, &c), 0);
    assert_true(c.busy_s * hz > 909.9 && c.busy_s * hz < 910.1);
    assert_true(c.steal_s * hz > 19.9 && c.steal_s * hz < 20.1);
    assert_true(c.total_s * hz > 5933.9 && c.total_s * hz < 5934.1);
    assert_int_equal(sample_parse_cpus(text, &none, &c), -1);
}

static void burn(double seconds)
{
    struct rusage ru;
    volatile unsigned long x = 0;
    do {
        for (int i = 0; i < 1000000; i++)
            x += (unsigned long)i;
        getrusage(RUSAGE_SELF, &ru);
    } while (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
             ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6 < seconds);
}

/* The child: a grandchild that burns and is reaped, then one that burns
 * and stays. Writes a byte when both burnt, then waits to be killed. */
static void child_tree(int ready)
{
    pid_t g = fork();
    if (g == 0) {
        burn(BURN_S);
        _exit(0);
    }
    waitpid(g, NULL, 0);
    int p[2];
    if (pipe(p))
        _exit(1);
    if (fork() == 0) {
        burn(BURN_S);
        if (write(p[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    if (read(p[0], &c, 1) != 1 || write(ready, "x", 1) != 1)
        _exit(1);
    pause();
    _exit(0);
}

static void counts_live_and_reaped_children(void **state)
{
    (void)state;
    int p[2];
    char c;
    assert_int_equal(pipe(p), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        setpgid(0, 0);
        child_tree(p[1]);
    }
    setpgid(child, child);
    assert_int_equal(read(p[0], &c, 1), 1);
    struct sample_tree t;
    int r = sample_tree(child, &t);
    kill(-child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_equal(r, 0);
    assert_int_equal(t.procs, 2);       /* child and the live grandchild */
    assert_true(t.tasks >= 2);
    assert_true(t.rss_kb > 0);
    /* Both grandchildren burnt BURN_S: one is in the child's cutime. Tick
     * rounding allows a little less. */
    assert_true(sample_cpu_s(&t) >= 2 * BURN_S - 0.05);
}

static void missing_root_is_an_error(void **state)
{
    (void)state;
    struct sample_tree t;
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    assert_int_equal(sample_tree(gone, &t), -1);
}

/* A listener on port 0, n clients connected to it: the server side's
 * sockets count whether accepted or still queued, the listener and the
 * clients' own sockets do not, and closed connections leave the count. */
static void counts_a_servers_tcp_connections(void **state)
{
    (void)state;
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), c[3], a[3];
    long n = -1;
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 8), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    int port = ntohs(sa.sin_port);
    assert_int_equal(sample_tcp_conns(port, &n), 0);
    assert_int_equal(n, 0);
    for (int i = 0; i < 3; i++) {
        c[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(c[i], (struct sockaddr *)&sa, sizeof sa), 0);
    }
    /* queued, not accepted; waited for, as the kernel may finish a
     * handshake after connect() returned */
    for (int tries = 0; tries < 500 && sample_tcp_conns(port, &n) == 0 && n < 3; tries++)
        usleep(10000);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++)
        assert_true((a[i] = accept(lfd, NULL, NULL)) >= 0);
    assert_int_equal(sample_tcp_conns(port, &n), 0);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        close(a[i]); /* the server closes first: it keeps TIME_WAIT, not counted */
        close(c[i]);
    }
    for (int tries = 0; tries < 200 && sample_tcp_conns(port, &n) == 0 && n > 0; tries++)
        usleep(10000);
    assert_int_equal(n, 0);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_stat_with_a_hostile_comm),
        cmocka_unit_test(sums_proc_stat_over_a_cpu_set),
        cmocka_unit_test(counts_live_and_reaped_children),
        cmocka_unit_test(missing_root_is_an_error),
        cmocka_unit_test(counts_a_servers_tcp_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
