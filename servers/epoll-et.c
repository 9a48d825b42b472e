/* epoll-et: the edge-triggered epoll server, one reactor. Each socket is
 * registered once for both directions with EPOLLET and never modified: an
 * edge is reported when new input arrives or send space opens up, and never
 * again for the same readiness. So every handler must drain until EAGAIN
 * or it may wait forever: the reactor accepts until EAGAIN, and conn_step()
 * reads and writes until EAGAIN (a pipelined burst larger than one read
 * included), which costs one read per request that level-triggered epoll
 * saves, and saves the epoll_ctl calls that level-triggered epoll makes
 * when a connection switches direction.
 *
 * With both directions registered, an edge only for the direction the
 * connection does not wait for (send space while it reads; input while its
 * response is stuck, which the step after the next EPOLLOUT reads) changes
 * nothing: the wait drops it instead of stepping into EAGAIN. At EMFILE,
 * server_accept() closes every pending connection through its reserved
 * descriptor before returning EAGAIN, so the backlog is empty and the next
 * client makes a new edge: the listener neither spins nor goes deaf. */
#include "reactor_epoll.h"

static const struct server_model MODEL = {
    .name = "epoll-et",
    .summary = "one edge-triggered epoll reactor, every socket drained to EAGAIN",
};

/* Registration reports the current state as a first edge, so a request
 * that arrived before it is stepped from that event. */
static int et_add(struct reactor *r, int fd, int events)
{
    (void)events;
    uint32_t both = fd == r->listen_fd ? EPOLLIN : EPOLLIN | EPOLLOUT;
    return reactor_epoll_ctl(r, EPOLL_CTL_ADD, fd, both | EPOLLET);
}

static int et_modify(struct reactor *r, int fd, int events)
{
    (void)r, (void)fd, (void)events;
    return 0; /* registered for both directions already */
}

/* Passes on the edges a connection waits for; errors and hang-ups always. */
static int et_wait(struct reactor *r, int timeout_ms)
{
    struct epoll_event *ev;
    int n = reactor_epoll_pwait(r, timeout_ms, &ev), ready = 0;
    for (int i = 0; i < n; i++) {
        int fd = ev[i].data.fd;
        /* A database socket's events all go to libpq, which asks again. */
        bool database = reactor_backend_conn(r, fd) != NULL;
        if (fd != r->listen_fd && fd < r->max_fd && !database) {
            unsigned w = reactor_conn(r, fd)->waiting;
            uint32_t wanted = (w & REACTOR_READ ? EPOLLIN : 0) |
                              (w & REACTOR_WRITE ? EPOLLOUT : 0) | EPOLLERR | EPOLLHUP;
            if (!(ev[i].events & wanted))
                continue;
        }
        r->fired[ready++] = fd;
    }
    return n < 0 ? n : ready;
}

static const struct reactor_backend epoll_et = {
    .open_call = "epoll_create1",
    .wait_call = "epoll_pwait",
    .ctl_call = "epoll_ctl",
    .batch = REACTOR_EPOLL_BATCH,
    .edge_triggered = true,
    .open = reactor_epoll_open,
    .close = reactor_epoll_close,
    .add = et_add,
    .modify = et_modify,
    .del = reactor_epoll_del,
    .wait = et_wait,
};

int main(int argc, char **argv)
{
    return reactor_main(&MODEL, &epoll_et, argc, argv);
}
