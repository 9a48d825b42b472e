/* Between reactor.c and reactor_backend.c only. */
#ifndef REACTOR_INT_H
#define REACTOR_INT_H

#include "reactor.h"

/* c->waiting while c's request waits on the database: its client socket
 * is out of the backend; the low bits are the events its database socket
 * (c->wait_fd, -1 while queued for a connection) is registered for. */
#define REACTOR_BACKEND 0x200u

void reactor_backend_wait(struct reactor *r, struct conn *c);
void reactor_backend_disarm(struct reactor *r, struct conn *c);
int reactor_backend_leave(struct reactor *r, struct conn *c, enum conn_want w);
void reactor_backend_fired(struct reactor *r, struct conn *c);
void reactor_backend_granted(struct reactor *r);

#endif
