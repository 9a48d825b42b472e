/* Connection buffers, kept on a free list per thread so that the hot path
 * neither allocates nor locks.
 *
 *   char *b = bufpool_get();   // BUFPOOL_SIZE bytes, or NULL: out of memory
 *   ...
 *   bufpool_put(b);            // back on this thread's list (or freed)
 *
 * A buffer may be returned by another thread than the one that took it (a
 * thread pool's worker): it joins that thread's list. Each thread's list is
 * freed when the thread exits. */
#ifndef BUFPOOL_H
#define BUFPOOL_H

/* One buffer per busy connection: the request head (with room to see a
 * limit crossed) and, after it, the response head or error page. */
#define BUFPOOL_IN_CAP 26624  /* > HTTP_MAX_HEAD, so 414/431 are seen */
#define BUFPOOL_OUT_CAP 6144  /* response head; a 301 Location up to 4 KiB */
#define BUFPOOL_SIZE (BUFPOOL_IN_CAP + BUFPOOL_OUT_CAP)
#define BUFPOOL_KEEP 64       /* free buffers kept per thread */

char *bufpool_get(void);
void bufpool_put(char *buf);

#endif
