/* The one clock of the core: monotonic milliseconds, for timeouts, the grace
 * period and the file cache's revalidation.
 *
 *   int64_t due = clock_now_ms() + 10000;
 *
 * CLOCK_MONOTONIC_COARSE reads the tick the kernel last recorded (resolution
 * 1-4 ms with HZ 1000-250) without touching the clock source: cheaper than
 * CLOCK_MONOTONIC on every event, and timeouts of seconds do not need more.
 * It may lag by a tick, so a wake-up can come a few ms "early"; a loop then
 * waits the small remainder again. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline int64_t clock_now_ms(void)
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

#endif
