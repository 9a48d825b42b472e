/* The io_uring under the uring model: see uring_ring.h. */
#include "uring_ring.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

struct uring_features uring_has;

static struct io_uring ring;
static bool ring_up;
static struct io_uring_buf_ring *br;
static char *bufs;           /* RECV_BUFS * RECV_BUF_SIZE */
static unsigned buf_tail;    /* ring positions filled so far (the kernel's tail) */
static uint16_t ring_bid[RECV_BUFS]; /* the buffer at each ring position (mod size) */
static unsigned pos_of[RECV_BUFS];   /* the ring position each buffer was put at */
static char *body_bufs;      /* BODY_BUFS * BODY_BUF_SIZE */
static char error[128];      /* the first failure of io_uring_enter */

/* The features by name (URING_OFF, the start-up line). */
enum { F_SINGLE_ISSUER, F_DEFER_TASKRUN, F_COOP_TASKRUN, F_REGISTERED_RING, F_DIRECT_FDS,
       F_RECV_MULTISHOT, F_RECV_BUNDLE, F_SEND_ZC, F_READ_FIXED, NFEATURES };
static const struct {
    const char *name;
    size_t at;               /* offsetof(struct uring_features, ...) */
} features[NFEATURES] = {
    [F_SINGLE_ISSUER] = {"single_issuer", offsetof(struct uring_features, single_issuer)},
    [F_DEFER_TASKRUN] = {"defer_taskrun", offsetof(struct uring_features, defer_taskrun)},
    [F_COOP_TASKRUN] = {"coop_taskrun", offsetof(struct uring_features, coop_taskrun)},
    [F_REGISTERED_RING] = {"registered_ring", offsetof(struct uring_features, registered_ring)},
    [F_DIRECT_FDS] = {"direct_fds", offsetof(struct uring_features, direct_fds)},
    [F_RECV_MULTISHOT] = {"recv_multishot", offsetof(struct uring_features, recv_multishot)},
    [F_RECV_BUNDLE] = {"recv_bundle", offsetof(struct uring_features, recv_bundle)},
    [F_SEND_ZC] = {"send_zc", offsetof(struct uring_features, send_zc)},
    [F_READ_FIXED] = {"read_fixed", offsetof(struct uring_features, read_fixed)},
};
static const char *why_off[NFEATURES]; /* why a feature is off; NULL: on, or not tried */
static bool off_wanted[NFEATURES];

static bool *feature(size_t i)
{
    return (bool *)(void *)((char *)&uring_has + features[i].at);
}

static size_t feature_index(const char *name)
{
    for (size_t i = 0; i < NFEATURES; i++)
        if (strcmp(features[i].name, name) == 0)
            return i;
    return NFEATURES;
}

int uring_ring_read_env(char *why, size_t whysz)
{
    const char *env = getenv("URING_OFF");
    memset(off_wanted, 0, sizeof off_wanted);
    for (const char *p = env; p && *p;) {
        size_t n = strcspn(p, ",");
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        size_t i = feature_index(name);
        if (strcmp(name, "all") == 0) {
            memset(off_wanted, 1, sizeof off_wanted);
        } else if (i < NFEATURES) {
            off_wanted[i] = true;
        } else if (n > 0) {
            snprintf(why, whysz, "URING_OFF: unknown feature '%s' (known: single_issuer "
                     "defer_taskrun coop_taskrun registered_ring direct_fds recv_multishot "
                     "recv_bundle send_zc read_fixed, or all)", name);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Whether to try feature i; records why not. */
static bool wanted(size_t i)
{
    why_off[i] = off_wanted[i] ? "URING_OFF" : NULL;
    return !off_wanted[i];
}

static bool turn_on(size_t i, bool accepted)
{
    *feature(i) = accepted;
    if (!accepted && !why_off[i])
        why_off[i] = "kernel";
    return accepted;
}

/* EINVAL from io_uring_setup is a flag this kernel does not know: the next
 * set is older. DEFER_TASKRUN (6.1) needs SINGLE_ISSUER (6.0); without it,
 * COOP_TASKRUN and TASKRUN_FLAG (5.19) still keep task work from
 * interrupting us. */
static int setup_ring(void)
{
    static const struct {
        unsigned flags;
        bool single, defer, coop;
    } tries[] = {
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, true, true, false},
        {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
         true, false, true},
        {IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, false, false, true},
        {0, false, false, false},
    };
    bool single = wanted(F_SINGLE_ISSUER), defer = wanted(F_DEFER_TASKRUN),
         coop = wanted(F_COOP_TASKRUN);
    if (defer && !single) {
        defer = false;
        why_off[F_DEFER_TASKRUN] = "needs single_issuer";
    }
    int rc = -EINVAL;
    for (size_t t = 0; t < sizeof tries / sizeof tries[0] && rc == -EINVAL; t++) {
        if ((tries[t].single && !single) || (tries[t].defer && !defer) ||
            (tries[t].coop && !coop))
            continue;
        struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE | tries[t].flags,
                                    .cq_entries = RING_CQ};
        if ((rc = io_uring_queue_init_params(RING_SQ, &ring, &p)) < 0)
            continue;
        turn_on(F_SINGLE_ISSUER, tries[t].single);
        turn_on(F_DEFER_TASKRUN, tries[t].defer);
        turn_on(F_COOP_TASKRUN, tries[t].coop);
        if (uring_has.defer_taskrun)
            why_off[F_COOP_TASKRUN] = NULL; /* the fallback was not needed */
        if (wanted(F_RECV_BUNDLE))
            turn_on(F_RECV_BUNDLE, p.features & IORING_FEAT_RECVSEND_BUNDLE);
    }
    return rc;
}

static void buffer_add(unsigned bid)
{
    io_uring_buf_ring_add(br, bufs + (size_t)bid * RECV_BUF_SIZE, RECV_BUF_SIZE,
                          (unsigned short)bid, io_uring_buf_ring_mask(RECV_BUFS), 0);
    io_uring_buf_ring_advance(br, 1);
    ring_bid[buf_tail % RECV_BUFS] = (uint16_t)bid;
    pos_of[bid] = buf_tail++;
}

static int setup_buffers(char *why, size_t whysz)
{
    void *mem = mmap(NULL, RECV_BUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bufs = malloc((size_t)RECV_BUFS * RECV_BUF_SIZE);
    body_bufs = malloc((size_t)BODY_BUFS * BODY_BUF_SIZE);
    if (mem == MAP_FAILED || !bufs || !body_bufs) {
        snprintf(why, whysz, "io_uring unavailable: buffers: %s", strerror(errno));
        return -1;
    }
    br = mem;
    io_uring_buf_ring_init(br);
    struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)mem, .ring_entries = RECV_BUFS,
                                   .bgid = RECV_GROUP};
    int rc = io_uring_register_buf_ring(&ring, &reg, 0);
    if (rc < 0) {
        snprintf(why, whysz, "io_uring unavailable: provided buffer ring (Linux 5.19+): %s",
                 strerror(-rc));
        return -1;
    }
    buf_tail = 0;
    for (unsigned i = 0; i < RECV_BUFS; i++)
        buffer_add(i);
    return 0;
}

/* Multishot receive (6.0) has no feature bit: one is tried on a socket
 * pair with a byte waiting. Its last completion (the pair's EOF) comes
 * later, with no buffer and user_data 0, which the loop ignores. */
static bool probe_recv_multishot(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return false;
    bool ok = false;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    struct io_uring_cqe *cqe;
    if (sqe && write(sv[1], "x", 1) == 1) {
        uring_prep_recv_multishot(sqe, sv[0]);
        io_uring_sqe_set_data64(sqe, 0);
        if (io_uring_submit_and_wait(&ring, 1) >= 0 && io_uring_peek_cqe(&ring, &cqe) == 0) {
            ok = cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE);
            uring_recycle(cqe);
            io_uring_cqe_seen(&ring, cqe);
        }
    }
    close(sv[0]);
    close(sv[1]);
    return ok;
}

/* The optional registrations and operations: each refused one is simply
 * not used. */
static void setup_options(int nfiles)
{
    if (wanted(F_REGISTERED_RING))
        turn_on(F_REGISTERED_RING, io_uring_register_ring_fd(&ring) == 1);
    if (wanted(F_DIRECT_FDS))
        turn_on(F_DIRECT_FDS,
                nfiles > 0 && io_uring_register_files_sparse(&ring, (unsigned)nfiles) == 0);
    if (wanted(F_RECV_MULTISHOT))
        turn_on(F_RECV_MULTISHOT, probe_recv_multishot());
    if (wanted(F_SEND_ZC)) {
        struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
        turn_on(F_SEND_ZC, probe && io_uring_opcode_supported(probe, IORING_OP_SEND_ZC) &&
                       io_uring_opcode_supported(probe, IORING_OP_SENDMSG_ZC));
        if (probe)
            io_uring_free_probe(probe);
    }
    if (wanted(F_READ_FIXED)) {
        struct iovec iov[BODY_BUFS];
        for (unsigned i = 0; i < BODY_BUFS; i++)
            iov[i] = (struct iovec){uring_body_buf(i), BODY_BUF_SIZE};
        turn_on(F_READ_FIXED, io_uring_register_buffers(&ring, iov, BODY_BUFS) == 0);
    }
}

int uring_ring_open(int nfiles, char *why, size_t whysz)
{
    memset(&uring_has, 0, sizeof uring_has);
    memset(why_off, 0, sizeof why_off);
    int rc = setup_ring();
    if (rc < 0) {
        snprintf(why, whysz, "io_uring unavailable: %s", strerror(-rc));
        return -1;
    }
    ring_up = true;
    if (setup_buffers(why, whysz) < 0) {
        uring_ring_close();
        return -1;
    }
    setup_options(nfiles);
    return 0;
}

void uring_ring_close(void)
{
    if (ring_up)
        io_uring_queue_exit(&ring); /* unregisters the buffer ring too */
    ring_up = false;
    if (br)
        munmap(br, RECV_BUFS * sizeof(struct io_uring_buf));
    free(bufs);
    free(body_bufs);
    br = NULL;
    bufs = NULL;
    body_bufs = NULL;
}

void uring_features_line(char *out, size_t outsz)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NFEATURES && len < outsz; i++)
        if (*feature(i))
            len += (size_t)snprintf(out + len, outsz - len, "%s%s", len ? " " : "",
                                    features[i].name);
    if (len == 0)
        len = (size_t)snprintf(out, outsz, "none");
    const char *sep = "; off:";
    for (size_t i = 0; i < NFEATURES && len < outsz; i++) {
        if (!*feature(i) && why_off[i]) {
            len += (size_t)snprintf(out + len, outsz - len, "%s %s (%s)", sep,
                                    features[i].name, why_off[i]);
            sep = ",";
        }
    }
}

const char *uring_version_features(void)
{
    static char line[512];
    char why[256], feats[384];
    if (uring_ring_open(1, why, sizeof why) < 0) {
        snprintf(line, sizeof line, "%s", why);
        return line;
    }
    uring_features_line(feats, sizeof feats);
    uring_ring_close();
    snprintf(line, sizeof line, "io_uring features: %s", feats);
    return line;
}

/* --- submitting and completing --------------------------------------------- */

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

const char *uring_error(void)
{
    return error[0] ? error : NULL;
}

struct io_uring_sqe *uring_sqe(unsigned need)
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

void uring_prep_recv(struct io_uring_sqe *sqe, int fd, size_t max, bool poll_first)
{
    /* Without bundles a recv fills one buffer at most. */
    if (!uring_has.recv_bundle && max > RECV_BUF_SIZE)
        max = RECV_BUF_SIZE;
    io_uring_prep_recv(sqe, fd, NULL, max, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = RECV_GROUP;
    sqe->ioprio = (uring_has.recv_bundle ? IORING_RECVSEND_BUNDLE : 0) |
                  (poll_first ? IORING_RECVSEND_POLL_FIRST : 0);
}

void uring_prep_recv_multishot(struct io_uring_sqe *sqe, int fd)
{
    io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0); /* length: a buffer's */
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = RECV_GROUP;
    if (uring_has.recv_bundle)
        sqe->ioprio |= IORING_RECVSEND_BUNDLE;
}

char *uring_body_buf(unsigned i)
{
    return body_bufs + (size_t)i * BODY_BUF_SIZE;
}

void uring_prep_read_body(struct io_uring_sqe *sqe, int fd, char *p, int i, size_t len,
                          off_t off)
{
    if (uring_has.read_fixed && i >= 0)
        io_uring_prep_read_fixed(sqe, fd, p, (unsigned)len, (__u64)off, i);
    else
        io_uring_prep_read(sqe, fd, p, (unsigned)len, (__u64)off);
}

/* With bundles the bytes fill the buffers at consecutive ring positions from
 * the one the completion names; without, that one buffer. The positions are
 * ours: pos_of[] says where each buffer was put, ring_bid[] what is at each
 * position. Completions come in the order the kernel took the buffers and
 * each is walked before the next, so no position is reused before it is
 * read. A buffer that does not sit where it was put ends the walk. */
static void data_at(struct uring_data_iter *it, const char **p, size_t *n)
{
    it->bid = it->left ? ring_bid[it->pos % RECV_BUFS] : -1;
    if (it->bid < 0 || pos_of[it->bid] != it->pos) {
        it->bid = -1;
        *p = NULL;
        *n = 0;
        return;
    }
    *p = bufs + (size_t)it->bid * RECV_BUF_SIZE;
    *n = it->left < RECV_BUF_SIZE ? it->left : RECV_BUF_SIZE;
    it->left -= (unsigned)*n;
}

void uring_data_first(const struct io_uring_cqe *cqe, struct uring_data_iter *it,
                     const char **p, size_t *n)
{
    bool has = (cqe->flags & IORING_CQE_F_BUFFER) && cqe->res > 0;
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    it->pos = has ? pos_of[bid % RECV_BUFS] : 0;
    it->left = has ? (unsigned)cqe->res : 0;
    data_at(it, p, n);
}

void uring_data_next(struct uring_data_iter *it, const char **p, size_t *n)
{
    if (it->bid >= 0)
        buffer_add((unsigned)it->bid);
    it->pos++;
    data_at(it, p, n);
}

void uring_recycle(const struct io_uring_cqe *cqe)
{
    struct uring_data_iter it;
    const char *p;
    size_t n;
    for (uring_data_first(cqe, &it, &p, &n); n; uring_data_next(&it, &p, &n))
        continue;
}

int uring_enter(int timeout_ms)
{
    if (io_uring_cq_ready(&ring) > 0)
        return 0; /* completions are waiting: no system call this turn */
    struct __kernel_timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
    struct io_uring_cqe *cqe;
    int rc = timeout_ms < 0 ? io_uring_submit_and_wait(&ring, 1)
                            : io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, NULL);
    return check(rc);
}

void uring_reap(void (*on_cqe)(void *arg, const struct io_uring_cqe *cqe), void *arg)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
        on_cqe(arg, cqe);
        n++;
    }
    io_uring_cq_advance(&ring, n);
}
