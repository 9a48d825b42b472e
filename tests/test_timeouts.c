/* timeouts.c: the lists take a member's length and idleness from the
 * caller, so a test member is a struct timeout_link with those two values
 * beside it, and nothing else of the core is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "timeouts.h"

#define HEADER_MS 10000
#define IDLE_MS 30000

/* A member as a zeroed struct conn holds it, with what conn.c would say of
 * its connection: its timeout length and whether it is idle. */
struct tconn {
    struct timeout_link c; /* first: a callback's link is its tconn */
    bool idle;
    int timeout_ms;
};

static void tconn_init(struct tconn *t, bool idle, int timeout_ms)
{
    memset(t, 0, sizeof *t);
    t->idle = idle;
    t->timeout_ms = timeout_ms;
}

static void set_header(struct tconn *t)
{
    t->idle = false;
    t->timeout_ms = HEADER_MS;
}

static void set_idle(struct tconn *t)
{
    t->idle = true;
    t->timeout_ms = IDLE_MS;
}

/* What a model does after each event: timeouts_touch with the member's own
 * length and idleness. */
static void touch(struct timeouts *t, struct tconn *c, int64_t now)
{
    timeouts_touch(t, &c->c, now, c->timeout_ms, c->idle);
}

/* Walks one list checking links both ways and deadline order; stores up to
 * max members in out and returns how many there are. */
static size_t list_members(const struct timeouts *t, int kind,
                           struct timeout_link **out, size_t max)
{
    const struct timeout_link *head = &t->head[kind];
    size_t n = 0;
    int64_t last = INT64_MIN;
    for (struct timeout_link *c = head->next; c != head; c = c->next) {
        assert_ptr_equal(c->next->prev, c);
        assert_ptr_equal(c->prev->next, c);
        assert_int_equal(c->kind, kind);
        assert_true(c->deadline_ms >= last);
        last = c->deadline_ms;
        if (n < max)
            out[n] = c;
        n++;
    }
    return n;
}

/* Asserts that list kind holds exactly the given conns, in order. */
static void expect_list(const struct timeouts *t, int kind, size_t n, ...)
{
    struct timeout_link *got[16];
    size_t have = list_members(t, kind, got, 16);
    assert_int_equal(have, n);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(got[i], &va_arg(ap, struct tconn *)->c);
    va_end(ap);
}

/* Records expiry callbacks in order. */
struct log {
    struct timeout_link *seen[16];
    int n;
    struct timeouts *t;
    struct timeout_link *victim;    /* removed by the first callback, if set */
    bool retouch;           /* callback touches its conn again */
    int64_t now;
};

static void on_expired(struct timeout_link *c, void *arg)
{
    struct log *l = arg;
    assert_null(c->next); /* unlinked before the call */
    if (l->n < 16)
        l->seen[l->n] = c;
    l->n++;
    if (l->victim) {
        timeouts_remove(l->t, l->victim);
        l->victim = NULL;
    }
    if (l->retouch)
        touch(l->t, (struct tconn *)c, l->now);
}

static void touch_appends_in_order(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b, c;
    timeouts_init(&t);
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    tconn_init(&c, false, HEADER_MS);
    touch(&t, &a, 100);
    touch(&t, &b, 101);
    touch(&t, &c, 101);
    expect_list(&t, TIMEOUT_HEADER, 3, &a, &b, &c);
    expect_list(&t, TIMEOUT_IDLE, 0);
    assert_int_equal(a.c.deadline_ms, 100 + HEADER_MS);
    assert_int_equal(c.c.deadline_ms, 101 + HEADER_MS);
    assert_int_equal(a.c.kind, TIMEOUT_HEADER);
}

static void retouch_moves_to_tail(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b, c;
    timeouts_init(&t);
    tconn_init(&a, true, IDLE_MS);
    tconn_init(&b, true, IDLE_MS);
    tconn_init(&c, true, IDLE_MS);
    touch(&t, &a, 0);
    touch(&t, &b, 1);
    touch(&t, &c, 2);
    touch(&t, &a, 3);
    expect_list(&t, TIMEOUT_IDLE, 3, &b, &c, &a);
    assert_int_equal(a.c.deadline_ms, 3 + IDLE_MS);
    touch(&t, &a, 4); /* already the tail */
    expect_list(&t, TIMEOUT_IDLE, 3, &b, &c, &a);
}

/* A touch in the same tick as the last (a request and its response) keeps
 * the member where it is: everything behind it has the same deadline. A
 * touch a tick later still moves it, and a new length still does. */
static void retouch_in_same_tick_keeps_place(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b, c;
    timeouts_init(&t);
    tconn_init(&a, true, IDLE_MS);
    tconn_init(&b, true, IDLE_MS);
    tconn_init(&c, true, IDLE_MS);
    touch(&t, &a, 5);
    touch(&t, &b, 5);
    touch(&t, &a, 5);
    expect_list(&t, TIMEOUT_IDLE, 2, &a, &b);
    assert_int_equal(a.c.deadline_ms, 5 + IDLE_MS);
    touch(&t, &c, 6);
    touch(&t, &a, 6);
    expect_list(&t, TIMEOUT_IDLE, 3, &b, &c, &a);
    set_header(&b); /* same tick, another length and list */
    touch(&t, &b, 6);
    expect_list(&t, TIMEOUT_IDLE, 2, &c, &a);
    expect_list(&t, TIMEOUT_HEADER, 1, &b);
    assert_int_equal(b.c.deadline_ms, 6 + HEADER_MS);
}

static void remove_unlinks_and_is_idempotent(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b, c, never;
    timeouts_init(&t);
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    tconn_init(&c, false, HEADER_MS);
    tconn_init(&never, false, HEADER_MS);
    touch(&t, &a, 0);
    touch(&t, &b, 0);
    touch(&t, &c, 0);
    timeouts_remove(&t, &b.c);
    assert_null(b.c.prev);
    assert_null(b.c.next);
    expect_list(&t, TIMEOUT_HEADER, 2, &a, &c);
    timeouts_remove(&t, &b.c);     /* no longer in a list */
    timeouts_remove(&t, &never.c); /* never was */
    assert_null(never.c.next);
    expect_list(&t, TIMEOUT_HEADER, 2, &a, &c);
    timeouts_remove(&t, &a.c);
    timeouts_remove(&t, &c.c);
    expect_list(&t, TIMEOUT_HEADER, 0);
    assert_int_equal(timeouts_next_ms(&t, 0), -1);
}

static void kind_switch_moves_lists(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b;
    timeouts_init(&t);
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    touch(&t, &a, 0);
    touch(&t, &b, 0);
    set_idle(&a); /* answered: now waiting for the next request */
    touch(&t, &a, 5);
    expect_list(&t, TIMEOUT_HEADER, 1, &b);
    expect_list(&t, TIMEOUT_IDLE, 1, &a);
    assert_int_equal(a.c.kind, TIMEOUT_IDLE);
    assert_int_equal(a.c.deadline_ms, 5 + IDLE_MS);
    set_header(&a); /* a new request started arriving */
    touch(&t, &a, 6);
    expect_list(&t, TIMEOUT_HEADER, 2, &b, &a);
    expect_list(&t, TIMEOUT_IDLE, 0);
}

/* conn.c gives a conn that waits for a slow client the idle length while it
 * is not idle: it joins the idle list (whose length an idle conn taught),
 * so readers touched after it still append in O(1). */
static void busy_conn_with_idle_length_joins_idle_list(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn idle, slow, a, b;
    timeouts_init(&t);
    tconn_init(&idle, true, IDLE_MS);
    tconn_init(&slow, false, IDLE_MS);
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    touch(&t, &idle, 0);
    touch(&t, &slow, 1);
    touch(&t, &a, 2);
    touch(&t, &b, 3);
    expect_list(&t, TIMEOUT_IDLE, 2, &idle, &slow);
    expect_list(&t, TIMEOUT_HEADER, 2, &a, &b);
}

/* Any other length (conn.c's linger, or a slow writer before any conn was
 * idle) is inserted in deadline order, from whichever end is nearer, so
 * expiry stays exact. */
static void other_lengths_keep_deadline_order(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn slow, a, b, c, linger, late;
    timeouts_init(&t);
    tconn_init(&slow, false, IDLE_MS); /* no idle length known yet */
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    tconn_init(&c, false, HEADER_MS);
    tconn_init(&linger, false, 2000);
    tconn_init(&late, false, 15000);
    touch(&t, &slow, 0);     /* due 30000 */
    touch(&t, &a, 1);        /* due 10001 */
    touch(&t, &b, 9000);     /* due 19000 */
    touch(&t, &c, 9000);     /* due 19000 */
    touch(&t, &linger, 9000); /* due 11000: from the head */
    touch(&t, &late, 9000);  /* due 24000: from the tail */
    expect_list(&t, TIMEOUT_HEADER, 6, &a, &linger, &b, &c, &late, &slow);
    assert_int_equal(timeouts_next_ms(&t, 9000), 1001);
    struct log l = {.t = &t};
    assert_int_equal(timeouts_expire(&t, 19000, on_expired, &l), 4);
    assert_ptr_equal(l.seen[0], &a.c);
    assert_ptr_equal(l.seen[1], &linger.c);
    assert_ptr_equal(l.seen[2], &b.c);
    assert_ptr_equal(l.seen[3], &c.c);
    expect_list(&t, TIMEOUT_HEADER, 2, &late, &slow);
}

/* conn_timeout_ms() < 0 means no deadline (poll's -1): tracked nowhere. */
static void negative_timeout_is_untracked(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a;
    timeouts_init(&t);
    tconn_init(&a, false, HEADER_MS);
    touch(&t, &a, 0);
    a.timeout_ms = -1;
    touch(&t, &a, 1);
    assert_null(a.c.next);
    assert_int_equal(timeouts_next_ms(&t, 1), -1);
}

static void next_ms_is_earliest_head(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn h, i;
    timeouts_init(&t);
    assert_int_equal(timeouts_next_ms(&t, 0), -1);
    tconn_init(&i, true, IDLE_MS);
    touch(&t, &i, 0);
    assert_int_equal(timeouts_next_ms(&t, 0), IDLE_MS);
    assert_int_equal(timeouts_next_ms(&t, 1000), IDLE_MS - 1000);
    tconn_init(&h, false, HEADER_MS);
    touch(&t, &h, 1000);
    assert_int_equal(timeouts_next_ms(&t, 1000), HEADER_MS);
    assert_int_equal(timeouts_next_ms(&t, 1000 + HEADER_MS), 0);
    assert_int_equal(timeouts_next_ms(&t, 1000000), 0); /* never negative */
    timeouts_remove(&t, &h.c);
    assert_int_equal(timeouts_next_ms(&t, 1000), IDLE_MS - 1000);
    /* Deadlines farther than INT_MAX ms are clamped, not wrapped. */
    assert_int_equal(timeouts_next_ms(&t, -((int64_t)1 << 40)), INT32_MAX);
    timeouts_remove(&t, &i.c);
    assert_int_equal(timeouts_next_ms(&t, 0), -1);
}

static void expire_only_past_deadlines_in_order(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn h1, h2, h3, i1, i2;
    timeouts_init(&t);
    tconn_init(&i1, true, IDLE_MS);
    tconn_init(&h1, false, HEADER_MS);
    tconn_init(&h2, false, HEADER_MS);
    tconn_init(&i2, true, IDLE_MS);
    tconn_init(&h3, false, HEADER_MS);
    touch(&t, &i1, 0);     /* due 30000 */
    touch(&t, &h1, 19000); /* due 29000 */
    touch(&t, &h2, 20500); /* due 30500 */
    touch(&t, &i2, 1000);  /* due 31000 */
    touch(&t, &h3, 25000); /* due 35000 */
    struct log l = {.t = &t};
    assert_int_equal(timeouts_expire(&t, 28999, on_expired, &l), 0);
    assert_int_equal(l.n, 0);
    /* A deadline equal to now has passed. */
    assert_int_equal(timeouts_expire(&t, 31000, on_expired, &l), 4);
    assert_ptr_equal(l.seen[0], &h1.c);
    assert_ptr_equal(l.seen[1], &i1.c);
    assert_ptr_equal(l.seen[2], &h2.c);
    assert_ptr_equal(l.seen[3], &i2.c);
    expect_list(&t, TIMEOUT_HEADER, 1, &h3);
    expect_list(&t, TIMEOUT_IDLE, 0);
    assert_int_equal(timeouts_next_ms(&t, 31000), 4000);
}

static void expire_with_empty_lists(void **state)
{
    (void)state;
    struct timeouts t;
    timeouts_init(&t);
    struct log l = {.t = &t};
    assert_int_equal(timeouts_expire(&t, INT64_MAX, on_expired, &l), 0);
    assert_int_equal(l.n, 0);
}

/* A callback that forgets to remove its conn must not see it again. */
static void expire_survives_callback_not_removing(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b;
    timeouts_init(&t);
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    touch(&t, &a, 0);
    touch(&t, &b, 0);
    struct log l = {.t = &t};
    assert_int_equal(timeouts_expire(&t, HEADER_MS, on_expired, &l), 2);
    assert_null(a.c.next);
    assert_null(b.c.prev);
    assert_int_equal(timeouts_next_ms(&t, 0), -1);
    timeouts_remove(&t, &a.c); /* the model's close path: still a no-op */
}

/* A callback that keeps its conn (touches it again) is not called twice in
 * one expiry, even with a zero-length timeout. */
static void expire_callback_may_retouch(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a;
    timeouts_init(&t);
    tconn_init(&a, false, 0);
    touch(&t, &a, 50);
    struct log l = {.t = &t, .retouch = true, .now = 50};
    assert_int_equal(timeouts_expire(&t, 50, on_expired, &l), 1);
    expect_list(&t, TIMEOUT_HEADER, 1, &a);
    assert_int_equal(timeouts_next_ms(&t, 50), 0);
}

/* A callback may remove another conn that was also due; it is then not
 * called back. */
static void expire_callback_may_remove_another(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn a, b, c;
    timeouts_init(&t);
    tconn_init(&a, false, HEADER_MS);
    tconn_init(&b, false, HEADER_MS);
    tconn_init(&c, false, HEADER_MS);
    touch(&t, &a, 0);
    touch(&t, &b, 1);
    touch(&t, &c, 2);
    struct log l = {.t = &t, .victim = &b.c};
    assert_int_equal(timeouts_expire(&t, 2 + HEADER_MS, on_expired, &l), 2);
    assert_ptr_equal(l.seen[0], &a.c);
    assert_ptr_equal(l.seen[1], &c.c);
    assert_null(b.c.next);
}

#define MANY 10000

struct many_log {
    int n;
    int64_t last;
    int called[MANY];
    struct tconn *base;
};

static void on_many_expired(struct timeout_link *c, void *arg)
{
    struct many_log *l = arg;
    assert_true(c->deadline_ms >= l->last);
    l->last = c->deadline_ms;
    struct tconn *tc = (struct tconn *)c; /* the link is its first member */
    l->called[tc - l->base]++;
    l->n++;
}

/* 10,000 conns in both lists, re-touched, switched and removed; expiry in
 * steps must call each remaining conn once, in deadline order. */
static void ten_thousand_conns(void **state)
{
    (void)state;
    struct timeouts t;
    struct tconn *cs = calloc(MANY, sizeof *cs);
    struct many_log *l = calloc(1, sizeof *l);
    assert_non_null(cs);
    assert_non_null(l);
    l->base = cs;
    timeouts_init(&t);
    for (int i = 0; i < MANY; i++) {
        tconn_init(&cs[i], i % 3 == 0, i % 3 == 0 ? IDLE_MS : HEADER_MS);
        touch(&t, &cs[i], i);
    }
    for (int i = 0; i < MANY; i += 2) /* activity on half of them */
        touch(&t, &cs[i], MANY + i);
    for (int i = 0; i < MANY; i += 5) { /* a fifth become idle */
        set_idle(&cs[i]);
        touch(&t, &cs[i], 2 * MANY);
    }
    int removed = 0;
    for (int i = 1; i < MANY; i += 7) {
        timeouts_remove(&t, &cs[i].c);
        removed++;
    }
    struct timeout_link *none[1];
    size_t in_lists = list_members(&t, TIMEOUT_HEADER, none, 0) +
                      list_members(&t, TIMEOUT_IDLE, none, 0);
    assert_int_equal(in_lists, MANY - removed);
    l->last = INT64_MIN;
    int total = 0;
    for (int64_t now = 0; now <= 2 * MANY + IDLE_MS; now += 997) {
        int next = timeouts_next_ms(&t, now);
        int n = timeouts_expire(&t, now, on_many_expired, l);
        assert_true(n == 0 || next == 0); /* next_ms announced it */
        total += n;
    }
    total += timeouts_expire(&t, 2 * MANY + IDLE_MS, on_many_expired, l);
    assert_int_equal(total, MANY - removed);
    assert_int_equal(l->n, MANY - removed);
    for (int i = 0; i < MANY; i++)
        assert_int_equal(l->called[i], (i % 7 == 1) ? 0 : 1);
    assert_int_equal(timeouts_next_ms(&t, 0), -1);
    free(cs);
    free(l);
}

/* Random touches, state changes and removals with the three lengths conn.c
 * uses (header, idle, linger), time moving forward: every list stays in
 * deadline order (list_members checks) and expiry calls each conn once, in
 * deadline order. */
static void random_mix_stays_ordered(void **state)
{
    (void)state;
    static const int lengths[] = {HEADER_MS, IDLE_MS, 2000};
    struct timeouts t;
    struct tconn *cs = calloc(MANY, sizeof *cs);
    struct many_log *l = calloc(1, sizeof *l);
    assert_non_null(cs);
    assert_non_null(l);
    l->base = cs;
    timeouts_init(&t);
    for (int i = 0; i < MANY; i++)
        tconn_init(&cs[i], true, IDLE_MS);
    uint32_t seed = 12345;
    int64_t now = 0;
    for (int op = 0; op < 5 * MANY; op++) {
        seed = seed * 1103515245u + 12345u; /* any fixed sequence will do */
        uint32_t r = seed >> 8;
        struct tconn *c = &cs[r % MANY];
        now += (r >> 20) % 3;
        if ((r >> 14) % 10 == 0) {
            timeouts_remove(&t, &c->c);
            continue;
        }
        c->timeout_ms = lengths[(r >> 16) % 3];
        c->idle = c->timeout_ms == IDLE_MS && (r >> 18) % 2;
        touch(&t, c, now);
    }
    struct timeout_link *none[1];
    size_t left = list_members(&t, TIMEOUT_HEADER, none, 0) +
                  list_members(&t, TIMEOUT_IDLE, none, 0);
    l->last = INT64_MIN;
    size_t total = 0;
    for (int64_t at = now; timeouts_next_ms(&t, at) >= 0; at += 250)
        total += (size_t)timeouts_expire(&t, at, on_many_expired, l);
    assert_int_equal(total, left);
    for (int i = 0; i < MANY; i++)
        assert_true(l->called[i] <= 1);
    free(cs);
    free(l);
}

static void now_ms_is_monotonic(void **state)
{
    (void)state;
    int64_t a = clock_now_ms();
    int64_t b = clock_now_ms();
    assert_true(a >= 0);
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(touch_appends_in_order),
        cmocka_unit_test(retouch_moves_to_tail),
        cmocka_unit_test(retouch_in_same_tick_keeps_place),
        cmocka_unit_test(remove_unlinks_and_is_idempotent),
        cmocka_unit_test(kind_switch_moves_lists),
        cmocka_unit_test(busy_conn_with_idle_length_joins_idle_list),
        cmocka_unit_test(other_lengths_keep_deadline_order),
        cmocka_unit_test(negative_timeout_is_untracked),
        cmocka_unit_test(next_ms_is_earliest_head),
        cmocka_unit_test(expire_only_past_deadlines_in_order),
        cmocka_unit_test(expire_with_empty_lists),
        cmocka_unit_test(expire_survives_callback_not_removing),
        cmocka_unit_test(expire_callback_may_retouch),
        cmocka_unit_test(expire_callback_may_remove_another),
        cmocka_unit_test(ten_thousand_conns),
        cmocka_unit_test(random_mix_stays_ordered),
        cmocka_unit_test(now_ms_is_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
