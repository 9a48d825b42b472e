/* The io_uring under the uring model: one ring set up with the newest
 * features the running kernel accepts, a ring of provided receive buffers
 * the kernel picks from only when data arrives, and one io_uring_enter per
 * loop turn.
 *
 *   uring_ring_open(n, why, sizeof why)  before listening; -1: cannot run here
 *   uring_has.direct_fds ...             what the kernel accepted (uring_features_line)
 *   sqe = uring_sqe(need);               NULL: the ring was full and the submit failed
 *   uring_prep_recv(sqe, fd, max, poll_first);
 *   on a recv's completion:              for (uring_data_first(cqe, &it, &p, &n); n;
 *                                             uring_data_next(&it, &p, &n)) use p[0..n)
 *                                        (each buffer goes back to the kernel as it is read)
 *   uring_enter(ms);                     submit and wait together, at most ms
 *   uring_reap(on_cqe, arg);             every completion, then mark them seen
 *   uring_error()                        non-NULL once io_uring_enter failed
 *
 * Features (each probed at start-up, skipped where the kernel refuses it,
 * and switched off by name in the environment, URING_OFF=a,b or "all", to
 * test the fallbacks): see features[] in uring_ring.c. */
#ifndef URING_RING_H
#define URING_RING_H

#include <liburing.h>
#include <stdbool.h>
#include <stddef.h>

/* What Debian 12's liburing 2.3 headers lack, with the kernel's values. */
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4)       /* Linux 6.10: sqe->ioprio of a recv */
#endif
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14) /* Linux 6.10: params.features */
#endif

#define RING_SQ 2048            /* submission queue entries */
#define RING_CQ 16384           /* completion queue entries */
#define RECV_BUF_SIZE 4096      /* one provided receive buffer */
#define RECV_BUFS 512           /* shared by all connections: 2 MiB (power of 2) */
#define RECV_GROUP 0            /* buffer group id */
/* Bodies read from a file (larger than the core keeps in memory, or not
 * kept) go through these: read into one, then sent from it (uring_body.c). */
#define BODY_BUF_SIZE (128 * 1024)
#define BODY_BUFS 32            /* 4 MiB, pinned when registered */

struct uring_features {
    bool single_issuer;   /* IORING_SETUP_SINGLE_ISSUER (6.0) */
    bool defer_taskrun;   /* IORING_SETUP_DEFER_TASKRUN (6.1): completions run in our wait */
    bool coop_taskrun;    /* IORING_SETUP_COOP_TASKRUN | TASKRUN_FLAG (5.19), without defer */
    bool registered_ring; /* io_uring_register_ring_fd (5.18): no fdget per enter */
    bool direct_fds;      /* a sparse registered file table (5.19): accept into it */
    bool recv_multishot;  /* IORING_RECV_MULTISHOT (6.0): one recv per connection */
    bool recv_bundle;     /* IORING_RECVSEND_BUNDLE (6.10): one recv, many buffers */
    bool send_zc;         /* IORING_OP_SEND_ZC, SENDMSG_ZC (6.0/6.1) */
    bool read_fixed;      /* the body buffers registered (5.1): READ_FIXED, no
                             page pinning per read; else plain READ */
};

extern struct uring_features uring_has;

/* Reads URING_OFF=name[,name...] (or "all"): features not to use even where
 * the kernel has them, so that tests reach every fallback. Returns 0, or -1
 * with a message naming an unknown feature. */
int uring_ring_read_env(char *why, size_t whysz);
/* Sets up the ring for a table of nfiles connections. Returns 0, or -1 with
 * "io_uring unavailable: <why>" in why. */
int uring_ring_open(int nfiles, char *why, size_t whysz);
/* The kernel cancels what is left. */
void uring_ring_close(void);
/* "single_issuer defer_taskrun ..." then "; off: name (why), ...". */
void uring_features_line(char *out, size_t outsz);
/* A one-line description for --version: probes with a ring of its own. */
const char *uring_version_features(void);

/* An SQE; when fewer than need are free, submits what is queued first, so
 * that a linked chain of need SQEs is never split across submissions. */
struct io_uring_sqe *uring_sqe(unsigned need);
/* A recv of at most max bytes into provided buffers (several with bundles);
 * poll_first: no data is expected yet, so wait for it before trying. */
void uring_prep_recv(struct io_uring_sqe *sqe, int fd, size_t max, bool poll_first);
/* A multishot recv: a completion (flags IORING_CQE_F_MORE) whenever data
 * arrives, into as many buffers as it takes, until it ends. */
void uring_prep_recv_multishot(struct io_uring_sqe *sqe, int fd);

/* Body buffer i (0 <= i < BODY_BUFS), BODY_BUF_SIZE bytes. */
char *uring_body_buf(unsigned i);
/* A read of len bytes at off of file fd (a descriptor of the process) into
 * p, which is body buffer i (READ_FIXED where the buffers are registered),
 * or with i -1 memory of the caller's. On a page
 * cache hit it completes inline; on a miss the kernel's async buffered read
 * (ext4, xfs, btrfs: 5.9) completes it without a worker thread. */
void uring_prep_read_body(struct io_uring_sqe *sqe, int fd, char *p, int i, size_t len,
                          off_t off);

/* Walks the bytes of a recv's completion, buffer by buffer, giving each
 * back to the kernel once the next is asked for (or the walk ends). */
struct uring_data_iter {
    unsigned pos;      /* ring position of the current buffer */
    unsigned left;     /* bytes not handed out yet */
    int bid;           /* buffer being handed out, -1: none */
};
void uring_data_first(const struct io_uring_cqe *cqe, struct uring_data_iter *it,
                     const char **p, size_t *n);
void uring_data_next(struct uring_data_iter *it, const char **p, size_t *n);
/* Gives back the buffers of a completion nobody reads (a closing conn). */
void uring_recycle(const struct io_uring_cqe *cqe);

/* Submits what is queued and, unless completions are already waiting,
 * waits at most timeout_ms (-1: no limit) for one: one io_uring_enter.
 * Returns 0, or -1 once uring_error() says. */
int uring_enter(int timeout_ms);
/* Calls on_cqe(arg, cqe) for every completion waiting, then marks them seen. */
void uring_reap(void (*on_cqe)(void *arg, const struct io_uring_cqe *cqe), void *arg);
const char *uring_error(void);

#endif
