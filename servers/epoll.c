/* epoll: the level-triggered epoll server, one reactor. A socket is
 * registered once, modified when its connection switches between reading
 * and writing, and removed before it is closed (the tutorials' epoll server
 * crashed by removing a descriptor it had already closed). epoll keeps the
 * interest list in the kernel, so a wait costs O(ready), not O(open): what
 * select and poll pay per wait, epoll pays once per change of interest.
 *
 * The model is the reactor with the epoll backend, core/reactor_epoll.c,
 * which prefork, reuseport and threadpool run too. Level-triggered, a
 * report repeats while the socket stays ready, so a step may stop at a short
 * read without draining: see epoll-et.c for the other way. */
#include "reactor_epoll.h"

static const struct server_model MODEL = {
    .name = "epoll",
    .summary = "one level-triggered epoll reactor",
};

int main(int argc, char **argv)
{
    return reactor_main(&MODEL, &reactor_epoll, argc, argv);
}
