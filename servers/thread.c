/* thread: a detached thread per connection, each on a small stack, each
 * running the blocking-style loop. The kernel schedules; memory and task
 * count grow with the number of connections. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "server.h"
#include "timeouts.h"

/* SIGTERM may be taken by a connection thread's wait instead of the main
 * thread's: the main thread waits in slices of this to see the stop. */
#define STOP_CHECK_MS 250

/* Enough for conn_step's deepest path (path normalisation keeps an 8 KiB
 * buffer on the stack) with room to spare; glibc's default is 8 MiB. */
#define THREAD_STACK (64 * 1024)

static const struct server_model MODEL = {
    .name = "thread",
    .summary = "a detached thread per connection",
};

static _Atomic int live_threads;
static _Atomic bool failed; /* a wait failed: stop, then exit non-zero */

static void fail(const char *call)
{
    fprintf(stderr, "thread: %s: %s\n", call, strerror(errno));
    failed = true;
}

static void *serve(void *arg)
{
    if (conn_serve_blocking((int)(intptr_t)arg) < 0) {
        fail("ppoll");
        kill(getpid(), SIGTERM); /* the main thread takes it and stops */
    }
    live_threads--;
    return NULL;
}

static void spawn(const pthread_attr_t *attr, int fd)
{
    pthread_t t;
    live_threads++;
    int rc = pthread_create(&t, attr, serve, (void *)(intptr_t)fd);
    if (rc) { /* out of tasks or memory: this client is refused, not hung */
        live_threads--;
        fprintf(stderr, "thread: pthread_create: %s\n", strerror(rc));
        server_refuse(fd);
    }
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (!server_stopping()) {
        int ready = server_wait(s.listen_fd, POLLIN, STOP_CHECK_MS);
        if (ready < 0) {
            fail("ppoll");
            break;
        }
        if (ready == 0)
            continue;
        /* A bounded batch: signals are let in only inside the wait, and a
         * flood of connections must not keep SIGTERM or SIGUSR1 out. */
        int fd;
        for (int i = 0;
             i < SERVER_ACCEPT_BATCH && (fd = server_accept(s.listen_fd)) >= 0; i++)
            spawn(&attr, fd);
    }
    server_close_listener(&s);
    /* Threads see the stop flag within one wait slice and finish. */
    while (live_threads > 0)
        usleep(10 * 1000);
    pthread_attr_destroy(&attr);
    return failed ? 1 : server_finish(&s);
}
