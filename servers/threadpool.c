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
 * The hand-off is paid per batch, not per request: what one loop turn
 * completes goes to the pool under one lock and at most one wake-up; a
 * worker takes its share of the queue with one lock and works through it
 * before it sleeps; it returns the share's connections together under one
 * lock. Each request pays a list link; a batch pays the lock and the
 * condition variable.
 *
 * Returning needs no wake-up of the reactor when the response went out
 * whole and nothing is left to read (CONN_WANT_READ, the socket read to a
 * short read, nothing reported while away): the reactor has nothing to do
 * for that connection until the client sends again, and that send wakes
 * it anyway. So the worker rings
 * the reactor's eventfd only for a connection that needs it now (to close,
 * to wait for room to write, a pipelined request, or news its socket
 * reported while away), and the reactor collects the rest at the end of
 * every turn in which something is away. Those wait at most
 * POOL_COLLECT_MS to be back on the timeouts, however quiet the reactor.
 *
 * Who owns a connection, and so may touch its struct conn:
 *
 *   reactor                           pool lock                  worker
 *   conn_step() says CONN_WANT_WORK
 *   off the timeouts, marked away,
 *   on this turn's batch
 *   turn end: batch  ------------->  work queue  --------------->  take a share
 *                                                                 conn_work() each
 *                                                                 verdict = its result
 *   take all  <-- turn end, or  <---  done queue  <---------------  the share back
 *                 eventfd if rung                                 (ring if needed)
 *   conn_step() if it wants to read (twice if its socket reported while
 *   away), then reactor_act(): back on the timeouts, or the pool again, or
 *   the close
 *
 * Exactly one side owns it at any moment; the queues' mutex orders what one
 * side wrote before the other reads it.
 *
 * The socket is registered edge-triggered (EPOLLET) and stays registered
 * for reading across hand-offs, so that a request costs no epoll_ctl (with
 * EPOLLONESHOT it cost one, to re-arm). A report while the connection is
 * away is not repeated, so the reactor notes it (missed) and reads once the
 * connection is back. The reads need not drain to EAGAIN: the core stops at
 * a short read, which finds no more bytes at that moment, and any byte or
 * FIN that arrives later is a new edge, reported; a FIN that had come
 * already is flagged with the report (EPOLLRDHUP), and read to as well. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "reactor_epoll.h"

static const struct server_model MODEL = {
    .name = "threadpool",
    .summary = "one epoll reactor handing requests to a pool of threads",
    .uses_workers = true,
};

/* A worker takes at most this many requests at once: its share of the
 * queue is the queue divided among the workers, so that a burst is spread
 * over the pool, and this bounds how long the first of a share waits for
 * the last to be answered before the share goes back. */
#define POOL_SHARE_MAX 64

/* The longest a connection the reactor was not rung for waits in the done
 * queue: how late its idle timeout may start (the timeouts are seconds). */
#define POOL_COLLECT_MS 100

/* A slot of the reactor's table. */
struct client {
    struct conn c;            /* first: the reactor's table holds clients */
    enum conn_want verdict;   /* worker's: what conn_work() returned */
    atomic_bool missed;       /* set by the reactor while away: the socket
                               * reported; read by the worker returning it */
    struct client *next;      /* link in a batch, share or queue */
};

/* A singly linked list with its length; a queue under the pool's lock, or
 * a batch or share that one thread owns. */
struct queue {
    struct client *head, *tail;
    int n;
};

struct pool {
    pthread_mutex_t lock;     /* guards both queues, idle */
    pthread_cond_t work_ready;
    struct queue work;        /* requests waiting for a worker */
    struct queue done;        /* connections waiting for the reactor */
    atomic_bool any_done;     /* done is not empty: the reactor looks at it
                               * without the lock, to take the lock only
                               * when there is something to collect */
    bool rung;                /* the eventfd is rung and not read yet */
    int idle;                 /* workers asleep on work_ready */
    atomic_bool quit;         /* workers exit instead of taking more work */
    int done_fd;              /* eventfd the reactor waits on */
    struct queue batch;       /* the reactor's own: this turn's requests */
    int away;                 /* the reactor's own: connections it gave the
                               * pool and has not taken back */
    pthread_t *threads;
    int size;                 /* workers asked for: what a share divides by */
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
    q->n++;
}

/* Moves all of from to the end of q. */
static void queue_splice(struct queue *q, struct queue *from)
{
    if (!from->head)
        return;
    if (q->tail)
        q->tail->next = from->head;
    else
        q->head = from->head;
    q->tail = from->tail;
    q->n += from->n;
    *from = (struct queue){0};
}

/* Moves the first n of q (n <= q->n) into a list of their own. */
static struct queue queue_cut(struct queue *q, int n)
{
    struct queue part = {q->head, q->head, n};
    for (int i = 1; i < n; i++)
        part.tail = part.tail->next;
    q->head = part.tail->next;
    part.tail->next = NULL;
    if (!q->head)
        q->tail = NULL;
    q->n -= n;
    return part;
}

/* ---- the workers --------------------------------------------------------- */

static void ring_reactor(struct pool *p)
{
    uint64_t one = 1;
    if (write(p->done_fd, &one, sizeof one) < 0)
        perror("threadpool: write eventfd");
}

/* Whether the reactor must have cl back now rather than at its next turn:
 * anything but a response sent whole with nothing left to read: the
 * socket reported nothing while cl was away (missed), and the read that
 * brought the request in was short (drained), for a read that filled the
 * buffer may have left bytes in the socket that no edge reports again (a
 * pipelined stream). The reactor sets missed before it reads any_done to
 * collect, and the worker reads missed after it set any_done to give back
 * (all sequentially consistent), so either this sees missed or that
 * collection finds cl. */
static bool needs_reactor(struct client *cl)
{
    return cl->verdict != CONN_WANT_READ || !cl->c.drained || atomic_load(&cl->missed);
}

/* Puts a worker's answered share on the done queue, under the lock. True
 * when the reactor must be rung: some connection needs it now and no ring
 * is on its way (the reactor reads the eventfd before it takes the whole
 * queue, so what joins the queue meanwhile is collected by that wake-up). */
static bool give_back(struct pool *p, struct queue *answered)
{
    if (!answered->head)
        return false;
    struct client *first = answered->head;
    queue_splice(&p->done, answered);
    atomic_store(&p->any_done, true); /* before reading missed */
    bool ring = false;
    for (struct client *cl = first; cl && !ring; cl = cl->next)
        ring = needs_reactor(cl);
    if (!ring || p->rung)
        return false;
    p->rung = true;
    return true;
}

/* Under the lock: gives back what was answered, then sleeps until there is
 * work (ringing the reactor first, without the lock), and takes a share:
 * the queue divided among the workers, at most POOL_SHARE_MAX. An empty
 * share: quit. */
static struct queue take_share(struct pool *p, struct queue *answered)
{
    bool ring = give_back(p, answered);
    if (!p->work.head && ring) {
        pthread_mutex_unlock(&p->lock);
        ring_reactor(p); /* before sleeping, so as not to sleep on it */
        ring = false;
        pthread_mutex_lock(&p->lock);
    }
    while (!p->work.head && !p->quit) {
        p->idle++;
        pthread_cond_wait(&p->work_ready, &p->lock);
        p->idle--;
    }
    struct queue share = {0};
    if (!p->quit) {
        int n = (p->work.n + p->size - 1) / p->size;
        share = queue_cut(&p->work, n < POOL_SHARE_MAX ? n : POOL_SHARE_MAX);
    }
    bool more = p->work.head && p->idle > 0;
    pthread_mutex_unlock(&p->lock);
    if (more) /* the rest is another sleeper's: pass the wake-up on */
        pthread_cond_signal(&p->work_ready);
    if (ring)
        ring_reactor(p);
    return share;
}

static void *worker_run(void *arg)
{
    struct pool *p = arg;
    struct queue answered = {0};
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct queue share = take_share(p, &answered);
        if (!share.head)
            return NULL;
        /* This worker owns the share's connections until give_back(). The
         * sockets are non-blocking: a client that reads slowly costs one
         * write and a CONN_WANT_WRITE verdict, never a blocked worker. On
         * quit the rest of the share stays unanswered, the reactor's to
         * close. */
        struct client *cl;
        while ((cl = share.head) && !p->quit) {
            share.head = cl->next;
            cl->verdict = conn_work(&cl->c);
            queue_push(&answered, cl);
        }
    }
}

static int pool_start(struct pool *p, int n)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work_ready, NULL);
    p->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->threads = calloc((size_t)n, sizeof *p->threads);
    p->size = n; /* before any worker reads it */
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
 * its one shot. It joins this turn's batch; no lock yet. */
static void submit(struct reactor *r, struct conn *c)
{
    struct pool *p = r->user;
    queue_push(&p->batch, (struct client *)c);
    p->away++;
}

/* The batch goes to the pool under one lock, with one wake-up if a worker
 * sleeps (that worker passes it on if there is more than its share). Busy
 * workers take it without one. */
static void hand_over(struct reactor *r)
{
    struct pool *p = r->user;
    if (!p->batch.head)
        return;
    pthread_mutex_lock(&p->lock);
    queue_splice(&p->work, &p->batch);
    bool wake = p->idle > 0;
    pthread_mutex_unlock(&p->lock);
    if (wake)
        pthread_cond_signal(&p->work_ready);
}

/* The socket has news not read yet (an edge while cl was away, or the
 * client's FIN that came with its request): read once cl is back. Only the
 * reactor writes missed; the worker returning cl reads it (needs_reactor),
 * to ring for it. */
static void note_missed(struct reactor *r, struct conn *c)
{
    (void)r;
    atomic_store(&((struct client *)c)->missed, true);
}

/* Takes back every connection the workers are done with. The verdict says
 * how: CONN_CLOSE closes it; CONN_WANT_WRITE (the client's window is full)
 * waits for room, the reactor sending the rest; CONN_WANT_WORK (a pipelined
 * request was buffered already) goes back to the pool with this turn's
 * batch; CONN_WANT_READ (sent whole) goes on with conn_step() at once,
 * which gives the buffer back to this thread, and once more if the socket
 * reported while away, to read what that edge announced. A connection that
 * waits for room to write is re-registered, which reports what is ready. */
static void take_back(struct reactor *r, struct pool *p, bool rung)
{
    pthread_mutex_lock(&p->lock);
    struct client *list = p->done.head;
    p->done = (struct queue){0};
    atomic_store(&p->any_done, false);
    if (rung)
        p->rung = false;
    pthread_mutex_unlock(&p->lock);
    while (list) {
        struct client *cl = list;
        list = cl->next; /* before reactor_act, which may queue cl again */
        p->away--;
        enum conn_want w = cl->verdict;
        bool missed = atomic_load(&cl->missed);
        if (w == CONN_WANT_READ) {
            w = conn_step(&cl->c);
            if (w == CONN_WANT_READ && missed)
                w = conn_step(&cl->c);
        }
        if (w != CONN_WANT_WORK) /* else still to read when it is back */
            atomic_store(&cl->missed, false);
        reactor_act(r, &cl->c, w);
    }
}

/* The eventfd: a worker gave back a connection that needs the reactor. */
static void on_rung(struct reactor *r, void *arg)
{
    struct pool *p = arg;
    uint64_t rings;
    if (read(p->done_fd, &rings, sizeof rings) < 0 && errno != EAGAIN)
        perror("threadpool: read eventfd");
    take_back(r, p, true);
}

/* The turn's end: what came back without a ring first (a pipelined request
 * among it joins this turn's batch), then the batch goes to the pool. While
 * anything is away the next wait is bounded, so that what comes back
 * without a ring is collected however quiet the reactor. */
static void turn_end(struct reactor *r)
{
    struct pool *p = r->user;
    if (atomic_load(&p->any_done))
        take_back(r, p, false);
    hand_over(r);
    r->max_wait_ms = p->away > 0 ? POOL_COLLECT_MS : 0;
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
        r.edge = true; /* see the top of the file */
        r.on_away = note_missed;
        r.on_work = submit;
        r.on_turn_end = turn_end;
        r.user = p;
        rc = reactor_watch(&r, p->done_fd, on_rung, p);
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
