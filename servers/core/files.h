/* The file cache: open descriptors, stat results and prebuilt header lines
 * for files under the docroot, shared by every thread of a process.
 *
 *   files_init("/srv/html", err, sizeof err);
 *   int status;
 *   struct file_entry *f = files_get(rel, dir_slash, &status);
 *   if (!f) answer status (301 for a directory without its slash, 403, 404...)
 *   else    send f->head_lines, then f->body (small files) or sendfile(f->fd);
 *           files_put(f) when the response is done.
 *
 * An entry is revalidated (reopened and compared by inode, size and mtime to
 * the nanosecond) at most once per FILES_REVALIDATE_MS, so an unchanged file
 * costs no open or stat of its path per request. An entry whose body is sent
 * from its descriptor is also checked against that descriptor (fstat) at
 * every files_get: a file rewritten in place (rsync --inplace, an editor, a
 * log) is revalidated at once, so that the head built from the entry
 * (Content-Length, Last-Modified, ETag) describes the bytes that are sent.
 * A file that shrinks after that check, while its body is being sent, can
 * no longer be sent as its head said: the connection engine closes the
 * connection and counts it (conn.c, "truncated" in the counters line).
 * Entries are reference-counted: a replaced entry lives on until the last
 * response that uses it has been sent.
 *
 * The bodies kept in memory are bounded by a byte budget (files_set_budget,
 * the servers' --cache-mb): past it, and past FILES_MAX_ENTRIES entries, the
 * least recently used entries leave the table. Without a bound a file set of
 * a few hundred MiB would grow the server without end, and a server in a
 * memory cgroup would be OOM-killed instead of reading from the disk. */
#ifndef FILES_H
#define FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define FILES_REVALIDATE_MS 1000
#define FILES_BODY_MAX (64 * 1024)  /* files up to this size are kept in memory */
#define FILES_MAX_ENTRIES 4096      /* beyond this, the least recently used leave */
#define FILES_BUDGET_DEFAULT_MB 32  /* bodies kept in memory, per process */

/* The strong entity-tag of a file (RFC 9110 section 8.8.3), from what stat
 * says of it: "INO-SIZE-MTIME" with the inode number, the size in bytes and
 * the modification time in nanoseconds since the epoch, each in lower-case
 * hex, e.g. "2a0c81-1f4-17a6b2e3c4d5e6f7". A change of content changes the
 * size or the mtime (and a replacement by rename the inode), so the tag
 * changes with it; a rewrite of the same size that restores the mtime to the
 * nanosecond (touch -d) does not, as with any stat-based tag (nginx, Apache). */
#define FILES_ETAG_MAX 56 /* quotes, three 64-bit hex numbers, two dashes, NUL */

struct file_entry {
    int fd;               /* open read-only; sendfile source */
    off_t size;
    time_t mtime;         /* seconds: what Last-Modified says (not after now) */
    const char *body;     /* whole content when size <= FILES_BODY_MAX, else NULL */
    char etag[FILES_ETAG_MAX]; /* with its quotes, NUL-terminated */
    size_t etag_len;
    /* Content-Type, Content-Length, Accept-Ranges, Last-Modified and ETag
     * lines, in that order, and Vary: Accept-Encoding for a compressible
     * file, so that a 304 sends the tail from validators_at and a 206 swaps
     * the Content-Length line (length_at to ranges_at) for its own; a gzip
     * response takes the ETag line (from etag_at) from etag_gzip
     * (response.c). */
    char head_lines[384];
    size_t head_len;
    size_t length_at, ranges_at, validators_at, etag_at;
    /* Sent gzip to a client that accepts it (coding_compressible), with the
     * entity-tag of that encoded representation (RFC 9110 section 8.8.3):
     * the file's with "-gzipN" (N the level) before the closing quote. */
    bool compressible;
    char etag_gzip[FILES_ETAG_MAX + 8];
    size_t etag_gzip_len;
    /* private */
    char *rel;
    dev_t dev;
    ino_t ino;
    struct timespec mtim;   /* for revalidation: the mtime to the nanosecond */
    _Atomic long long checked_ms; /* when last revalidated, monotonic */
    _Atomic int refs;
    bool cached;          /* owned by the table */
    struct file_entry *next;
    struct file_entry *lru_prev, *lru_next; /* table entries, most recent first */
};

/* Bytes of file bodies the table may keep in memory (0: none; files are
 * then served from their descriptor). Call before files_init. */
void files_set_budget(size_t bytes);

/* on: a body not (wholly) in the page cache is not read into memory, and
 * its entry is served from the descriptor, for a model that reads files
 * through an asynchronous path of its own and must not wait for the disk
 * in its loop (uring). preadv2 with RWF_NOWAIT (Linux 4.14); where the file
 * system does not take it (EOPNOTSUPP) the body is read as usual. Call
 * before files_init; off by default. */
void files_set_nowait(bool on);

/* Opens the docroot. Returns 0, or -1 with a message in err. */
int files_init(const char *docroot, char *err, size_t errsz);

/* Returns a referenced entry for rel ("" and "dir/" serve index.html), or NULL
 * with *status: 301 (a directory named without its trailing slash), 403, 404,
 * 500. */
struct file_entry *files_get(const char *rel, bool dir_slash, int *status);

void files_put(struct file_entry *f);

/* True when f's body is in memory, or when its descriptor still has the
 * size and mtime f's head lines were built from (one fstat). */
bool files_unchanged(const struct file_entry *f);

/* Closes everything (at exit, so that leak checkers stay quiet). */
void files_shutdown(void);

#endif
