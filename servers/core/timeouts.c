/* Header-read and idle timeouts: one circular doubly linked list per kind,
 * threaded through struct timeout_link (embedded in struct conn), each
 * with a sentinel in struct timeouts. A link with next == NULL is in no list
 * (conn_init's memset sets that).
 *
 * A list stays in deadline order as long as its members share one timeout
 * length: touch appends at the tail in O(1), expiry pops from the head. So a
 * member goes to the list of its length, not only of its state. conn.c gives
 * a conn that is not idle but waits for a slow client to read a response
 * the idle length: it joins the idle list (the idle sentinel remembers the
 * length idle members last got). Any other length (conn.c's short linger
 * after an error) is inserted in order into the header list, walking from
 * the nearer end: such members are rare, and the order keeps expiry exact (a
 * head due late would otherwise hold back every member behind it). */
#include "timeouts.h"

#include <limits.h>
#include <string.h>

static bool tq_empty(const struct timeout_link *head)
{
    return head->next == head;
}

static void tq_unlink(struct timeout_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = NULL;
}

static void tq_insert_after(struct timeout_link *pos, struct timeout_link *l)
{
    l->prev = pos;
    l->next = pos->next;
    pos->next->prev = l;
    pos->next = l;
}

/* Inserts l in deadline order, after any equal deadlines: O(1) at the tail
 * when l's length matches the list's, else a walk from the nearer end. */
static void tq_insert_sorted(struct timeout_link *head, struct timeout_link *l)
{
    struct timeout_link *tail = head->prev;
    int64_t d = l->deadline_ms;
    if (tail == head || tail->deadline_ms <= d) {
        tq_insert_after(tail, l);
        return;
    }
    struct timeout_link *pos = head->next;
    if (d - pos->deadline_ms < tail->deadline_ms - d) {
        while (pos != head && pos->deadline_ms <= d)
            pos = pos->next;
        tq_insert_after(pos->prev, l);
    } else {
        pos = tail;
        while (pos != head && pos->deadline_ms > d)
            pos = pos->prev;
        tq_insert_after(pos, l);
    }
}

/* A sentinel is never due and never expires; only its links are used, and
 * for the idle list its deadline_ms holds the idle length (-1: none seen). */
static void tq_sentinel(struct timeout_link *head, int kind)
{
    memset(head, 0, sizeof *head);
    head->prev = head->next = head;
    head->kind = (uint8_t)kind;
    head->deadline_ms = -1;
}

void timeouts_init(struct timeouts *t)
{
    for (int k = 0; k < TIMEOUT_KINDS; k++)
        tq_sentinel(&t->head[k], k);
}

void timeouts_touch(struct timeouts *t, struct timeout_link *l, int64_t now_ms, int ms,
                    bool idle)
{
    if (ms < 0) {
        timeouts_remove(t, l);
        return; /* poll's convention: no deadline, so in no list */
    }
    struct timeout_link *idle_head = &t->head[TIMEOUT_IDLE];
    int kind = TIMEOUT_HEADER;
    if (idle) {
        kind = TIMEOUT_IDLE;
        idle_head->deadline_ms = ms;
    } else if (ms == idle_head->deadline_ms) {
        kind = TIMEOUT_IDLE; /* busy, but given the idle length */
    }
    /* Touched again within the same clock tick (a request and its response
     * often are): everything queued behind it since has the same deadline,
     * so it is already in its place. */
    if (l->next && l->kind == kind && l->deadline_ms == now_ms + ms)
        return;
    if (l->next)
        tq_unlink(l);
    l->kind = (uint8_t)kind;
    l->deadline_ms = now_ms + ms;
    tq_insert_sorted(&t->head[kind], l);
}

void timeouts_remove(struct timeouts *t, struct timeout_link *l)
{
    (void)t; /* the links alone are enough to unlink */
    if (l->next)
        tq_unlink(l);
}

/* The earliest head over all lists, or NULL when all are empty. */
static struct timeout_link *timeouts_first(const struct timeouts *t)
{
    struct timeout_link *first = NULL;
    for (int k = 0; k < TIMEOUT_KINDS; k++) {
        const struct timeout_link *head = &t->head[k];
        if (!tq_empty(head) &&
            (!first || head->next->deadline_ms < first->deadline_ms))
            first = head->next;
    }
    return first;
}

int timeouts_next_ms(const struct timeouts *t, int64_t now_ms)
{
    const struct timeout_link *first = timeouts_first(t);
    if (!first)
        return -1;
    int64_t wait = first->deadline_ms - now_ms;
    if (wait <= 0)
        return 0;
    return wait > INT_MAX ? INT_MAX : (int)wait;
}

int timeouts_expire(struct timeouts *t, int64_t now_ms,
                    void (*expired)(struct timeout_link *l, void *arg), void *arg)
{
    /* Move everything due to a private list first, in deadline order, then
     * call back. A callback may touch its member again (it is then in a real
     * list and not seen twice) or remove another member that is due (it is
     * unlinked from the private list and not called), and a zero timeout
     * cannot make this loop forever. */
    struct timeout_link due;
    tq_sentinel(&due, TIMEOUT_KINDS);
    struct timeout_link *l;
    while ((l = timeouts_first(t)) && l->deadline_ms <= now_ms) {
        tq_unlink(l);
        tq_insert_after(due.prev, l);
    }
    int n = 0;
    while (!tq_empty(&due)) {
        l = due.next;
        tq_unlink(l); /* the callback need not remove it */
        n++;
        expired(l, arg);
    }
    return n;
}
