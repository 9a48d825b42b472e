/* A pool of N backend connections ("slots" 0..N-1) with FIFO waiting: the
 * bookkeeping alone, no locking and no I/O, so that both faces of the
 * database client (db.h) share it and a unit test can drive it.
 *
 *   struct db_pool p;  db_pool_init(&p, n);        // -1: out of memory
 *   struct db_waiter w;
 *   int slot = db_pool_take(&p, &w);  // >= 0: yours; -1: queued, FIFO
 *   ... w.slot becomes >= 0 when a give hands it a slot ...
 *   struct db_waiter *next = db_pool_give(&p, slot); // the slot went to next
 *   db_pool_cancel(&p, &w);           // a queued waiter that gives up
 *
 * Fairness: a take while others wait queues behind them even if a slot is
 * free, and a give hands its slot straight to the oldest waiter, so no
 * request is overtaken (TechEmpower-style pools are FIFO too). */
#ifndef DB_POOL_H
#define DB_POOL_H

struct db_waiter {
    struct db_waiter *next;
    int slot;               /* -1 while queued */
    void *owner;            /* the caller's: the request that waits */
};

struct db_pool {
    int size;               /* slots */
    int nfree;
    int *free;              /* stack of free slots */
    struct db_waiter *head, *tail;
    int waiting;            /* queued waiters */
};

int db_pool_init(struct db_pool *p, int size);
void db_pool_free(struct db_pool *p);
int db_pool_take(struct db_pool *p, struct db_waiter *w);
struct db_waiter *db_pool_give(struct db_pool *p, int slot);
void db_pool_cancel(struct db_pool *p, struct db_waiter *w);

#endif
