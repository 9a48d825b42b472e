/* single: the iterative server. One connection at a time, keep-alive
 * included: the next client waits in the listen backlog until this one
 * leaves or times out. That wait is the lesson. */
#include <poll.h>

#include "conn.h"
#include "server.h"

static const struct server_model MODEL = {
    "single", "one connection at a time (the iterative server)", false, false};

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    while (!server_stopping()) {
        if (server_wait(s.listen_fd, POLLIN, -1) <= 0)
            continue;
        int fd = server_accept(s.listen_fd);
        if (fd >= 0)
            conn_serve_blocking(fd);
    }
    return server_finish(&s);
}
