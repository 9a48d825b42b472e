/* coro: a coroutine per connection, written in the blocking style of the
 * gevent server: conn_step(), then coro_wait() for the socket, in a loop.
 * coro_wait() parks the coroutine and switches to the scheduler, one epoll
 * loop that resumes a coroutine when its socket is ready or its deadline
 * (the core's timeouts) passes; a timed-out coroutine closes its connection
 * on its own stack and then dies.
 *
 * Switching is coro_switch (coro_switch.h): no system call. bench/coro_switch.c
 * measured one switch at 13-50 ns, glibc's swapcontext at 1.5-4.5 us (50 to
 * 125 times more: its rt_sigprocmask is a system call, and system calls are
 * dear in this VM), on a busy 2-vCPU x86-64 VM, gcc 12 -O2.
 *
 * Stacks are CORO_STACK bytes mmap'd above a PROT_NONE guard page, so an
 * overflow faults instead of corrupting a neighbour, and are kept on a free
 * list for the next connection. Signals are blocked except inside the
 * scheduler's epoll_pwait, so handlers never run on a coroutine stack. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "coro_switch.h"
#include "reactor_epoll.h" /* the reactor and its epoll batch */

#if defined(__SANITIZE_ADDRESS__) /* gcc; clang says it through __has_feature */
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#ifndef CORO_ASAN
#define CORO_ASAN 0
#endif
#if CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* Stack: the deepest use measured with CORO_STACK_REPORT over the whole
 * integration suite was 24 KiB (-O0 and -O2) and 27.5 KiB under
 * -fsanitize=address,undefined: conn_step's 8 KiB path buffer, the file
 * cache's 8 KiB key and the 4 KiB Location of a redirect are on it at once.
 * 32 KiB would leave too little margin under ASan; 64 KiB is what the
 * thread model gives its threads, and only the pages touched use memory. */
#define CORO_STACK (64 * 1024)
#define CORO_GUARD 4096        /* one page */
#define CORO_POOL_KEEP 1024    /* stacks kept for reuse; more are unmapped */

static const struct server_model MODEL = {
    .name = "coro",
    .summary = "a coroutine per connection on an epoll scheduler",
};

enum coro_state { CORO_RUNNING, CORO_WAITING, CORO_DEAD };

struct coro {
    struct conn conn;      /* first: the timeouts hand back a struct conn */
    struct coro_ctx ctx;
    struct coro *prev, *next; /* live list; next also links the free list */
    uint8_t state;         /* enum coro_state */
    bool timed_out;        /* why the last wait ended */
    void *fake_stack;      /* ASan's, while suspended */
};

/* A database socket (libpq's, of a pooled connection) joins epoll at its
 * first wait and stays there while its connection lives, so that the round
 * trips of a request, and the requests after it, cost no epoll_ctl unless
 * the events change: its epoll event names its entry here, which names the
 * coroutine that waits on it now, if any (a pooled connection serves many
 * coroutines in turn). It leaves epoll when libpq closes it (the kernel
 * drops a closed socket's registration, and a new socket, even one with the
 * same number, comes with DB_NEW), or when it is reported while no request
 * uses it (the database closed it or sent a notice: level-triggered, it
 * would be reported again at every wait). */
struct db_sock {
    struct coro *waiter;   /* NULL between requests */
    uint32_t events;       /* registered for (EPOLLIN, EPOLLOUT); 0: not in epoll */
};

static struct {
    int ep;
    struct coro_ctx main;  /* the scheduler's context */
    struct coro *live;     /* every coroutine not dead */
    int nlive;
    struct coro *free;     /* stacks kept for reuse */
    int nfree;
    struct timeouts tq;
    struct db_sock *db;    /* by descriptor, from the first wait on the database */
    int ndb;
    char error[160];       /* a failed wait or epoll_ctl: the loop ends */
    void *main_fake;       /* ASan: the scheduler's stack while away */
    const void *main_bottom;
    size_t main_size;
} sched;

/* The coroutine struct sits at the top of its mapping, the stack below it,
 * the guard page below that. */
static char *stack_bottom(struct coro *co)
{
    return (char *)co + sizeof *co - CORO_STACK;
}

static size_t stack_size(void)
{
    return CORO_STACK - sizeof(struct coro);
}

#ifdef CORO_STACK_REPORT /* -DCORO_STACK_REPORT: measure the deepest stack */
static size_t stack_deepest;

static void stack_paint(struct coro *co)
{
    memset(stack_bottom(co), 0xA5, stack_size());
}

__attribute__((no_sanitize_address)) static void stack_measure(struct coro *co)
{
    const unsigned char *p = (const unsigned char *)stack_bottom(co);
    size_t untouched = 0;
    while (untouched < stack_size() && p[untouched] == 0xA5)
        untouched++;
    if (stack_size() - untouched > stack_deepest)
        stack_deepest = stack_size() - untouched;
}
#else
static void stack_paint(struct coro *co) { (void)co; }
static void stack_measure(struct coro *co) { (void)co; }
#endif

/* --- switching, with ASan told which stack is in use ---------------------- */

/* ASan tracks the current stack to tell stack from heap and to keep a fake
 * stack per context: it must hear of every switch, before and after. */
static void asan_leaving(void **fake, const void *bottom, size_t size)
{
#if CORO_ASAN
    __sanitizer_start_switch_fiber(fake, bottom, size);
#else
    (void)fake, (void)bottom, (void)size;
#endif
}

static void asan_arrived(void *fake, const void **from_bottom, size_t *from_size)
{
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(fake, from_bottom, from_size);
#else
    (void)fake, (void)from_bottom, (void)from_size;
#endif
}

/* Parks the running coroutine until the scheduler resumes it. A dying one
 * passes no fake-stack slot, so that ASan frees its fake stack. */
static void coro_yield(struct coro *co, enum coro_state state)
{
    co->state = state;
    asan_leaving(state == CORO_DEAD ? NULL : &co->fake_stack, sched.main_bottom,
                 sched.main_size);
    coro_switch(&co->ctx, &sched.main);
    asan_arrived(co->fake_stack, &sched.main_bottom, &sched.main_size);
}

static void coro_free(struct coro *co)
{
    *(co->prev ? &co->prev->next : &sched.live) = co->next;
    if (co->next)
        co->next->prev = co->prev;
    sched.nlive--;
    stack_measure(co);
    if (sched.nfree >= CORO_POOL_KEEP) {
        munmap(stack_bottom(co) - CORO_GUARD, CORO_GUARD + CORO_STACK);
        return;
    }
    co->next = sched.free;
    sched.free = co;
    sched.nfree++;
}

static void resume(struct coro *co, bool timed_out)
{
    co->state = CORO_RUNNING;
    co->timed_out = timed_out;
    asan_leaving(&sched.main_fake, stack_bottom(co), stack_size());
    coro_switch(&sched.main, &co->ctx);
    asan_arrived(sched.main_fake, NULL, NULL);
    if (co->state == CORO_DEAD) /* it is off its stack now: reuse it */
        coro_free(co);
}

/* --- the blocking style ---------------------------------------------------- */

/* Records the first failure of the wait (op NULL) or of an epoll_ctl op
 * on fd; the scheduler ends. */
static void sched_fail(const char *op, int fd)
{
    if (sched.error[0])
        return;
    if (!op)
        snprintf(sched.error, sizeof sched.error, "epoll_pwait: %s", strerror(errno));
    else
        snprintf(sched.error, sizeof sched.error, "epoll_ctl (%s fd %d): %s", op, fd,
                 strerror(errno));
}

/* Waits until the socket is ready for events (EPOLLIN or EPOLLOUT) or the
 * connection's deadline passes. Returns false on timeout or failure. */
static bool coro_wait(struct coro *co, uint32_t events)
{
    struct conn *c = &co->conn;
    if (events != c->waiting) { /* waiting 0: not registered yet */
        struct epoll_event ev = {.events = events, .data.ptr = co};
        if (epoll_ctl(sched.ep, c->waiting ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd,
                      &ev) < 0) {
            if (c->waiting || (errno != ENOMEM && errno != ENOSPC))
                sched_fail(c->waiting ? "modify" : "add", c->fd);
            return false;
        }
        c->waiting = events;
    }
    conn_timeout_touch(&sched.tq, c);
    coro_yield(co, CORO_WAITING);
    return !co->timed_out;
}

/* fd's entry, registered for events (DB_READ, DB_WRITE, DB_NEW: see
 * conn.h); NULL after a failure. The table has a slot per descriptor the
 * process may open, as the reactor's (at most REACTOR_MAX_FDS). */
static struct db_sock *db_sock_arm(int fd, int events)
{
    if (!sched.db) {
        int n = reactor_table_size(0);
        if ((sched.db = calloc((size_t)n, sizeof *sched.db)))
            sched.ndb = n;
    }
    if (fd >= sched.ndb) {
        errno = sched.db ? EMFILE : ENOMEM;
        sched_fail("add database", fd);
        return NULL;
    }
    struct db_sock *d = &sched.db[fd];
    uint32_t want = (events & DB_READ ? EPOLLIN : 0) | (events & DB_WRITE ? EPOLLOUT : 0);
    if (events & DB_NEW)
        d->events = 0; /* the old socket's registration went with it */
    if (want != d->events) {
        struct epoll_event ev = {.events = want, .data.ptr = d};
        if (epoll_ctl(sched.ep, d->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) {
            sched_fail(d->events ? "modify database" : "add database", fd);
            return NULL;
        }
        d->events = want;
    }
    return d;
}

/* The entry an epoll event names, or NULL: a coroutine's or the listener's. */
static struct db_sock *db_sock_of(void *p)
{
    uintptr_t at = (uintptr_t)p - (uintptr_t)sched.db;
    return sched.db && at < (uintptr_t)sched.ndb * sizeof *sched.db ? p : NULL;
}

/* A database socket reported between requests leaves epoll until its next
 * wait. Errors are ignored: one closed has left already. */
static void db_sock_drop(struct db_sock *d)
{
    if (d->events)
        epoll_ctl(sched.ep, EPOLL_CTL_DEL, (int)(d - sched.db), NULL);
    d->events = 0;
}

/* A request that waits on the database, in blocking style: the coroutine
 * parks on the database socket (its client socket out of epoll meanwhile)
 * until libpq has the answer; the scheduler also resumes it when a queued
 * request is granted a connection. False on timeout or failure. */
static bool coro_wait_backend(struct coro *co)
{
    struct conn *c = &co->conn;
    if (c->waiting && epoll_ctl(sched.ep, EPOLL_CTL_DEL, c->fd, NULL) < 0) {
        sched_fail("delete", c->fd);
        return false;
    }
    c->waiting = 0;
    for (;;) {
        int events, fd = conn_backend_wait(c, &events);
        struct db_sock *d = NULL;
        if (fd >= 0 && !(d = db_sock_arm(fd, events)))
            return false;
        if (d)
            d->waiter = co;
        conn_timeout_touch(&sched.tq, c);
        coro_yield(co, CORO_WAITING);
        if (d)
            d->waiter = NULL;
        if (co->timed_out)
            return false;
        if (conn_backend_ready(c) != CONN_WANT_BACKEND)
            return true;
    }
}

static void serve(struct conn *c, struct coro *co)
{
    for (;;) {
        enum conn_want w = conn_step(c);
        if (w == CONN_WANT_BACKEND) {
            if (!coro_wait_backend(co))
                break;
            continue;
        }
        if (w == CONN_CLOSE || !coro_wait(co, w == CONN_WANT_READ ? EPOLLIN : EPOLLOUT))
            break;
    }
    timeouts_remove(&sched.tq, &c->tq);
    if (c->waiting && epoll_ctl(sched.ep, EPOLL_CTL_DEL, c->fd, NULL) < 0)
        sched_fail("delete", c->fd);
    conn_close(c);
}

static void coro_main(void *arg)
{
    struct coro *co = arg;
    asan_arrived(NULL, &sched.main_bottom, &sched.main_size); /* first entry */
    serve(&co->conn, co);
    coro_yield(co, CORO_DEAD); /* never returns */
}

/* --- the scheduler --------------------------------------------------------- */

static struct coro *coro_new(void)
{
    struct coro *co = sched.free;
    if (co) {
        sched.free = co->next;
        sched.nfree--;
    } else {
        char *map = mmap(NULL, CORO_GUARD + CORO_STACK, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (map == MAP_FAILED)
            return NULL;
        if (mprotect(map, CORO_GUARD, PROT_NONE) < 0) {
            munmap(map, CORO_GUARD + CORO_STACK);
            return NULL;
        }
        co = (struct coro *)(map + CORO_GUARD + CORO_STACK - sizeof *co);
    }
#if CORO_ASAN /* frames that never returned on a reused stack left poison */
    __asan_unpoison_memory_region(stack_bottom(co), stack_size());
#endif
    stack_paint(co);
    return co;
}

static void spawn(int fd)
{
    struct coro *co = coro_new();
    if (!co) {
        fprintf(stderr, "coro: stack for a connection: %s\n", strerror(errno));
        server_refuse(fd);
        return;
    }
    if (fd < sched.ndb) /* a database socket that had the number is closed */
        sched.db[fd].events = 0;
    conn_init(&co->conn, fd);
    co->fake_stack = NULL;
    coro_ctx_init(&co->ctx, co, coro_main, co);
    co->prev = NULL;
    co->next = sched.live;
    if (co->next)
        co->next->prev = co;
    sched.live = co;
    sched.nlive++;
    resume(co, false);
}

static void on_timeout(struct timeout_link *l, void *arg)
{
    struct conn *c = conn_of_timeout(l);
    (void)arg;
    resume((struct coro *)c, true);
}

/* On stop: resume idle coroutines, whose conn_step() then closes; after the
 * grace period, every coroutine, told it timed out. */
static void wake_all(bool idle_only)
{
    for (struct coro *co = sched.live, *next; co; co = next) {
        next = co->next; /* co may die and be freed */
        if (co->state == CORO_WAITING && (!idle_only || conn_is_idle(&co->conn)))
            resume(co, !idle_only);
    }
}

static void wake_idle(void *arg)
{
    (void)arg;
    wake_all(true);
}

/* The scheduler: resumes the coroutines whose sockets are ready or whose
 * deadlines passed, until stopped and drained. False when a wait failed. */
static bool run(struct server *s)
{
    struct epoll_event events[REACTOR_EPOLL_BATCH];
    struct reactor_stop stop = {.srv = s, .on_stop = wake_idle};
    while (!sched.error[0] && reactor_stop_going(&stop, sched.nlive)) {
        int n = epoll_pwait(sched.ep, events, REACTOR_EPOLL_BATCH,
                            reactor_stop_wait_ms(&stop, &sched.tq), &server_waitmask);
        if (n < 0 && errno != EINTR)
            sched_fail(NULL, -1);
        if (reactor_stop_poll(&stop))
            continue; /* events may name coroutines just ended */
        for (int i = 0; i < n; i++) {
            void *p = events[i].data.ptr;
            struct db_sock *d = db_sock_of(p);
            struct coro *co = d ? d->waiter : p;
            int fd;
            if (!p) {
                for (int k = 0; k < SERVER_ACCEPT_BATCH &&
                                (fd = server_accept(s->listen_fd)) >= 0; k++)
                    spawn(fd);
            } else if (d && !co) {
                db_sock_drop(d);
            } else if (co->state == CORO_WAITING) {
                resume(co, false);
            }
        }
        for (struct conn *c; (c = conn_backend_granted());)
            resume((struct coro *)(void *)c, false); /* its database connection came */
        timeouts_expire(&sched.tq, clock_now_ms(), on_timeout, NULL);
    }
    return !sched.error[0];
}

int main(int argc, char **argv)
{
    struct server s;
    int st = server_start(&s, &MODEL, argc, argv);
    if (st)
        return st;
    sched.ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (sched.ep < 0 || epoll_ctl(sched.ep, EPOLL_CTL_ADD, s.listen_fd, &ev) < 0) {
        fprintf(stderr, "coro: setup: %s\n", strerror(errno));
        return 1;
    }
    timeouts_init(&sched.tq);
    conn_backend_drive(true);
    bool ok = run(&s);
    wake_all(false);
    while (sched.free) {
        struct coro *co = sched.free;
        sched.free = co->next;
        munmap(stack_bottom(co) - CORO_GUARD, CORO_GUARD + CORO_STACK);
    }
    close(sched.ep);
    free(sched.db);
#ifdef CORO_STACK_REPORT
    fprintf(stderr, "coro: deepest stack %zu of %zu bytes\n", stack_deepest,
            stack_size());
#endif
    if (!ok) {
        fprintf(stderr, "coro: %s\n", sched.error);
        return 1;
    }
    return server_finish(&s);
}
