/* Header-read and idle timeouts: one circular doubly linked list per kind,
 * threaded through struct conn (tq_prev, tq_next), each with a sentinel in
 * struct timeouts. A conn with tq_next == NULL is in no list (conn_init sets
 * that).
 *
 * A list stays in deadline order as long as its members share one timeout
 * length: touch appends at the tail in O(1), expiry pops from the head. So a
 * conn goes to the list of its length, not only of its state. conn.c gives
 * a conn that is not idle but waits for a slow client to read a response
 * the idle length: it joins the idle list (the idle sentinel remembers the
 * length idle conns last got). Any other length (conn.c's short linger after
 * an error) is inserted in order into the header list, walking from the
 * nearer end: such conns are rare, and the order keeps expiry exact (a head
 * due late would otherwise hold back every conn behind it). */
#include "timeouts.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool tq_empty(const struct conn *head)
{
    return head->tq_next == head;
}

static void tq_unlink(struct conn *c)
{
    c->tq_prev->tq_next = c->tq_next;
    c->tq_next->tq_prev = c->tq_prev;
    c->tq_prev = c->tq_next = NULL;
}

static void tq_insert_after(struct conn *pos, struct conn *c)
{
    c->tq_prev = pos;
    c->tq_next = pos->tq_next;
    pos->tq_next->tq_prev = c;
    pos->tq_next = c;
}

/* Inserts c in deadline order, after any equal deadlines: O(1) at the tail
 * when c's length matches the list's, else a walk from the nearer end. */
static void tq_insert_sorted(struct conn *head, struct conn *c)
{
    struct conn *tail = head->tq_prev;
    int64_t d = c->deadline_ms;
    if (tail == head || tail->deadline_ms <= d) {
        tq_insert_after(tail, c);
        return;
    }
    struct conn *pos = head->tq_next;
    if (d - pos->deadline_ms < tail->deadline_ms - d) {
        while (pos != head && pos->deadline_ms <= d)
            pos = pos->tq_next;
        tq_insert_after(pos->tq_prev, c);
    } else {
        pos = tail;
        while (pos != head && pos->deadline_ms > d)
            pos = pos->tq_prev;
        tq_insert_after(pos, c);
    }
}

/* A sentinel is never due and never expires; only its links are used, and
 * for the idle list its deadline_ms holds the idle length (-1: none seen). */
static void tq_sentinel(struct conn *head, int kind)
{
    memset(head, 0, sizeof *head);
    head->fd = -1;
    head->tq_prev = head->tq_next = head;
    head->tq_kind = (uint8_t)kind;
    head->deadline_ms = -1;
}

void timeouts_init(struct timeouts *t)
{
    for (int k = 0; k < TIMEOUT_KINDS; k++)
        tq_sentinel(&t->head[k], k);
}

void timeouts_touch(struct timeouts *t, struct conn *c, int64_t now_ms)
{
    if (c->tq_next)
        tq_unlink(c);
    int ms = conn_timeout_ms(c);
    if (ms < 0)
        return; /* poll's convention: no deadline, so in no list */
    struct conn *idle = &t->head[TIMEOUT_IDLE];
    int kind = TIMEOUT_HEADER;
    if (conn_is_idle(c)) {
        kind = TIMEOUT_IDLE;
        idle->deadline_ms = ms;
    } else if (ms == idle->deadline_ms) {
        kind = TIMEOUT_IDLE; /* busy, but given the idle length */
    }
    c->tq_kind = (uint8_t)kind;
    c->deadline_ms = now_ms + ms;
    tq_insert_sorted(&t->head[kind], c);
}

void timeouts_remove(struct timeouts *t, struct conn *c)
{
    (void)t; /* the links alone are enough to unlink */
    if (c->tq_next)
        tq_unlink(c);
}

/* The earliest head over all lists, or NULL when all are empty. */
static struct conn *timeouts_first(const struct timeouts *t)
{
    struct conn *first = NULL;
    for (int k = 0; k < TIMEOUT_KINDS; k++) {
        const struct conn *head = &t->head[k];
        if (!tq_empty(head) &&
            (!first || head->tq_next->deadline_ms < first->deadline_ms))
            first = head->tq_next;
    }
    return first;
}

int timeouts_next_ms(const struct timeouts *t, int64_t now_ms)
{
    const struct conn *first = timeouts_first(t);
    if (!first)
        return -1;
    int64_t wait = first->deadline_ms - now_ms;
    if (wait <= 0)
        return 0;
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

int timeouts_expire(struct timeouts *t, int64_t now_ms,
                    void (*expired)(struct conn *c, void *arg), void *arg)
{
    /* Move everything due to a private list first, in deadline order, then
     * call back. A callback may touch its conn again (it is then in a real
     * list and not seen twice) or remove another conn that is due (it is
     * unlinked from the private list and not called), and a zero timeout
     * cannot make this loop forever. */
    struct conn due;
    tq_sentinel(&due, TIMEOUT_KINDS);
    struct conn *c;
    while ((c = timeouts_first(t)) && c->deadline_ms <= now_ms) {
        tq_unlink(c);
        tq_insert_after(due.tq_prev, c);
    }
    int n = 0;
    while (!tq_empty(&due)) {
        c = due.tq_next;
        tq_unlink(c); /* the callback need not remove it */
        n++;
        expired(c, arg);
    }
    return n;
}

/* CLOCK_MONOTONIC_COARSE reads the tick the kernel last recorded (resolution
 * 1-4 ms with HZ 1000-250) without touching the clock source: cheaper than
 * CLOCK_MONOTONIC on every event, and timeouts of seconds do not need more.
 * It may lag by a tick, so a wake-up can come a few ms "early"; next_ms then
 * returns the small remainder and the following wake-up expires it. */
int64_t timeouts_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 &&
        clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        /* Only possible with a broken libc or kernel: no timeout can work. */
        perror("clock_gettime CLOCK_MONOTONIC");
        abort();
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
