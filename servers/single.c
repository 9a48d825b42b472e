/* single: the iterative server. One connection at a time, keep-alive
 * included: the next client waits in the listen backlog until this one
 * leaves or times out. That wait is the lesson. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "server.h"

static const struct server_model MODEL = {
    .name = "single",
    .summary = "one connection at a time (the iterative server)",
};

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    while (!server_stopping()) {
        int ready = server_wait(s.listen_fd, POLLIN, -1);
        int fd = ready > 0 ? server_accept(s.listen_fd) : -1;
        if (ready < 0 || (fd >= 0 && conn_serve_blocking(fd) < 0)) {
            fprintf(stderr, "single: ppoll: %s\n", strerror(errno));
            return 1;
        }
    }
    return server_finish(&s);
}
