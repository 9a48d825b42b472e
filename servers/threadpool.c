/* threadpool: one epoll reactor (the epoll model's, core/reactor.c) owns
 * every socket and does all the waiting; a fixed pool of worker threads
 * answers the requests (the tutorials' closing advice with threads, in the
 * half-sync/half-async shape). What this file adds is the hand-off.
 *
 * The reactor reads until a whole request head is buffered (the core's
 * handoff mode), then hands the connection to the pool; a worker resolves
 * the path, opens and stats the file and sends the response (conn_work), so
 * that a slow disk stalls a worker, not every connection. The worker hands
 * the connection back and the reactor goes on with it: the next request,
 * the rest of a long response, or the close.
 *
 * Who owns a connection, and so may touch its struct conn:
 *
 *   reactor                           pool lock                  worker
 *   conn_step() says CONN_WANT_WORK
 *   off the timeouts, marked away
 *   push  ----------------------->  work queue  --------------->  pop
 *                                                                 conn_work()
 *                                                                 verdict = its result
 *   pop all  <-- eventfd rung <---  done queue  <---------------  push
 *   conn_step() if it wants to read, then reactor_act(): re-arm and back
 *   on the timeouts, or the pool again, or the close
 *
 * Exactly one side owns it at any moment; the queues' mutex orders what one
 * side wrote before the other reads it. The socket is registered with
 * EPOLLONESHOT: every event disarms it, and the reactor re-arms it only
 * while it owns the connection and waits on it, so a socket whose request
 * is with a worker raises no events at all (not even EPOLLHUP). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reactor_epoll.h"

static const struct server_model MODEL = {
    "threadpool", "one epoll reactor handing requests to a pool of threads",
    true, false};

/* A slot of the reactor's table. */
struct client {
    struct conn c;            /* first: the reactor's table holds clients */
    enum conn_want verdict;   /* worker's: what conn_work() returned */
    struct client *next;      /* link in the work or done queue, under lock */
};

struct queue {
    struct client *head, *tail;
};

struct pool {
    pthread_mutex_t lock;     /* guards both queues and quit */
    pthread_cond_t work_ready;
    struct queue work;        /* requests waiting for a worker */
    struct queue done;        /* connections waiting for the reactor */
    bool quit;                /* workers exit instead of taking more work */
    int done_fd;              /* eventfd the reactor waits on */
    pthread_t *threads;
    int nthreads;             /* started */
};

/* ---- the queues ---------------------------------------------------------- */

static void queue_push(struct queue *q, struct client *cl)
{
    cl->next = NULL;
    if (q->tail)
        q->tail->next = cl;
    else
        q->head = cl;
    q->tail = cl;
}

static struct client *queue_pop(struct queue *q)
{
    struct client *cl = q->head;
    if (cl && !(q->head = cl->next))
        q->tail = NULL;
    return cl;
}

/* ---- the workers --------------------------------------------------------- */

/* Rings the reactor only when the done queue turns non-empty: the reactor
 * reads the eventfd before it takes the whole queue, so a push onto a
 * non-empty queue is always collected by a wake-up already on its way. */
static void hand_back(struct pool *p, struct client *cl)
{
    pthread_mutex_lock(&p->lock);
    bool was_empty = p->done.head == NULL;
    queue_push(&p->done, cl);
    pthread_mutex_unlock(&p->lock);
    uint64_t one = 1;
    if (was_empty && write(p->done_fd, &one, sizeof one) < 0)
        perror("threadpool: write eventfd");
}

static void *worker_run(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->work.head && !p->quit)
            pthread_cond_wait(&p->work_ready, &p->lock);
        struct client *cl = p->quit ? NULL : queue_pop(&p->work);
        pthread_mutex_unlock(&p->lock);
        if (!cl)
            return NULL;
        /* This worker owns cl until hand_back(). The socket is
         * non-blocking: a client that reads slowly costs one write and a
         * CONN_WANT_WRITE verdict, never a blocked worker. */
        cl->verdict = conn_work(&cl->c);
        hand_back(p, cl);
    }
}

static int pool_start(struct pool *p, int n)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work_ready, NULL);
    p->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (p->done_fd < 0 || !p->threads)
        return errno;
    for (; p->nthreads < n; p->nthreads++) {
        int err = pthread_create(&p->threads[p->nthreads], NULL, worker_run, p);
        if (err)
            return err;
    }
    return 0;
}

/* Workers finish the request in hand and exit; what is still queued stays
 * there, the reactor's to close. */
static void pool_stop(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    if (p->done_fd >= 0)
        close(p->done_fd);
    pthread_cond_destroy(&p->work_ready);
    pthread_mutex_destroy(&p->lock);
}

/* ---- the reactor's side ---------------------------------------------------- */

/* The reactor gives c away (it has taken it off its timeouts: the lists
 * link neighbours through it, and a worker may hold it past any deadline).
 * Its socket is already disarmed: the event that brought the request in was
 * its one shot. */
static void submit(struct reactor *r, struct conn *c)
{
    struct pool *p = r->user;
    pthread_mutex_lock(&p->lock);
    queue_push(&p->work, (struct client *)c);
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
}

/* Takes back every connection the workers are done with. The verdict says
 * how: CONN_CLOSE closes it; CONN_WANT_WRITE (the client's window is full)
 * waits for room, the reactor sending the rest; CONN_WANT_WORK (a pipelined
 * request was buffered already) goes back to the pool; CONN_WANT_READ (sent
 * whole) goes on with conn_step() at once, which reads what a disarmed
 * socket would not announce and gives the buffer back to this thread. */
static void take_back(struct reactor *r, void *arg)
{
    struct pool *p = arg;
    uint64_t rings;
    if (read(p->done_fd, &rings, sizeof rings) < 0 && errno != EAGAIN)
        perror("threadpool: read eventfd");
    pthread_mutex_lock(&p->lock);
    struct client *list = p->done.head;
    p->done.head = p->done.tail = NULL;
    pthread_mutex_unlock(&p->lock);
    while (list) {
        struct client *cl = list;
        list = cl->next; /* before reactor_act, which may queue cl again */
        enum conn_want w = cl->verdict;
        reactor_act(r, &cl->c, w == CONN_WANT_READ ? conn_step(&cl->c) : w);
    }
}

/* Workers are created after server_start(), so they inherit its blocked
 * signals: SIGTERM, SIGINT and SIGUSR1 reach the reactor's wait alone. On
 * stop, idle connections the reactor owns close; busy ones, the pool's
 * included, finish: the core closes each once it is idle. */
static int serve(struct server *s, struct pool *p)
{
    struct reactor r;
    int listen_fd = s->listen_fd;
    s->listen_fd = -1; /* the reactor's now */
    int rc = reactor_init(&r, &reactor_epoll, listen_fd, sizeof(struct client));
    if (rc == 0) {
        r.oneshot = true; /* see the top of the file */
        r.on_work = submit;
        r.user = p;
        rc = reactor_watch(&r, p->done_fd, take_back, p);
    }
    if (rc == 0)
        rc = reactor_run(&r);
    if (rc < 0)
        fprintf(stderr, "threadpool: %s\n", r.error);
    /* After the joins the reactor owns every connection again, the ones
     * still queued included, and closes them. */
    pool_stop(p);
    reactor_free(&r);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    struct pool p = {.done_fd = -1};
    int err = pool_start(&p, s.opts.workers);
    if (err) {
        fprintf(stderr, "threadpool: setup: %s\n", strerror(err));
        pool_stop(&p);
        return 1;
    }
    return serve(&s, &p) ? 1 : server_finish(&s);
}
