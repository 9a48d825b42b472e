/* threadpool: one epoll reactor owns every socket and does all the waiting;
 * a fixed pool of worker threads answers the requests (the tutorials'
 * closing advice with threads, in the half-sync/half-async shape).
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
 *   off the timeouts, at_pool = true
 *   push  ----------------------->  work queue  --------------->  pop
 *                                                                 conn_work()
 *                                                                 verdict = its result
 *   pop all  <-- eventfd rung <---  done queue  <---------------  push
 *   at_pool = false
 *   conn_step() if it wants to read, re-arm, back on the timeouts
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
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "server.h"
#include "timeouts.h"

#define EPOLL_BATCH 512 /* events taken per wait */

static const struct server_model MODEL = {
    "threadpool", "one epoll reactor handing requests to a pool of threads",
    true, false};

struct client {
    struct conn c;
    bool at_pool;             /* reactor's: queued, being answered, or done */
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

struct reactor {
    int ep;
    int listen_fd;            /* -1 once stopped */
    struct client *clients;   /* indexed by descriptor */
    int max_fd;               /* size of clients, from RLIMIT_NOFILE */
    int nconns;               /* open connections, the pool's included */
    struct timeouts tq;
    struct pool pool;
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

/* ---- the reactor --------------------------------------------------------- */

static void drop(struct reactor *r, struct client *cl)
{
    timeouts_remove(&r->tq, &cl->c.tq);
    epoll_ctl(r->ep, EPOLL_CTL_DEL, cl->c.fd, NULL);
    conn_close(&cl->c);
    r->nconns--;
}

static void on_timeout(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    struct reactor *r = arg;
    drop(r, &r->clients[c->fd]);
}

/* The reactor gives cl away: off the timeouts first (the lists link
 * neighbours through it, and a worker may hold it past any deadline). Its
 * socket is already disarmed: the event that brought the request in was
 * its one shot. */
static void submit(struct reactor *r, struct client *cl)
{
    timeouts_remove(&r->tq, &cl->c.tq);
    cl->at_pool = true;
    struct pool *p = &r->pool;
    pthread_mutex_lock(&p->lock);
    queue_push(&p->work, cl);
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
}

/* Waits for the socket again: one shot of events, and a deadline. */
static void arm(struct reactor *r, struct client *cl, uint32_t events)
{
    struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.fd = cl->c.fd};
    if (epoll_ctl(r->ep, EPOLL_CTL_MOD, cl->c.fd, &ev) < 0) {
        drop(r, cl);
        return;
    }
    conn_timeout_touch(&r->tq, &cl->c);
}

/* Acts on what the conn wants next while the reactor owns it. */
static void dispatch(struct reactor *r, struct client *cl, enum conn_want w)
{
    switch (w) {
    case CONN_WANT_READ:
        arm(r, cl, EPOLLIN);
        break;
    case CONN_WANT_WRITE:
        arm(r, cl, EPOLLOUT);
        break;
    case CONN_WANT_WORK:
        submit(r, cl);
        break;
    case CONN_CLOSE:
        drop(r, cl);
        break;
    }
}

/* Takes back every connection the workers are done with. The verdict says
 * how: CONN_CLOSE closes it; CONN_WANT_WRITE (the client's window is full)
 * waits for room, the reactor sending the rest; CONN_WANT_WORK (a pipelined
 * request was buffered already) goes back to the pool; CONN_WANT_READ (sent
 * whole) goes on with conn_step() at once, which reads what a disarmed
 * socket would not announce and gives the buffer back to this thread. */
static void take_back(struct reactor *r)
{
    uint64_t rings;
    if (read(r->pool.done_fd, &rings, sizeof rings) < 0 && errno != EAGAIN)
        perror("threadpool: read eventfd");
    pthread_mutex_lock(&r->pool.lock);
    struct client *list = r->pool.done.head;
    r->pool.done.head = r->pool.done.tail = NULL;
    pthread_mutex_unlock(&r->pool.lock);
    while (list) {
        struct client *cl = list;
        list = cl->next; /* before dispatch, which may queue cl again */
        cl->at_pool = false;
        dispatch(r, cl, cl->verdict == CONN_WANT_READ ? conn_step(&cl->c) : cl->verdict);
    }
}

static void accept_all(struct reactor *r)
{
    int fd;
    while ((fd = server_accept(r->listen_fd)) >= 0) {
        if (fd >= r->max_fd) {
            server_refuse(fd);
            continue;
        }
        struct client *cl = &r->clients[fd];
        conn_init(&cl->c, fd);
        cl->c.handoff = true;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = fd};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            server_refuse(fd);
            continue;
        }
        r->nconns++;
        conn_timeout_touch(&r->tq, &cl->c);
    }
}

/* On stop: no new connections; idle ones the reactor owns close now. Busy
 * ones, the pool's included, finish: the core closes each once it is idle. */
static void reactor_stop(struct reactor *r, struct server *s)
{
    server_close_listener(s); /* its only descriptor: leaves the epoll set */
    r->listen_fd = -1;
    for (int fd = 0; fd < r->max_fd; fd++) {
        struct client *cl = &r->clients[fd];
        if (!cl->at_pool && cl->c.fd == fd && conn_is_idle(&cl->c))
            drop(r, cl);
    }
}

static int reactor_init(struct reactor *r, struct server *s)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    r->max_fd = rl.rlim_cur > (1 << 20) ? (1 << 20) : (int)rl.rlim_cur;
    r->listen_fd = s->listen_fd;
    timeouts_init(&r->tq);
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    r->clients = calloc((size_t)r->max_fd, sizeof *r->clients);
    if (r->ep < 0 || !r->clients)
        return -1;
    for (int i = 0; i < r->max_fd; i++)
        r->clients[i].c.fd = -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = r->listen_fd};
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->listen_fd, &ev) < 0)
        return -1;
    ev.data.fd = r->pool.done_fd;
    return epoll_ctl(r->ep, EPOLL_CTL_ADD, r->pool.done_fd, &ev);
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    /* Workers are created after server_start(), so they inherit its blocked
     * signals: SIGTERM, SIGINT and SIGUSR1 reach the reactor's wait alone. */
    struct reactor r = {.pool = {.done_fd = -1}};
    int err = pool_start(&r.pool, s.opts.workers);
    if (err || reactor_init(&r, &s) < 0) {
        fprintf(stderr, "threadpool: setup: %s\n", strerror(err ? err : errno));
        pool_stop(&r.pool);
        return 1;
    }

    struct epoll_event events[EPOLL_BATCH];
    bool stopped = false;
    while (!stopped || (r.nconns > 0 && !server_grace_over())) {
        int64_t now = clock_now_ms();
        int wait = stopped ? 100 : timeouts_next_ms(&r.tq, now);
        int n = epoll_pwait(r.ep, events, EPOLL_BATCH, wait, &server_waitmask);
        if (server_poll_signals() && !stopped) {
            reactor_stop(&r, &s);
            stopped = true;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == r.listen_fd)
                accept_all(&r);
            else if (fd == r.pool.done_fd)
                take_back(&r);
            else if (r.clients[fd].c.fd == fd && !r.clients[fd].at_pool)
                dispatch(&r, &r.clients[fd], conn_step(&r.clients[fd].c));
        }
        timeouts_expire(&r.tq, clock_now_ms(), on_timeout, &r);
    }
    /* After the joins the reactor owns every connection again, the ones
     * still queued included. */
    pool_stop(&r.pool);
    for (int fd = 0; fd < r.max_fd; fd++)
        if (r.clients[fd].c.fd == fd)
            conn_close(&r.clients[fd].c);
    free(r.clients);
    close(r.ep);
    return server_finish(&s);
}
