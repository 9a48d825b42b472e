/* Header-read and idle timeouts for event models in O(1) per event.
 *
 * Each kind of timeout has a fixed length, so a list per kind kept in the
 * order of last activity is also in deadline order: touching a connection
 * moves it to the tail, expiry pops from the head.
 *
 *   struct timeouts t; timeouts_init(&t);
 *   after each conn_step() that did not close:  timeouts_touch(&t, c, now);
 *   before conn_close():                        timeouts_remove(&t, c);
 *   wait at most timeouts_next_ms(&t, now) milliseconds (-1: no deadline);
 *   after waking: timeouts_expire(&t, now, close_cb, arg);
 */
#ifndef TIMEOUTS_H
#define TIMEOUTS_H

#include <stdint.h>

#include "conn.h"

enum { TIMEOUT_HEADER, TIMEOUT_IDLE, TIMEOUT_KINDS };

struct timeouts {
    struct conn head[TIMEOUT_KINDS]; /* sentinels of circular lists */
};

void timeouts_init(struct timeouts *t);
void timeouts_touch(struct timeouts *t, struct conn *c, int64_t now_ms);
void timeouts_remove(struct timeouts *t, struct conn *c);
int timeouts_next_ms(const struct timeouts *t, int64_t now_ms);
/* Calls expired(c, arg) for every connection whose deadline has passed; the
 * callback must remove and close it. Returns how many expired. */
int timeouts_expire(struct timeouts *t, int64_t now_ms,
                    void (*expired)(struct conn *c, void *arg), void *arg);

/* Monotonic milliseconds. */
int64_t timeouts_now_ms(void);

#endif
