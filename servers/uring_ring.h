/* The io_uring under the uring model: one ring, a ring of provided receive
 * buffers the kernel picks from only when data arrives, and submissions
 * whose failures are checked.
 *
 *   ring_open(why, sizeof why)     before listening; -1: cannot run here
 *   sqe = ring_sqe(need);          NULL: the ring was full and the submit failed
 *   ring_prep_recv(sqe, fd, max);  on its completion: data = ring_data(cqe),
 *                                  then ring_recycle(cqe)
 *   ring_wait(ms, &mask);          submit, wait for a completion or ms
 *   ring_reap(on_cqe);             every completion, then mark them seen
 *   ring_error()                   non-NULL once io_uring_enter failed
 */
#ifndef URING_RING_H
#define URING_RING_H

#include <liburing.h>
#include <signal.h>
#include <stddef.h>

#define RING_SQ 2048            /* submission queue entries */
#define RING_CQ 16384           /* completion queue entries */
#define RECV_BUF_SIZE 4096      /* one provided receive buffer */
#define RECV_BUFS 512           /* shared by all connections: 2 MiB (power of 2) */
#define RECV_GROUP 0            /* buffer group id */

/* Returns 0, or -1 with "io_uring unavailable: <why>" in why. */
int ring_open(char *why, size_t whysz);
/* The kernel cancels what is left. */
void ring_close(void);
/* An SQE; when fewer than need are free, submits what is queued first, so
 * that a linked chain of need SQEs is never split across submissions. */
struct io_uring_sqe *ring_sqe(unsigned need);
/* A recv of at most max bytes into a provided buffer. */
void ring_prep_recv(struct io_uring_sqe *sqe, int fd, size_t max);
/* The received bytes of a recv's completion, NULL if it holds no buffer. */
const char *ring_data(const struct io_uring_cqe *cqe);
/* Gives a completion's provided buffer (if any) back to the kernel. */
void ring_recycle(const struct io_uring_cqe *cqe);
/* Submits and waits at most timeout_ms (-1: no limit) for a completion,
 * with mask installed meanwhile. Returns 0, or -1 once ring_error() says. */
int ring_wait(int timeout_ms, const sigset_t *mask);
void ring_reap(void (*on_cqe)(const struct io_uring_cqe *cqe));
const char *ring_error(void);

#endif
