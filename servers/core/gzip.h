/* The gzip content coding (RFC 9110 section 8.4.1.3, RFC 1952) of a whole
 * file, made with zlib (Debian's zlib1g-dev) at coding_gzip_level().
 *
 *   char *z; size_t zlen;
 *   if (gzip_file(f, &z, &zlen) == 0) send z[0..zlen), then free(z);
 *
 * The whole encoded body is made before the response head, so that the
 * head carries its Content-Length (README, "Content coding": the choice and
 * its cost). Nothing is cached: each response compresses anew (issue 22:
 * the point is work per request). The output is deterministic for a given
 * zlib and level (no name, mtime 0), so its entity-tag may be strong. */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>

struct file_entry;

/* Compresses f's content (its body in memory, else read from its
 * descriptor with pread). Returns 0 with a malloc'd *out of *out_len
 * bytes, -500 when zlib or memory fails, -503 when the file no longer has
 * the size its entry says (it changed: the caller answers with an error,
 * as conn.c does for a file that shrinks while sent). */
int gzip_file(const struct file_entry *f, char **out, size_t *out_len);

/* Keeps the memory of a compression in the process for the next one: at
 * start-up, when compression is on. Each compression takes about 300 KiB
 * (zlib's state, the output bound); glibc would give it back to the kernel
 * at every free (the top of the heap trimmed, large blocks mmap'd) and
 * fault it in again, page by page, at the next request: 63 minor faults
 * per 256 KiB JavaScript file in gzip, and about twice the CPU per request
 * (epoll, level 1, one keep-alive client: 5.0 ms before, 2.4 ms after,
 * /proc's utime+stime and minflt over 200 requests; nginx 2.5 ms). */
void gzip_keep_memory(void);

/* The same over memory: in[0..n) at level (1..9). */
int gzip_bytes(const char *in, size_t n, int level, char **out, size_t *out_len);

#endif
