/* The reactor's epoll backend, level-triggered: what epoll, prefork,
 * reuseport and threadpool wait with.
 *
 *   reactor_init(&r, &reactor_epoll, listen_fd, sizeof(struct conn));
 *
 * Its pieces are exported for epoll-et.c, whose edge-triggered backend
 * differs only in how it registers and which reports it passes on. */
#ifndef REACTOR_EPOLL_H
#define REACTOR_EPOLL_H

#include <stdint.h>
#include <sys/epoll.h>

#include "reactor.h"

#define REACTOR_EPOLL_BATCH 512 /* events taken per wait */

extern const struct reactor_backend reactor_epoll;

int reactor_epoll_open(struct reactor *r);
void reactor_epoll_close(struct reactor *r);
/* epoll_ctl(op) for fd with epoll's own event bits. */
int reactor_epoll_ctl(struct reactor *r, int op, int fd, uint32_t events);
int reactor_epoll_del(struct reactor *r, int fd);
/* epoll_pwait into the backend's array (*events); returns the count, 0
 * after a signal, -1 with errno. */
int reactor_epoll_pwait(struct reactor *r, int timeout_ms, struct epoll_event **events);

#endif
