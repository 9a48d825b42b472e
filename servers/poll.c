/* poll: one ppoll(2) loop over a compact pollfd array: slot 0 is the
 * listener, the others are the open connections in no particular order.
 * When a connection closes, the last slot moves into its hole, so the array
 * the kernel walks is never longer than what is open. A slot finds its conn
 * through its descriptor, a conn finds its slot through its entry.
 *
 * Unlike select there is no descriptor limit, but the whole array is copied
 * into the kernel and walked on every wait: O(connections) per wake-up. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "clock.h"
#include "conn.h"
#include "server.h"
#include "timeouts.h"

static const struct server_model MODEL = {
    "poll", "one ppoll loop over a compact pollfd array", false, false};

struct entry {
    struct conn conn;      /* first: the timeouts hand back a struct conn */
    int slot;              /* index of its pollfd */
};

struct reactor {
    struct pollfd *pfds;   /* [0] the listener (fd -1 once closed), then conns */
    int npfds;             /* slots in use, listener included */
    struct entry *by_fd;   /* indexed by descriptor */
    int max_fd;            /* size of pfds and by_fd, from RLIMIT_NOFILE */
    struct timeouts tq;
};

static void drop(struct reactor *r, struct entry *e)
{
    struct pollfd last = r->pfds[--r->npfds]; /* fills the hole */
    r->pfds[e->slot] = last;
    r->by_fd[last.fd].slot = e->slot;
    timeouts_remove(&r->tq, &e->conn.tq);
    conn_close(&e->conn);
}

static void on_timeout(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    drop(arg, (struct entry *)c);
}

static void conn_on_ready(struct reactor *r, struct entry *e)
{
    enum conn_want w = conn_step(&e->conn);
    if (w == CONN_CLOSE) {
        drop(r, e);
        return;
    }
    r->pfds[e->slot].events = w == CONN_WANT_READ ? POLLIN : POLLOUT;
    conn_timeout_touch(&r->tq, &e->conn);
}

static void accept_all(struct reactor *r, int listen_fd)
{
    int fd;
    while ((fd = server_accept(listen_fd)) >= 0) {
        if (fd >= r->max_fd) { /* beyond the table sized from RLIMIT_NOFILE */
            server_refuse(fd);
            continue;
        }
        struct entry *e = &r->by_fd[fd];
        conn_init(&e->conn, fd);
        e->slot = r->npfds++;
        r->pfds[e->slot] = (struct pollfd){.fd = fd, .events = POLLIN};
        conn_timeout_touch(&r->tq, &e->conn);
    }
}

/* On stop: no new connections; idle ones close now, busy ones finish. */
static void close_idle(struct reactor *r)
{
    for (int i = r->npfds - 1; i >= 1; i--) {
        struct entry *e = &r->by_fd[r->pfds[i].fd];
        if (conn_is_idle(&e->conn))
            drop(r, e);
    }
}

/* From the top down: a closed slot takes the last one, already handled. New
 * connections are appended after the walk and have no revents yet. */
static void on_events(struct reactor *r, int listen_fd)
{
    for (int i = r->npfds - 1; i >= 1; i--)
        if (r->pfds[i].revents)
            conn_on_ready(r, &r->by_fd[r->pfds[i].fd]);
    if (listen_fd >= 0 && r->pfds[0].revents)
        accept_all(r, listen_fd);
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    struct reactor r = {.max_fd = rl.rlim_cur > (1 << 20) ? (1 << 20) : (int)rl.rlim_cur};
    r.pfds = calloc((size_t)r.max_fd + 1, sizeof *r.pfds);
    r.by_fd = calloc((size_t)r.max_fd, sizeof *r.by_fd);
    if (!r.pfds || !r.by_fd) {
        fprintf(stderr, "poll: setup: %s\n", strerror(errno));
        return 1;
    }
    r.pfds[0] = (struct pollfd){.fd = s.listen_fd, .events = POLLIN};
    r.npfds = 1;
    timeouts_init(&r.tq);

    bool stopped = false;
    while (!stopped || (r.npfds > 1 && !server_grace_over())) {
        int wait = stopped ? 100 : timeouts_next_ms(&r.tq, clock_now_ms());
        struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
        int n = ppoll(r.pfds, (nfds_t)r.npfds, wait < 0 ? NULL : &ts,
                      &server_waitmask);
        if (server_poll_signals() && !stopped) {
            server_close_listener(&s);
            r.pfds[0].fd = -1; /* poll skips negative descriptors */
            close_idle(&r);
            stopped = true;
            continue; /* revents may belong to slots just moved */
        }
        if (n > 0)
            on_events(&r, s.listen_fd);
        timeouts_expire(&r.tq, clock_now_ms(), on_timeout, &r);
    }
    while (r.npfds > 1)
        drop(&r, &r.by_fd[r.pfds[r.npfds - 1].fd]);
    free(r.by_fd);
    free(r.pfds);
    return server_finish(&s);
}
