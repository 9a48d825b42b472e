/* Idle keep-alive connections, opened by the harness's own client before a
 * measurement and held while wrk runs (the follow-up issue's --idle sweep,
 * and the memory-per-connection measurement).
 *
 *   struct idle_set set;
 *   idle_open(&set, "127.0.0.1", port, 2000, "/", 5000, err, sizeof err);
 *   printf("%d of %d answered\n", set.answered, set.wanted);
 *   ...measure...
 *   idle_close(&set);
 *
 * Each connection is non-blocking: connect, send one GET, read the whole
 * response, then stay open and silent. Opening stops at the deadline, or
 * when nothing progressed for 1.5 s (a blocking server serving one);
 * connections not answered by then are counted but kept open too (a
 * blocking server may still be busy with an earlier one). */
#ifndef HARNESS_IDLE_H
#define HARNESS_IDLE_H

#include <stddef.h>

struct idle_conn;

struct idle_set {
    struct idle_conn *conns;
    int wanted;      /* connections asked for */
    int opened;      /* sockets created and connecting */
    int connected;   /* TCP handshake done */
    int answered;    /* got their whole response: idle keep-alive now */
    int failed;      /* refused, reset or closed by the server */
};

int idle_open(struct idle_set *set, const char *addr, int port, int n, const char *path,
              int timeout_ms, char *err, size_t errlen);
void idle_close(struct idle_set *set);

#endif
