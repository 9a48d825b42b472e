/* gzip with zlib: see gzip.h. */
#include "gzip.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "coding.h"
#include "files.h"

#define GZIP_READ_CHUNK (32 * 1024) /* a file not in memory is read this much at a time */
#define GZIP_WINDOW_BITS (15 + 16)  /* 32 KiB window, gzip wrapper (zlib.h) */
#define GZIP_MEM_LEVEL 8            /* zlib's default, and nginx's gzip_hash */

#define GZIP_MMAP_THRESHOLD (4 << 20)  /* blocks below this come from the heap */
#define GZIP_TRIM_THRESHOLD (64 << 20) /* free heap kept before trimming */

void gzip_keep_memory(void)
{
    mallopt(M_MMAP_THRESHOLD, GZIP_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, GZIP_TRIM_THRESHOLD);
}

/* The stream, and an output buffer that holds any result: deflateBound()
 * of the whole input, so that one deflate(Z_FINISH) always finishes. */
static int begin(z_stream *z, size_t n, int level, char **out)
{
    *z = (z_stream){0};
    if (deflateInit2(z, level, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -500;
    size_t cap = deflateBound(z, (uLong)n);
    if (!(*out = malloc(cap))) {
        deflateEnd(z);
        return -500;
    }
    z->next_out = (Bytef *)*out;
    z->avail_out = (uInt)cap;
    return 0;
}

/* Ends the stream; on success gives back what the bound over-allocated. */
static int end(z_stream *z, int r, char **out, size_t *out_len)
{
    *out_len = z->total_out;
    deflateEnd(z);
    if (r != 0) {
        free(*out);
        *out = NULL;
        return r;
    }
    char *fit = realloc(*out, *out_len ? *out_len : 1);
    if (fit)
        *out = fit;
    return 0;
}

int gzip_bytes(const char *in, size_t n, int level, char **out, size_t *out_len)
{
    z_stream z;
    int r = begin(&z, n, level, out);
    if (r)
        return r;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    r = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -500;
    return end(&z, r, out, out_len);
}

/* Reads the file a chunk at a time into the stream. */
static int deflate_fd(z_stream *z, int fd, off_t size)
{
    char *chunk = malloc(GZIP_READ_CHUNK); /* not on the stack: coro's are 64 KiB */
    int r = chunk ? 0 : -500;
    for (off_t off = 0; r == 0;) {
        ssize_t got = pread(fd, chunk, GZIP_READ_CHUNK, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            r = -500;
        else if ((got == 0 && off < size) || off + got > size)
            r = -503; /* shorter or longer than its entry says */
        else if (got == 0)
            break;
        if (r)
            break;
        off += got;
        z->next_in = (Bytef *)chunk;
        z->avail_in = (uInt)got;
        if (deflate(z, Z_NO_FLUSH) != Z_OK)
            r = -500;
    }
    if (r == 0 && deflate(z, Z_FINISH) != Z_STREAM_END)
        r = -500;
    free(chunk);
    return r;
}

int gzip_file(const struct file_entry *f, char **out, size_t *out_len)
{
    if (f->body)
        return gzip_bytes(f->body, (size_t)f->size, coding_gzip_level(), out, out_len);
    z_stream z;
    int r = begin(&z, (size_t)f->size, coding_gzip_level(), out);
    if (r)
        return r;
    return end(&z, deflate_fd(&z, f->fd, f->size), out, out_len);
}
