/* select: beyond the tutorials, the oldest way to wait for many sockets and
 * what it costs: the reactor over pselect(2). Two descriptor sets say what
 * each socket waits for; select overwrites its arguments, so they are copied
 * before every wait, and the result is scanned bit by bit up to the highest
 * descriptor: O(highest descriptor) per wake-up, whatever is ready.
 *
 * An fd_set is a bitmap of FD_SETSIZE (1024) bits and FD_SET on a larger
 * descriptor writes past it, so the connection table stops at FD_SETSIZE:
 * a connection above it is closed unserved, counted as refused, with one
 * warning. pselect installs server_waitmask for the wait only, so a signal
 * cannot slip in between checking for it and going to sleep. */
#include <errno.h>
#include <stdlib.h>
#include <sys/select.h>

#include "reactor.h"

static const struct server_model MODEL = {
    .name = "select",
    .summary = "one pselect loop; descriptors above FD_SETSIZE are refused",
};

struct select_state {
    fd_set rd, wr;         /* what each descriptor waits for */
    int max_fd;            /* highest descriptor in rd or wr, or -1 */
};

static int select_open(struct reactor *r)
{
    struct select_state *st = malloc(sizeof *st);
    if (!st)
        return -1;
    FD_ZERO(&st->rd);
    FD_ZERO(&st->wr);
    st->max_fd = -1;
    r->be_state = st;
    return 0;
}

static void select_close(struct reactor *r)
{
    free(r->be_state);
}

static int select_modify(struct reactor *r, int fd, int events)
{
    struct select_state *st = r->be_state;
    FD_CLR(fd, &st->rd);
    FD_CLR(fd, &st->wr);
    if (events & REACTOR_READ)
        FD_SET(fd, &st->rd);
    if (events & REACTOR_WRITE)
        FD_SET(fd, &st->wr);
    if (fd > st->max_fd)
        st->max_fd = fd;
    return 0;
}

static int select_del(struct reactor *r, int fd)
{
    struct select_state *st = r->be_state;
    FD_CLR(fd, &st->rd);
    FD_CLR(fd, &st->wr);
    while (st->max_fd >= 0 && !FD_ISSET(st->max_fd, &st->rd) &&
           !FD_ISSET(st->max_fd, &st->wr))
        st->max_fd--;
    return 0;
}

static int select_wait(struct reactor *r, int timeout_ms)
{
    struct select_state *st = r->be_state;
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    fd_set rd = st->rd, wr = st->wr;
    int n = pselect(st->max_fd + 1, &rd, &wr, NULL, timeout_ms < 0 ? NULL : &ts,
                    r->signals ? &server_waitmask : NULL);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    int ready = 0;
    for (int fd = 0; ready < n && fd <= st->max_fd; fd++)
        if (FD_ISSET(fd, &rd) || FD_ISSET(fd, &wr))
            r->fired[ready++] = fd;
    return ready;
}

static const struct reactor_backend select_backend = {
    .open_call = "select setup",
    .wait_call = "pselect",
    .ctl_call = "FD_SET",
    .max_fds = FD_SETSIZE,
    .limit = "FD_SETSIZE",
    .batch = FD_SETSIZE,
    .open = select_open,
    .close = select_close,
    .add = select_modify,
    .modify = select_modify,
    .del = select_del,
    .wait = select_wait,
};

int main(int argc, char **argv)
{
    return reactor_main(&MODEL, &select_backend, argc, argv);
}
