/* poll: beyond the tutorials, select without its descriptor limit but with
 * its walk over everything open: the reactor over ppoll(2) and a compact
 * pollfd array, the open descriptors in no particular order, no holes. When
 * one is deleted, the last entry moves into its place, so the array the
 * kernel walks is never longer than what is open. An entry finds its
 * descriptor in it; a descriptor finds its entry through slot_of.
 *
 * Unlike select there is no descriptor limit, but the whole array is copied
 * into the kernel and walked on every wait, and walked again here to find
 * what is ready: O(connections) per wake-up, however few are ready. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "reactor.h"

static const struct server_model MODEL = {
    .name = "poll",
    .summary = "one ppoll loop over a compact pollfd array",
};

struct poll_state {
    struct pollfd *pfds;   /* the watched descriptors, no holes */
    int n;                 /* entries in use */
    int *slot_of;          /* descriptor -> its entry */
};

static int poll_open(struct reactor *r)
{
    struct poll_state *st = malloc(sizeof *st);
    if (!st)
        return -1;
    st->n = 0;
    st->pfds = malloc(sizeof *st->pfds * (size_t)r->max_fd);
    st->slot_of = malloc(sizeof *st->slot_of * (size_t)r->max_fd);
    if (!st->pfds || !st->slot_of) {
        free(st->pfds);
        free(st->slot_of);
        free(st);
        return -1;
    }
    r->be_state = st;
    return 0;
}

static void poll_close(struct reactor *r)
{
    struct poll_state *st = r->be_state;
    free(st->pfds);
    free(st->slot_of);
    free(st);
}

static short poll_events(int events)
{
    return (short)((events & REACTOR_READ ? POLLIN : 0) |
                   (events & REACTOR_WRITE ? POLLOUT : 0));
}

static int poll_add(struct reactor *r, int fd, int events)
{
    struct poll_state *st = r->be_state;
    st->slot_of[fd] = st->n;
    st->pfds[st->n++] = (struct pollfd){.fd = fd, .events = poll_events(events)};
    return 0;
}

static int poll_modify(struct reactor *r, int fd, int events)
{
    struct poll_state *st = r->be_state;
    st->pfds[st->slot_of[fd]].events = poll_events(events);
    return 0;
}

static int poll_del(struct reactor *r, int fd)
{
    struct poll_state *st = r->be_state;
    struct pollfd last = st->pfds[--st->n]; /* fills the hole */
    st->pfds[st->slot_of[fd]] = last;
    st->slot_of[last.fd] = st->slot_of[fd];
    return 0;
}

static int poll_wait(struct reactor *r, int timeout_ms)
{
    struct poll_state *st = r->be_state;
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    int n = ppoll(st->pfds, (nfds_t)st->n, timeout_ms < 0 ? NULL : &ts,
                  r->signals ? &server_waitmask : NULL);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    int ready = 0;
    for (int i = 0; ready < n && i < st->n; i++)
        if (st->pfds[i].revents)
            r->fired[ready++] = st->pfds[i].fd;
    return ready;
}

static const struct reactor_backend poll_backend = {
    .open_call = "poll setup",
    .wait_call = "ppoll",
    .ctl_call = "pollfd array",
    .open = poll_open,
    .close = poll_close,
    .add = poll_add,
    .modify = poll_modify,
    .del = poll_del,
    .wait = poll_wait,
};

int main(int argc, char **argv)
{
    return reactor_main(&MODEL, &poll_backend, argc, argv);
}
