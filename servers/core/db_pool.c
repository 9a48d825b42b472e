/* The backend pool's bookkeeping: see db_pool.h. */
#include "db_pool.h"

#include <stdlib.h>

int db_pool_init(struct db_pool *p, int size)
{
    *p = (struct db_pool){.size = size, .nfree = size};
    if (!(p->free = malloc(sizeof *p->free * (size_t)(size > 0 ? size : 1))))
        return -1;
    for (int i = 0; i < size; i++)
        p->free[i] = size - 1 - i; /* slot 0 is taken first */
    return 0;
}

void db_pool_free(struct db_pool *p)
{
    free(p->free);
    p->free = NULL;
}

int db_pool_take(struct db_pool *p, struct db_waiter *w)
{
    w->next = NULL;
    if (p->nfree > 0 && !p->head)
        return w->slot = p->free[--p->nfree];
    w->slot = -1;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
    p->waiting++;
    return -1;
}

struct db_waiter *db_pool_give(struct db_pool *p, int slot)
{
    struct db_waiter *w = p->head;
    if (!w) {
        p->free[p->nfree++] = slot;
        return NULL;
    }
    if (!(p->head = w->next))
        p->tail = NULL;
    p->waiting--;
    w->next = NULL;
    w->slot = slot;
    return w;
}

void db_pool_cancel(struct db_pool *p, struct db_waiter *w)
{
    struct db_waiter **at = &p->head, *prev = NULL;
    while (*at && *at != w) {
        prev = *at;
        at = &(*at)->next;
    }
    if (!*at)
        return; /* not queued (granted, or never) */
    *at = w->next;
    if (p->tail == w)
        p->tail = prev;
    p->waiting--;
    w->next = NULL;
}
