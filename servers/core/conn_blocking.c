/* The blocking-style loop: one connection served by one process or thread
 * (single, fork, thread) over the same state machine as the event models;
 * see conn.h. Only the public conn_* calls are used. */
#include "conn.h"

#include <errno.h>
#include <poll.h>

#include "clock.h"
#include "server.h"

/* Waits in slices so that a thread notices a stop requested elsewhere. */
#define CONN_WAIT_SLICE_MS 250

int conn_serve_blocking(int fd)
{
    int rc = 0;
    struct conn c;
    conn_init(&c, fd);
    enum conn_want w = CONN_WANT_READ;
    int64_t deadline = clock_now_ms() + conn_timeout_ms(&c);
    while (w != CONN_CLOSE) {
        int64_t now = clock_now_ms();
        if (now >= deadline ||
            (server_stopping() && (conn_is_idle(&c) || server_grace_over())))
            break;
        int slice = deadline - now < CONN_WAIT_SLICE_MS ? (int)(deadline - now)
                                                         : CONN_WAIT_SLICE_MS;
        int ready = server_wait(fd, w == CONN_WANT_READ ? POLLIN : POLLOUT, slice);
        if (ready < 0) {
            rc = -1;
            break;
        }
        if (ready == 0)
            continue;
        w = conn_step(&c);
        deadline = clock_now_ms() + conn_timeout_ms(&c);
    }
    int err = errno;
    conn_close(&c);
    errno = err;
    return rc;
}
