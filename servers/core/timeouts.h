/* Header-read and idle timeouts for event models in O(1) per event.
 *
 * Each kind of timeout has a fixed length, so a list per kind kept in the
 * order of last activity is also in deadline order: touching a member moves
 * it to the tail, expiry pops from the head. A member is a struct
 * timeout_link embedded in what is timed (struct conn has one, and
 * conn_timeout_touch() fills in the length and kind for it); the lists know
 * nothing else about it.
 *
 *   struct timeouts t; timeouts_init(&t);
 *   after each event that did not close:  timeouts_touch(&t, &l, now, ms, idle);
 *   before closing:                       timeouts_remove(&t, &l);
 *   wait at most timeouts_next_ms(&t, now) milliseconds (-1: no deadline);
 *   after waking: timeouts_expire(&t, now, close_cb, arg);
 */
#ifndef TIMEOUTS_H
#define TIMEOUTS_H

#include <stdbool.h>
#include <stdint.h>

enum { TIMEOUT_HEADER, TIMEOUT_IDLE, TIMEOUT_KINDS };

/* Zeroed: in no list. */
struct timeout_link {
    struct timeout_link *prev, *next; /* next NULL: in no list */
    int64_t deadline_ms;   /* monotonic ms (clock.h) */
    uint8_t kind;          /* TIMEOUT_HEADER or TIMEOUT_IDLE */
};

struct timeouts {
    struct timeout_link head[TIMEOUT_KINDS]; /* sentinels of circular lists */
};

void timeouts_init(struct timeouts *t);
/* Puts l at the end of its list, due ms after now_ms (ms < 0: no deadline,
 * in no list). idle says the member waits for a new request: its length is
 * then the idle list's. */
void timeouts_touch(struct timeouts *t, struct timeout_link *l, int64_t now_ms, int ms,
                    bool idle);
void timeouts_remove(struct timeouts *t, struct timeout_link *l);
/* Milliseconds until the first deadline (0 if passed), -1 when none. */
int timeouts_next_ms(const struct timeouts *t, int64_t now_ms);
/* Calls expired(l, arg) for every member whose deadline has passed, unlinked
 * first; the callback closes what l belongs to. Returns how many expired. */
int timeouts_expire(struct timeouts *t, int64_t now_ms,
                    void (*expired)(struct timeout_link *l, void *arg), void *arg);

#endif
