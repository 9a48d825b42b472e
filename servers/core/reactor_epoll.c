/* The level-triggered epoll backend: register once, modify when what the
 * connection waits for changes, delete before closing (the tutorials'
 * epoll server crashed by deleting a descriptor it had closed already). A
 * level-triggered report repeats while the condition holds, so a handler
 * may stop early (an accept batch, a short read) and hear of the rest. */
#include "reactor_epoll.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct epoll_state {
    int ep;
    struct epoll_event events[REACTOR_EPOLL_BATCH];
};

int reactor_epoll_open(struct reactor *r)
{
    struct epoll_state *st = malloc(sizeof *st);
    if (!st)
        return -1;
    if ((st->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        free(st);
        return -1;
    }
    r->be_state = st;
    return 0;
}

void reactor_epoll_close(struct reactor *r)
{
    struct epoll_state *st = r->be_state;
    close(st->ep);
    free(st);
}

int reactor_epoll_ctl(struct reactor *r, int op, int fd, uint32_t events)
{
    struct epoll_state *st = r->be_state;
    struct epoll_event ev = {.events = events, .data.fd = fd};
    return epoll_ctl(st->ep, op, fd, &ev);
}

int reactor_epoll_del(struct reactor *r, int fd)
{
    return reactor_epoll_ctl(r, EPOLL_CTL_DEL, fd, 0);
}

int reactor_epoll_pwait(struct reactor *r, int timeout_ms, struct epoll_event **events)
{
    struct epoll_state *st = r->be_state;
    int n = epoll_pwait(st->ep, st->events, REACTOR_EPOLL_BATCH, timeout_ms,
                        r->signals ? &server_waitmask : NULL);
    *events = st->events;
    return n < 0 && errno == EINTR ? 0 : n;
}

static uint32_t epoll_events(int events)
{
    return (events & REACTOR_READ ? EPOLLIN : 0) | (events & REACTOR_WRITE ? EPOLLOUT : 0) |
           (events & REACTOR_EDGE ? EPOLLET | EPOLLRDHUP : 0) |
           (events & REACTOR_EXCLUSIVE ? EPOLLEXCLUSIVE : 0);
}

static int epoll_add(struct reactor *r, int fd, int events)
{
    return reactor_epoll_ctl(r, EPOLL_CTL_ADD, fd, epoll_events(events));
}

static int epoll_modify(struct reactor *r, int fd, int events)
{
    return reactor_epoll_ctl(r, EPOLL_CTL_MOD, fd, epoll_events(events));
}

static int epoll_wait_ready(struct reactor *r, int timeout_ms)
{
    struct epoll_event *ev;
    int n = reactor_epoll_pwait(r, timeout_ms, &ev);
    for (int i = 0; i < n; i++) {
        r->fired[i] = ev[i].data.fd;
        r->fired_hup[i] = ev[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    }
    return n;
}

const struct reactor_backend reactor_epoll = {
    .open_call = "epoll_create1",
    .wait_call = "epoll_pwait",
    .ctl_call = "epoll_ctl",
    .batch = REACTOR_EPOLL_BATCH,
    .open = reactor_epoll_open,
    .close = reactor_epoll_close,
    .add = epoll_add,
    .modify = epoll_modify,
    .del = reactor_epoll_del,
    .wait = epoll_wait_ready,
};
