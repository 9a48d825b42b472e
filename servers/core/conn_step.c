/* The readiness driver over the completion-style machine: see conn.h
 * (conn_step). Only the public conn_* calls are used. */
#include "conn.h"
#include "server.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* --- the readiness driver ----------------------------------------------
 *
 * Performs the I/O the machine asks for until the socket would block: one
 * recv per keep-alive request, one writev of head and cached body, sendfile
 * for a body from a file. */

/* One recv into the space the machine offers; *blocked when none came. */
static enum conn_want recv_some(struct conn *c, bool *blocked)
{
    char *p;
    size_t space = conn_recv_space(c, &p);
    if (space == 0)
        return CONN_CLOSE; /* out of memory: the parser refuses a fuller head */
    ssize_t n;
    do
        n = recv(c->fd, p, space, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        conn_recv_unused(c);
        *blocked = true;
        return CONN_WANT_READ;
    }
    c->drained = n > 0 && (size_t)n < space;
    return conn_received(c, n); /* 0 (EOF) or an error: CONN_CLOSE */
}

/* One send of what the machine offers; as send(2) returns. */
static ssize_t send_some(struct conn *c)
{
    struct iovec iov[2];
    int k = conn_send_iov(c, iov);
    if (k == 2) {
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
        return sendmsg(c->fd, &m, MSG_NOSIGNAL);
    }
    if (k == 1) {
        /* MSG_MORE holds a head back until sendfile adds the body to it. */
        bool more = c->out_off < c->out_len && c->body.len > 0;
        return send(c->fd, iov[0].iov_base, iov[0].iov_len,
                    MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    }
    int fd;
    off_t off;
    size_t len;
    if (!conn_send_file(c, &fd, &off, &len)) {
        errno = EPIPE; /* cannot happen: the machine wants to write */
        return -1;
    }
    return sendfile(c->fd, fd, &off, len);
}

/* Sends until the response is out (what the machine wants next) or the
 * socket is full (CONN_WANT_WRITE). */
enum conn_want conn_drive_send(struct conn *c)
{
    for (;;) {
        ssize_t n = send_some(c);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? CONN_WANT_WRITE : CONN_CLOSE;
        enum conn_want w = conn_sent(c, (size_t)n);
        if (w != CONN_WANT_WRITE)
            return w;
    }
}

/* Nothing more to read now: wait for it, unless the server is stopping and
 * the connection idle, which closes now (as advance() closes one). */
static enum conn_want wait_read(const struct conn *c)
{
    return server_stopping() && conn_is_idle(c) ? CONN_CLOSE : CONN_WANT_READ;
}

static enum conn_want drive(struct conn *c, enum conn_want w)
{
    for (;;) {
        if (w == CONN_WANT_READ) {
            if (c->drained && !c->edge_triggered) {
                /* Level-triggered waiting will report anything that arrives. */
                c->drained = false;
                conn_recv_unused(c);
                return wait_read(c);
            }
            bool blocked = false;
            w = recv_some(c, &blocked);
            if (blocked)
                return wait_read(c);
        } else if (w == CONN_WANT_WRITE) {
            if ((w = conn_drive_send(c)) == CONN_WANT_WRITE)
                return w;
        } else {
            return w; /* CONN_CLOSE, or CONN_WANT_WORK for a pool */
        }
    }
}

enum conn_want conn_step(struct conn *c)
{
    if (c->state == CONN_DONE)
        return CONN_CLOSE;
    if (c->state == CONN_BACKEND)
        return CONN_WANT_BACKEND; /* nothing to move until the database answers */
    c->driven = true;
    return drive(c, c->state == CONN_WRITE ? CONN_WANT_WRITE : CONN_WANT_READ);
}
