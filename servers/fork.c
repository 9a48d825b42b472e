/* fork: a process per connection. The parent only accepts; each child
 * serves one connection with the blocking-style loop and exits. Children are
 * reaped as SIGCHLD arrives, so none is left a zombie. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "server.h"

static const struct server_model MODEL = {
    .name = "fork",
    .summary = "a process per connection",
};

static pid_t *kids;        /* live children, unordered */
static size_t nkids, capkids;

static void reap(void)
{
    pid_t pid;
    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
        for (size_t i = 0; i < nkids; i++) {
            if (kids[i] == pid) {
                kids[i] = kids[--nkids];
                break;
            }
        }
    }
}

static void remember(pid_t pid)
{
    if (nkids == capkids) {
        size_t cap = capkids ? capkids * 2 : 64;
        pid_t *p = realloc(kids, cap * sizeof *p);
        if (!p)
            return; /* still reaped by waitpid(-1), just not signalled at stop */
        kids = p;
        capkids = cap;
    }
    kids[nkids++] = pid;
}

static void serve_in_child(struct server *s, int fd)
{
    pid_t pid = fork();
    if (pid == 0) {
        server_close_listener(s);
        if (conn_serve_blocking(fd) < 0) {
            fprintf(stderr, "fork: ppoll: %s\n", strerror(errno));
            _exit(1);
        }
        _exit(0);
    }
    if (pid < 0) { /* process limit: this client is refused, not hung */
        fprintf(stderr, "fork: fork: %s\n", strerror(errno));
        server_refuse(fd);
        return;
    }
    close(fd);
    remember(pid);
}

/* Children finish their in-flight response on SIGTERM; after the grace
 * period the stragglers are killed. */
static void stop_children(void)
{
    for (size_t i = 0; i < nkids; i++)
        kill(kids[i], SIGTERM);
    int64_t until = clock_now_ms() + SERVER_GRACE_MS;
    while (nkids > 0 && clock_now_ms() < until) {
        usleep(10 * 1000);
        reap();
    }
    for (size_t i = 0; i < nkids; i++)
        kill(kids[i], SIGKILL);
    while (nkids > 0 && waitpid(-1, NULL, 0) > 0)
        reap();
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    /* glibc's gmtime_r loads the time zone on its first call, even for UTC
     * (it opens and parses /etc/localtime). Load it here, once, so that the
     * children inherit it instead of each paying seven system calls and a
     * file parse for its first Date header. */
    tzset();
    bool failed = server_watch_children() < 0; /* SIGCHLD ends the wait */
    if (failed)
        fprintf(stderr, "fork: SIGCHLD: %s\n", strerror(errno));
    while (!failed && !server_stopping()) {
        if (server_wait(s.listen_fd, POLLIN, -1) < 0) {
            fprintf(stderr, "fork: ppoll: %s\n", strerror(errno));
            failed = true;
        }
        reap();
        /* A bounded batch: signals are let in only inside the wait, and a
         * flood of connections must not keep SIGTERM or SIGUSR1 out. */
        int fd;
        for (int i = 0;
             i < SERVER_ACCEPT_BATCH && (fd = server_accept(s.listen_fd)) >= 0; i++)
            serve_in_child(&s, fd);
    }
    server_close_listener(&s);
    stop_children();
    free(kids);
    return failed ? 1 : server_finish(&s);
}
