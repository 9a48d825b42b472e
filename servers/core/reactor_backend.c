/* The reactor's side of requests that wait on the database: the client
 * socket steps out of the backend and the database connection's socket
 * steps in, for what libpq asks (see reactor.h and conn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reactor_int.h"

/* A failure of the backend is the loop's (as in reactor.c); the connection
 * concerned is closed. */
static void broken(struct reactor *r, struct conn *c, const char *what, int fd)
{
    if (!r->failed) {
        snprintf(r->error, sizeof r->error, "%s (%s fd %d): %s", r->be->ctl_call, what,
                 fd, strerror(errno));
        r->failed = true;
    }
    reactor_drop(r, c);
}

void reactor_backend_disarm(struct reactor *r, struct conn *c)
{
    if (c->wait_fd < 0)
        return;
    /* Errors are expected: libpq closes the socket of a connection that
     * failed, and a closed descriptor has left epoll already. */
    int err = errno;
    r->be->del(r, c->wait_fd);
    errno = err;
    r->backend_of[c->wait_fd] = NULL;
    c->wait_fd = -1;
    c->waiting = REACTOR_BACKEND;
}

void reactor_backend_wait(struct reactor *r, struct conn *c)
{
    if (!r->backend_of && !(r->backend_of = calloc((size_t)r->max_fd, sizeof *r->backend_of))) {
        errno = ENOMEM;
        broken(r, c, "database table for", c->fd);
        return;
    }
    if (!(c->waiting & REACTOR_BACKEND)) { /* the client socket steps out */
        if (r->be->del(r, c->fd) < 0) {
            broken(r, c, "delete", c->fd);
            return;
        }
        c->waiting = REACTOR_BACKEND;
        c->wait_fd = -1;
    }
    int events, fd = conn_backend_wait(c, &events);
    if (fd != c->wait_fd || (events & DB_NEW)) /* a new socket, maybe the same number */
        reactor_backend_disarm(r, c);
    events &= REACTOR_READ | REACTOR_WRITE;
    if (fd >= 0 && fd == c->wait_fd && (unsigned)events != (c->waiting & 3)) {
        if (r->be->modify(r, fd, events) < 0) {
            broken(r, c, "modify database", fd);
            return;
        }
    } else if (fd >= 0 && fd != c->wait_fd) {
        if (fd >= r->max_fd || r->be->add(r, fd, events) < 0) {
            broken(r, c, "add database", fd);
            return;
        }
        r->backend_of[fd] = c;
        c->wait_fd = fd;
    }
    c->waiting = REACTOR_BACKEND | (fd >= 0 ? (unsigned)events : 0);
    conn_timeout_touch(&r->tq, c);
}

/* The request has its answer (or the client is to be closed): the database
 * socket steps out and the client's steps back in. -1: c is closed. */
int reactor_backend_leave(struct reactor *r, struct conn *c, enum conn_want w)
{
    reactor_backend_disarm(r, c);
    c->waiting = 0;
    if (w != CONN_WANT_READ && w != CONN_WANT_WRITE) {
        timeouts_remove(&r->tq, &c->tq);
        conn_close(c);
        r->nconns--;
        return -1;
    }
    unsigned events = w == CONN_WANT_READ ? REACTOR_READ : REACTOR_WRITE;
    if (r->be->add(r, c->fd, (int)events | (r->edge ? REACTOR_EDGE : 0)) < 0) {
        c->waiting = REACTOR_BACKEND; /* not in the backend: nothing to delete */
        broken(r, c, "add", c->fd);
        return -1;
    }
    c->waiting = events;
    return 0;
}

/* The database socket is ready: the answer may be complete; it goes out at
 * once (the client socket is most likely writable) before the client's
 * socket is waited on again. */
void reactor_backend_fired(struct reactor *r, struct conn *c)
{
    enum conn_want w = conn_backend_ready(c);
    if (w == CONN_WANT_WRITE)
        w = conn_drive_send(c);
    reactor_act(r, c, w);
}

/* Requests that were queued for a database connection and got one. */
void reactor_backend_granted(struct reactor *r)
{
    struct conn *c;
    while (!r->failed && (c = conn_backend_granted()))
        reactor_backend_fired(r, c);
}
