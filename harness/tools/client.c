/* Load generator processes (see client.h). */
#include "tools/client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/spawn.h"
#include "base/util.h"

int client_start(struct client_run *c, char *const argv[], const cpu_set_t *cpus,
                 double max_s, char *err, size_t errlen)
{
    int p[2];
    const char *name = c->name;
    memset(c, 0, sizeof *c);
    c->name = name ? name : argv[0];
    c->out_fd = -1;
    if (pipe2(p, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    struct spawn_spec sp = {.argv = argv, .cpus = cpus, .stdout_fd = p[1],
                           .stderr_fd = p[1]};
    c->pid = spawn_child(&sp, err, errlen);
    close(p[1]);
    c->out_fd = p[0];
    c->deadline = util_now() + max_s;
    if (c->pid < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK)) {
        if (c->pid >= 0)
            snprintf(err, errlen, "fcntl: %s", strerror(errno));
        client_abort(c);
        close(p[0]);
        c->out_fd = -1;
        return -1;
    }
    return 0;
}

static void read_output(struct client_run *c)
{
    for (;;) {
        char scratch[4096];
        size_t room = sizeof c->out - 1 - c->out_len;
        /* Keep the tail: the report line comes last. */
        char *dst = room ? c->out + c->out_len : scratch;
        ssize_t n = read(c->out_fd, dst, room ? room : sizeof scratch);
        if (n <= 0)
            return;
        if (room)
            c->out_len += (size_t)n;
        else {
            size_t keep = sizeof c->out / 2;
            memmove(c->out, c->out + c->out_len - keep, keep);
            memcpy(c->out + keep, scratch, (size_t)n);
            c->out_len = keep + (size_t)n;
        }
        c->out[c->out_len] = '\0';
    }
}

int client_poll(struct client_run *c, int timeout_ms)
{
    struct pollfd p = {.fd = c->out_fd, .events = POLLIN};
    if (c->pid <= 0)
        return 1;
    if (poll(&p, 1, timeout_ms) > 0)
        read_output(c);
    pid_t r = wait4(c->pid, &c->status, WNOHANG, &c->usage);
    if (r == c->pid) {
        spawn_forget(c->pid);
        c->pid = 0;
        read_output(c);
        return 1;
    }
    if (util_now() > c->deadline || spawn_interrupted) {
        c->killed = !spawn_interrupted;
        client_abort(c);
        return 1;
    }
    return 0;
}

int client_finish(struct client_run *c, char *err, size_t errlen)
{
    while (client_poll(c, 100) == 0)
        ;
    if (c->out_fd >= 0)
        close(c->out_fd);
    c->out_fd = -1;
    if (c->killed) {
        snprintf(err, errlen, "%s still running past its deadline: killed", c->name);
        return -1;
    }
    return 0;
}

void client_abort(struct client_run *c)
{
    if (c->pid > 0) {
        kill(-c->pid, SIGKILL);
        spawn_wait(c->pid, 2000, &c->status, &c->usage);
        c->pid = 0;
    }
}

double client_cpu_s(const struct client_run *c)
{
    return (double)c->usage.ru_utime.tv_sec + c->usage.ru_utime.tv_usec / 1e6 +
           (double)c->usage.ru_stime.tv_sec + c->usage.ru_stime.tv_usec / 1e6;
}

void client_describe_failure(struct client_run *c, char *err, size_t errlen)
{
    char st[128];
    spawn_describe(c->status, st, sizeof st);
    size_t end = c->out_len;
    while (end > 0 && (c->out[end - 1] == '\n' || c->out[end - 1] == '\r'))
        end--;
    c->out[end] = '\0';           /* its last line says why */
    const char *nl = strrchr(c->out, '\n');
    snprintf(err, errlen, "%s gave no report line (%s): %.200s", c->name, st,
             nl ? nl + 1 : c->out);
}
