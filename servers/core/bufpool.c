/* Per-thread free lists of connection buffers: see bufpool.h. */
#include "bufpool.h"

#include <pthread.h>
#include <stdlib.h>

struct pool_buf { struct pool_buf *next; };
static _Thread_local struct pool_buf *pool_head;
static _Thread_local int pool_len;
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_release_all(void *unused)
{
    (void)unused;
    while (pool_head) {
        struct pool_buf *b = pool_head;
        pool_head = b->next;
        free(b);
    }
    pool_len = 0;
}

static void pool_key_init(void)
{
    pthread_key_create(&pool_key, pool_release_all);
}

char *bufpool_get(void)
{
    if (pool_head) {
        struct pool_buf *b = pool_head;
        pool_head = b->next;
        pool_len--;
        return (char *)b;
    }
    return malloc(BUFPOOL_SIZE);
}

void bufpool_put(char *p)
{
    if (pool_len >= BUFPOOL_KEEP) {
        free(p);
        return;
    }
    if (!pool_head) { /* make sure the thread's list is freed when it exits */
        pthread_once(&pool_once, pool_key_init);
        pthread_setspecific(pool_key, (void *)1);
    }
    struct pool_buf *b = (struct pool_buf *)p;
    b->next = pool_head;
    pool_head = b;
    pool_len++;
}
