/* The file cache: see files.h. One table per process, guarded by a mutex
 * that is held only for lookups and inserts, never across I/O. The table's
 * entries are also on a list in order of use (most recent first), so that
 * the least recently used leave first when the body budget or the entry
 * limit is passed. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "coding.h"
#include "http_date.h"
#include "mime.h"
#include "path.h"

#define FILES_BUCKETS 4096 /* power of two */

static int docroot_fd = -1;
static struct file_entry *table[FILES_BUCKETS];
static int table_count;
static struct file_entry *lru_head, *lru_tail;
static size_t body_bytes;  /* bodies of the table's entries */
static int read_flags; /* for bodies read into memory: 0 or RWF_NOWAIT */
static size_t body_budget = (size_t)FILES_BUDGET_DEFAULT_MB << 20;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

void files_set_nowait(bool on)
{
    read_flags = on ? RWF_NOWAIT : 0;
}

void files_set_budget(size_t bytes)
{
    body_budget = bytes;
}

int files_init(const char *docroot, char *err, size_t errsz)
{
    docroot_fd = open(docroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (docroot_fd < 0) {
        snprintf(err, errsz, "docroot %s: %s", docroot, strerror(errno));
        return -1;
    }
    return 0;
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h & (FILES_BUCKETS - 1);
}

static void entry_free(struct file_entry *f)
{
    close(f->fd);
    free((void *)f->body);
    free(f->rel);
    free(f);
}

void files_put(struct file_entry *f)
{
    if (atomic_fetch_sub_explicit(&f->refs, 1,
                                  memory_order_acq_rel) == 1)
        entry_free(f);
}

static void entry_ref(struct file_entry *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

/* flags: RWF_NOWAIT fails with EAGAIN where a page is not cached. */
static int read_all(int fd, char *buf, off_t size, int flags)
{
    off_t done = 0;
    while (done < size) {
        struct iovec iov = {buf + done, (size_t)(size - done)};
        ssize_t n = preadv2(fd, &iov, 1, done, flags);
        if (n < 0 && errno == EOPNOTSUPP && flags) {
            flags = 0; /* this file system cannot say: read it */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        done += n;
    }
    return 0;
}

/* The entity-tag of files.h: "INO-SIZE-MTIME" in hex. */
static void make_etag(struct file_entry *f, const struct stat *st)
{
    unsigned long long ns = (unsigned long long)st->st_mtim.tv_sec * 1000000000ull +
                            (unsigned long long)st->st_mtim.tv_nsec;
    int n = snprintf(f->etag, sizeof f->etag, "\"%llx-%llx-%llx\"",
                     (unsigned long long)st->st_ino, (unsigned long long)st->st_size, ns);
    f->etag_len = n > 0 && (size_t)n < sizeof f->etag ? (size_t)n : 0;
}

/* The gzip representation's tag (files.h): "...-gzipN". */
static void make_etag_gzip(struct file_entry *f)
{
    int n = f->etag_len < 2 ? -1
                            : snprintf(f->etag_gzip, sizeof f->etag_gzip, "%.*s-gzip%d\"",
                                       (int)f->etag_len - 1, f->etag, coding_gzip_level());
    f->etag_gzip_len = n > 0 && (size_t)n < sizeof f->etag_gzip ? (size_t)n : 0;
}

/* Where the line after the one at offset at begins. */
static size_t next_line(const char *lines, size_t at)
{
    return (size_t)(strstr(lines + at, "\r\n") + 2 - lines);
}

/* The entry's header lines, in the order files.h gives, and where each
 * part begins. Returns false if they do not fit. */
static bool make_head_lines(struct file_entry *f, const char *rel, const struct stat *st)
{
    char lm[HTTP_DATE_SIZE];
    const char *type = mime_type(rel);
    http_date_format(f->mtime, lm);
    f->compressible = coding_compressible(type, (long long)st->st_size);
    int n = snprintf(f->head_lines, sizeof f->head_lines,
                     "Content-Type: %s\r\nContent-Length: %lld\r\n"
                     "Accept-Ranges: bytes\r\nLast-Modified: %s\r\nETag: %s\r\n%s",
                     type, (long long)st->st_size, lm, f->etag,
                     f->compressible ? "Vary: Accept-Encoding\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof f->head_lines || f->etag_len == 0)
        return false;
    f->head_len = (size_t)n;
    f->length_at = next_line(f->head_lines, 0);
    f->ranges_at = next_line(f->head_lines, f->length_at);
    f->validators_at = next_line(f->head_lines, f->ranges_at);
    f->etag_at = next_line(f->head_lines, f->validators_at);
    return true;
}

/* Builds an entry from an open regular file; takes ownership of fd. */
static struct file_entry *entry_new(const char *rel, int fd, const struct stat *st)
{
    struct file_entry *f = calloc(1, sizeof *f);
    char *body = NULL;
    if (!f || !(f->rel = strdup(rel)))
        goto err;
    if (st->st_size <= FILES_BODY_MAX && (size_t)st->st_size <= body_budget) {
        body = malloc(st->st_size ? (size_t)st->st_size : 1);
        if (!body)
            goto err;
        if (read_all(fd, body, st->st_size, read_flags) < 0) {
            if (errno != EAGAIN)
                goto err;
            free(body); /* not cached: the model reads it from the descriptor */
            body = NULL;
        }
    }
    /* RFC 9110 section 8.8.2.1: a Last-Modified must not be later than the
     * Date it goes out with, so an mtime in the future (a clock set back, a
     * copy that kept its times) is replaced by now, which is earlier than
     * any later Date; IMS and If-Range compare against the same value. */
    time_t now = time(NULL);
    f->mtime = st->st_mtime > now ? now : st->st_mtime;
    make_etag(f, st);
    make_etag_gzip(f);
    if (!make_head_lines(f, rel, st))
        goto err;
    f->fd = fd;
    f->size = st->st_size;
    f->mtim = st->st_mtim;
    f->body = body;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->refs = 1;
    return f;
err:
    free(body);
    if (f)
        free(f->rel);
    free(f);
    close(fd);
    return NULL;
}

static bool same_file(const struct file_entry *f, const struct stat *st)
{
    return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
           f->mtim.tv_sec == st->st_mtim.tv_sec && f->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* Opens and checks the file itself: what it is decides the status. */
static int open_checked(const char *rel, bool dir_slash, struct stat *st)
{
    int fd = path_open_beneath(docroot_fd, rel);
    if (fd < 0)
        return -path_errno_status(-fd);
    if (fstat(fd, st) < 0) {
        close(fd);
        return -500;
    }
    int status = 0;
    if (S_ISDIR(st->st_mode))
        status = dir_slash ? 404 : 301;   /* "dir/index.html/" is a dir */
    else if (!S_ISREG(st->st_mode))
        status = 403;                     /* FIFOs, devices, sockets */
    else if (!(st->st_mode & S_IROTH))
        status = 403;                     /* not published: see files.h */
    if (status) {
        close(fd);
        return -status;
    }
    return fd;
}

static struct file_entry **slot_of(const char *rel)
{
    struct file_entry **p = &table[hash(rel)];
    while (*p && strcmp((*p)->rel, rel) != 0)
        p = &(*p)->next;
    return p;
}

static size_t body_of(const struct file_entry *f)
{
    return f->body ? (size_t)f->size : 0;
}

static void lru_unlink(struct file_entry *f)
{
    *(f->lru_prev ? &f->lru_prev->lru_next : &lru_head) = f->lru_next;
    *(f->lru_next ? &f->lru_next->lru_prev : &lru_tail) = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_push(struct file_entry *f)
{
    f->lru_prev = NULL;
    f->lru_next = lru_head;
    *(lru_head ? &lru_head->lru_prev : &lru_tail) = f;
    lru_head = f;
}

/* Takes the least recently used entry out of the table (lock held); the
 * caller drops the table's reference once the lock is released. */
static struct file_entry *evict_oldest(void)
{
    struct file_entry *f = lru_tail, **p = slot_of(f->rel);
    *p = f->next;
    lru_unlink(f);
    body_bytes -= body_of(f);
    table_count--;
    f->cached = false;
    return f;
}

/* Puts f in the table in place of any older entry for the same name, then
 * evicts from the old end until the budget and the entry limit hold. */
static void table_insert(struct file_entry *f)
{
    struct file_entry *out[8];
    int n_out = 0;
    pthread_mutex_lock(&table_lock);
    struct file_entry **p = slot_of(f->rel), *old = *p;
    if (old) {
        f->next = old->next;
        old->cached = false;
        lru_unlink(old);
        body_bytes -= body_of(old);
        out[n_out++] = old;
    } else {
        table_count++;
    }
    f->cached = true;
    entry_ref(f);
    *p = f;
    lru_push(f);
    body_bytes += body_of(f);
    /* At most 8 per insert, so that the lock is held briefly; what is left
     * over (evicted entries without a body free no bytes) goes at the next. */
    while ((body_bytes > body_budget || table_count > FILES_MAX_ENTRIES) &&
           lru_tail != f && n_out < (int)(sizeof out / sizeof out[0]))
        out[n_out++] = evict_oldest();
    pthread_mutex_unlock(&table_lock);
    for (int i = 0; i < n_out; i++)
        files_put(out[i]);
}

/* Whether the descriptor still shows what f says of it. A body kept in
 * memory is its own snapshot, consistent with the head built from the same
 * stat; a body sent from the descriptor is whatever the file holds when it is
 * sent, so its size and mtime are looked at again (one fstat, far cheaper
 * than the sendfile that follows) before a head describes it. */
bool files_unchanged(const struct file_entry *f)
{
    struct stat st;
    if (f->body)
        return true;
    return fstat(f->fd, &st) == 0 && st.st_size == f->size &&
           st.st_mtim.tv_sec == f->mtim.tv_sec && st.st_mtim.tv_nsec == f->mtim.tv_nsec;
}

static struct file_entry *table_find(const char *rel, long long now, bool *fresh)
{
    pthread_mutex_lock(&table_lock);
    struct file_entry *f = *slot_of(rel);
    if (f) {
        entry_ref(f);
        if (f != lru_head) {
            lru_unlink(f);
            lru_push(f);
        }
        *fresh = now - atomic_load_explicit(&f->checked_ms,
                                            memory_order_relaxed) < FILES_REVALIDATE_MS;
    }
    pthread_mutex_unlock(&table_lock);
    return f;
}

struct file_entry *files_get(const char *rel, bool dir_slash, int *status)
{
    /* rel, or rel "/index.html" ("index.html" for the root). By hand: this
     * runs per request, and snprintf's format parsing cost more than the
     * lookup itself (callgrind). */
    static const char index[] = "index.html";
    char key[PATH_REL_MAX + sizeof index + 1];
    size_t n = strlen(rel);
    if (n + (dir_slash ? sizeof index + 1 : 1) > sizeof key) {
        *status = 414;
        return NULL;
    }
    memcpy(key, rel, n);
    if (dir_slash) {
        if (n > 0)
            key[n++] = '/';
        memcpy(key + n, index, sizeof index - 1);
        n += sizeof index - 1;
    }
    key[n] = '\0';
    long long now = clock_now_ms();
    bool fresh = false;
    struct file_entry *f = table_find(key, now, &fresh);
    if (f && fresh && files_unchanged(f))
        return f;

    struct stat st;
    int fd = open_checked(key, dir_slash, &st);
    if (fd < 0) {
        if (f)
            files_put(f);
        *status = -fd;
        return NULL;
    }
    if (f && same_file(f, &st)) {
        close(fd);
        atomic_store_explicit(&f->checked_ms, now,
                              memory_order_relaxed);
        return f;
    }
    if (f)
        files_put(f);
    f = entry_new(key, fd, &st);
    if (!f) {
        *status = 500;
        return NULL;
    }
    f->checked_ms = now;
    table_insert(f);
    return f;
}

void files_shutdown(void)
{
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < FILES_BUCKETS; i++) {
        while (table[i]) {
            struct file_entry *f = table[i];
            table[i] = f->next;
            f->cached = false;
            files_put(f);
        }
    }
    table_count = 0;
    lru_head = lru_tail = NULL;
    body_bytes = 0;
    pthread_mutex_unlock(&table_lock);
    if (docroot_fd >= 0)
        close(docroot_fd);
    docroot_fd = -1;
}
