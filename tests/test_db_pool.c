/* db_pool.c: the database pool's bookkeeping (FIFO order and the limit),
 * and db_answer.c's parsing of /db and /queries?q= (TechEmpower's clamping),
 * without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "db.h"
#include "db_answer.h"
#include "db_pool.h"

/* At most size slots are out at once; the next takes queue. */
static void limit(void **state)
{
    (void)state;
    struct db_pool p;
    struct db_waiter w[5];
    assert_int_equal(db_pool_init(&p, 3), 0);
    bool used[3] = {false};
    for (int i = 0; i < 3; i++) {
        int s = db_pool_take(&p, &w[i]);
        assert_true(s >= 0 && s < 3 && !used[s]);
        used[s] = true;
    }
    assert_int_equal(db_pool_take(&p, &w[3]), -1);
    assert_int_equal(w[3].slot, -1);
    assert_int_equal(p.waiting, 1);
    assert_int_equal(p.nfree, 0);
    /* A slot given back goes to the waiter, not to the free list. */
    assert_ptr_equal(db_pool_give(&p, w[0].slot), &w[3]);
    assert_int_equal(w[3].slot, w[0].slot);
    assert_int_equal(p.nfree, 0);
    assert_int_equal(db_pool_take(&p, &w[4]), -1);
    db_pool_free(&p);
}

/* Waiters get slots in the order they came, whichever slot is given back,
 * and a take while others wait queues behind them even if a slot is free. */
static void fifo(void **state)
{
    (void)state;
    struct db_pool p;
    struct db_waiter held[2], q[6];
    assert_int_equal(db_pool_init(&p, 2), 0);
    db_pool_take(&p, &held[0]);
    db_pool_take(&p, &held[1]);
    for (int i = 0; i < 6; i++)
        assert_int_equal(db_pool_take(&p, &q[i]), -1);
    struct db_waiter *next = db_pool_give(&p, held[1].slot);
    assert_ptr_equal(next, &q[0]);
    assert_int_equal(q[0].slot, held[1].slot);
    assert_ptr_equal(db_pool_give(&p, held[0].slot), &q[1]);
    db_pool_cancel(&p, &q[2]); /* a client that left while queued */
    assert_ptr_equal(db_pool_give(&p, q[0].slot), &q[3]);
    assert_ptr_equal(db_pool_give(&p, q[1].slot), &q[4]);
    assert_ptr_equal(db_pool_give(&p, q[3].slot), &q[5]);
    assert_int_equal(p.waiting, 0);
    assert_null(db_pool_give(&p, q[4].slot)); /* nobody waits: back to the free list */
    assert_int_equal(p.nfree, 1);
    struct db_waiter late, later;
    /* One slot free and nobody waiting: taken at once. */
    assert_int_equal(db_pool_take(&p, &late), q[4].slot);
    assert_int_equal(db_pool_take(&p, &later), -1);
    db_pool_cancel(&p, &later);
    db_pool_cancel(&p, &later); /* not queued any more: nothing happens */
    assert_int_equal(p.waiting, 0);
    assert_null(p.head);
    assert_null(p.tail);
    db_pool_free(&p);
}

/* The tail follows a cancel of the last waiter, so the next take links
 * behind the right one. */
static void cancel_tail(void **state)
{
    (void)state;
    struct db_pool p;
    struct db_waiter h, a, b, c;
    assert_int_equal(db_pool_init(&p, 1), 0);
    db_pool_take(&p, &h);
    db_pool_take(&p, &a);
    db_pool_take(&p, &b);
    db_pool_cancel(&p, &b);
    db_pool_take(&p, &c);
    assert_ptr_equal(db_pool_give(&p, h.slot), &a);
    assert_ptr_equal(db_pool_give(&p, a.slot), &c);
    assert_null(db_pool_give(&p, c.slot));
    db_pool_free(&p);
}

static int q(const char *s)
{
    return db_queries_param(s, strlen(s));
}

/* TechEmpower: missing, not an integer or below 1 is 1; above 500 is 500. */
static void queries_param(void **state)
{
    (void)state;
    assert_int_equal(q(""), 1);
    assert_int_equal(q("q="), 1);
    assert_int_equal(q("q=abc"), 1);
    assert_int_equal(q("q=0"), 1);
    assert_int_equal(q("q=-5"), 1);
    assert_int_equal(q("q=5x"), 1);
    assert_int_equal(q("q=1"), 1);
    assert_int_equal(q("q=20"), 20);
    assert_int_equal(q("q=500"), 500);
    assert_int_equal(q("q=501"), 500);
    assert_int_equal(q("q=99999999999999999999999"), 500);
    assert_int_equal(q("a=1&q=7&q=9"), 7);
    assert_int_equal(q("qq=7"), 1);
    assert_int_equal(q("x=q=7"), 1);
}

static void route(void **state)
{
    (void)state;
    int n;
    bool array;
    assert_true(db_route("/db", 3, &n, &array));
    assert_int_equal(n, 1);
    assert_false(array);
    assert_true(db_route("/queries?q=12", 13, &n, &array));
    assert_int_equal(n, 12);
    assert_true(array);
    assert_true(db_route("/queries", 8, &n, &array));
    assert_int_equal(n, 1);
    assert_false(db_route("/db/", 4, &n, &array));
    assert_false(db_route("/dbx", 4, &n, &array));
    assert_false(db_route("/queries/x", 10, &n, &array));
    assert_false(db_route("/index.html", 11, &n, &array));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limit), cmocka_unit_test(fifo), cmocka_unit_test(cancel_tail),
        cmocka_unit_test(queries_param), cmocka_unit_test(route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
