/* The io_uring under the uring model: see uring_ring.h. */
#include "uring_ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;           /* RECV_BUFS * RECV_BUF_SIZE */
static char error[128];      /* the first failure of io_uring_enter */

/* EINTR is retried by the callers, ETIME is a wait's timeout, and EBUSY and
 * EAGAIN (completions not reaped yet, memory short for a moment) clear as
 * the loop goes on; anything else is recorded and ends the loop. */
static int check(int rc)
{
    if (rc >= 0 || rc == -EINTR || rc == -ETIME || rc == -EBUSY || rc == -EAGAIN)
        return 0;
    if (!error[0])
        snprintf(error, sizeof error, "io_uring_enter: %s", strerror(-rc));
    return -1;
}

const char *ring_error(void)
{
    return error[0] ? error : NULL;
}

/* The newer task-running flags where the kernel has them (Linux 6.1+). */
static int ring_setup(void)
{
    struct io_uring_params p = {
        .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
                 IORING_SETUP_DEFER_TASKRUN,
        .cq_entries = RING_CQ};
    int rc = io_uring_queue_init_params(RING_SQ, &ring, &p);
    if (rc == -EINVAL) {
        p = (struct io_uring_params){.flags = IORING_SETUP_CQSIZE, .cq_entries = RING_CQ};
        rc = io_uring_queue_init_params(RING_SQ, &ring, &p);
    }
    return rc;
}

int ring_open(char *why, size_t whysz)
{
    int rc = ring_setup();
    if (rc < 0) {
        snprintf(why, whysz, "io_uring unavailable: %s", strerror(-rc));
        return -1;
    }
    void *mem = mmap(NULL, RECV_BUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bufs = malloc((size_t)RECV_BUFS * RECV_BUF_SIZE);
    if (mem == MAP_FAILED || !bufs) {
        snprintf(why, whysz, "io_uring unavailable: buffers: %s", strerror(errno));
        return -1;
    }
    br = mem;
    io_uring_buf_ring_init(br);
    struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)mem, .ring_entries = RECV_BUFS,
                                   .bgid = RECV_GROUP};
    if ((rc = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
        snprintf(why, whysz, "io_uring unavailable: provided buffer ring (Linux 5.19+): %s",
                 strerror(-rc));
        return -1;
    }
    for (unsigned i = 0; i < RECV_BUFS; i++)
        io_uring_buf_ring_add(br, bufs + (size_t)i * RECV_BUF_SIZE, RECV_BUF_SIZE,
                              (unsigned short)i, io_uring_buf_ring_mask(RECV_BUFS), (int)i);
    io_uring_buf_ring_advance(br, RECV_BUFS);
    return 0;
}

void ring_close(void)
{
    io_uring_queue_exit(&ring);
}

struct io_uring_sqe *ring_sqe(unsigned need)
{
    if (io_uring_sq_space_left(&ring) < need) {
        int rc;
        while ((rc = io_uring_submit(&ring)) == -EINTR)
            continue;
        if (check(rc) < 0)
            return NULL;
    }
    return io_uring_get_sqe(&ring);
}

void ring_prep_recv(struct io_uring_sqe *sqe, int fd, size_t max)
{
    io_uring_prep_recv(sqe, fd, NULL, max < RECV_BUF_SIZE ? max : RECV_BUF_SIZE, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = RECV_GROUP;
}

const char *ring_data(const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_BUFFER))
        return NULL;
    return bufs + (size_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) * RECV_BUF_SIZE;
}

void ring_recycle(const struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_BUFFER))
        return;
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    io_uring_buf_ring_add(br, bufs + (size_t)bid * RECV_BUF_SIZE, RECV_BUF_SIZE,
                          (unsigned short)bid, io_uring_buf_ring_mask(RECV_BUFS), 0);
    io_uring_buf_ring_advance(br, 1);
}

int ring_wait(int timeout_ms, const sigset_t *mask)
{
    struct __kernel_timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
    struct io_uring_cqe *cqe;
    int rc = io_uring_submit_and_wait_timeout(&ring, &cqe, 1, timeout_ms < 0 ? NULL : &ts,
                                              (sigset_t *)mask);
    return check(rc);
}

void ring_reap(void (*on_cqe)(const struct io_uring_cqe *cqe))
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
        on_cqe(cqe);
        n++;
    }
    io_uring_cq_advance(&ring, n);
}
