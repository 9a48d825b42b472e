/* The file set on disk: verify what is stored, generate it when missing or
 * damaged, drop it from the page cache (see fileset.h). */
#include "workload/fileset.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/spawn.h"
#include "base/util.h"

#define FILESET_CHUNK 65536              /* bytes generated per write() */
#define FILESET_SPARE_BYTES (64ll << 20) /* free space left after generating */

/* Every file of the set in manifest order, through fn, until one fails. */
static int each_file(const struct fileset *fs, void *ctx,
                     int (*fn)(void *ctx, const struct fileset_req *q))
{
    for (int d = 0; d < fs->dirs; d++)
        for (int c = 0; c < FILESET_CLASSES; c++)
            for (int f = 0; f < FILESET_FILES; f++) {
                struct fileset_req q = {(uint32_t)d, (uint8_t)c, (uint8_t)f};
                if (fn(ctx, &q))
                    return -1;
            }
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* text into path, created (never replaced). */
static int write_text(const char *path, const char *text, size_t len, char *err,
                      size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int rc = fd < 0 || write_all(fd, text, len) ? -1 : 0;
    if (fd >= 0 && close(fd))
        rc = -1;
    if (rc)
        snprintf(err, errlen, "write %s: %s", path, strerror(errno));
    return rc;
}

/* What generating and verifying one file need. */
struct walk {
    const struct fileset *fs;
    const char *docroot;
    char *buf;                       /* FILESET_CHUNK bytes */
    char *err;
    size_t errlen;
    int failed;                      /* files that could not be dropped */
};

static int write_file(void *ctx, const struct fileset_req *q)
{
    struct walk *w = ctx;
    char path[PATH_MAX], rel[FILESET_PATH_MAX];
    size_t size = (size_t)fileset_size(q->cls, q->file);
    fileset_path(q, rel);
    snprintf(path, sizeof path, "%s%s", w->docroot, rel);
    if (spawn_interrupted) {
        snprintf(w->err, w->errlen, "interrupted while generating %s", path);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), rc = fd < 0;
    for (size_t at = 0; rc == 0 && at < size; at += FILESET_CHUNK) {
        size_t len = size - at < FILESET_CHUNK ? size - at : FILESET_CHUNK;
        fileset_content(w->fs->seed, q, at, w->buf, len);
        rc = write_all(fd, w->buf, len);
    }
    if (fd >= 0 && close(fd))
        rc = -1;
    if (rc)
        snprintf(w->err, w->errlen, "write %s: %s", path, strerror(errno));
    return rc;
}

/* A file is what the manifest says: a regular, world-readable file of its
 * size whose first line names it. Its other bytes are not read (a few
 * hundred MiB on every run): a same-size corruption inside a file passes. */
static int check_file(void *ctx, const struct fileset_req *q)
{
    struct walk *w = ctx;
    char path[PATH_MAX], rel[FILESET_PATH_MAX], head[FILESET_HEAD_MAX];
    char got[FILESET_HEAD_MAX];
    struct stat st;
    fileset_path(q, rel);
    snprintf(path, sizeof path, "%s%s", w->docroot, rel);
    int len = fileset_head(w->fs->seed, q, head), fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              (st.st_mode & 0444) == 0444 && st.st_size == fileset_size(q->cls, q->file) &&
              pread(fd, got, (size_t)len, 0) == len && memcmp(got, head, (size_t)len) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        snprintf(w->err, w->errlen, "%s differs from the manifest", rel);
    return ok ? 0 : -1;
}

/* A stored text equals the expected one. */
static int same_text(const char *dir, const char *name, const char *want, char *err,
                     size_t errlen)
{
    char path[PATH_MAX], *got;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (util_read_file(path, &got, NULL, err, errlen))
        return -1;
    int rc = strcmp(got, want) ? -1 : 0;
    free(got);
    if (rc)
        snprintf(err, errlen, "%s is not what this version generates from the "
                 "parameters", name);
    return rc;
}

static int verify(const struct fileset *fs, const char *urls, const char *manifest,
                  char *err, size_t errlen)
{
    struct walk w = {fs, fs->docroot, NULL, err, errlen, 0};
    char index[FILESET_DIR_MAX + 32];
    snprintf(index, sizeof index, "%s/index.html", fs->docroot);
    if (same_text(fs->dir, "manifest.txt", manifest, err, errlen) ||
        same_text(fs->dir, "urls.txt", urls, err, errlen))
        return -1;
    if (access(index, R_OK)) {
        snprintf(err, errlen, "index.html: %s", strerror(errno));
        return -1;
    }
    return each_file(fs, &w, check_file);
}

/* Removes what generations that were stopped left behind (their process
 * is gone). */
static void remove_stale(const struct fileset *fs)
{
    char pattern[PATH_MAX];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s.tmp-*", fs->dir);
    if (glob(pattern, 0, NULL, &g))
        return;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        long pid = atol(strrchr(g.gl_pathv[i], '-') + 1);
        if (pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH)
            util_remove_tree(g.gl_pathv[i]);
    }
    globfree(&g);
}

static int enough_space(const struct fileset *fs, const char *cache, char *err,
                        size_t errlen)
{
    struct statvfs v;
    if (statvfs(cache, &v))
        return 0; /* the writes will say */
    long long free_b = (long long)v.f_bavail * (long long)v.f_frsize;
    if (free_b >= fs->bytes + FILESET_SPARE_BYTES)
        return 0;
    snprintf(err, errlen, "the file set needs %lld MiB in %s, %lld MiB are free "
             "(--fileset-dirs fewer, or --fileset-cache elsewhere)", fs->bytes >> 20,
             cache, free_b >> 20);
    return -1;
}

/* The directories, the files, index.html, urls.txt, then (once every byte
 * is on the disk, so that a set with a manifest is complete and its pages
 * can be dropped) manifest.txt. */
static int generate(const struct fileset *fs, const char *tmp, const char *urls,
                    const char *manifest, char *err, size_t errlen)
{
    char path[PATH_MAX], docroot[FILESET_DIR_MAX + 64];
    snprintf(docroot, sizeof docroot, "%s/docroot", tmp);
    if (util_mkdir_p(docroot, err, errlen))
        return -1;
    for (int d = 0; d < fs->dirs; d++) {
        snprintf(path, sizeof path, "%s/dir%05d", docroot, d);
        if (mkdir(path, 0755)) {
            snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
            return -1;
        }
    }
    struct walk w = {fs, docroot, malloc(FILESET_CHUNK), err, errlen, 0};
    int rc = !w.buf || each_file(fs, &w, write_file);
    free(w.buf);
    char index[512];
    int n = snprintf(index, sizeof index, "<!DOCTYPE html>\n<title>c10k-lab file set</title>"
                     "\n<p>%d directories of %d files (SPECweb99 classes), seed %llu.</p>\n",
                     fs->dirs, FILESET_CLASSES * FILESET_FILES, (unsigned long long)fs->seed);
    snprintf(path, sizeof path, "%s/index.html", docroot);
    rc = rc || write_text(path, index, (size_t)n, err, errlen);
    snprintf(path, sizeof path, "%s/urls.txt", tmp);
    rc = rc || write_text(path, urls, strlen(urls), err, errlen);
    int dfd = rc ? -1 : open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!rc && (dfd < 0 || syncfs(dfd))) {
        snprintf(err, errlen, "syncfs %s: %s", tmp, strerror(errno));
        rc = 1;
    }
    if (dfd >= 0)
        close(dfd);
    snprintf(path, sizeof path, "%s/manifest.txt", tmp);
    return rc || write_text(path, manifest, strlen(manifest), err, errlen) ? -1 : 0;
}

static void set_paths(struct fileset *fs, const char *cache, int dirs, uint64_t seed)
{
    memset(fs, 0, sizeof *fs);
    fs->dirs = dirs;
    fs->seed = seed;
    snprintf(fs->dir, sizeof fs->dir, "%s/fileset-d%d-s%llu", cache, dirs,
             (unsigned long long)seed);
    snprintf(fs->docroot, sizeof fs->docroot, "%s/docroot", fs->dir);
    snprintf(fs->urls, sizeof fs->urls, "%s/urls.txt", fs->dir);
}

int fileset_prepare(struct fileset *fs, const char *cache, int dirs, uint64_t seed,
                    char *err, size_t errlen)
{
    char *urls, *manifest, tmp[FILESET_DIR_MAX + 32];
    if (strlen(cache) > FILESET_DIR_MAX - 64) {
        snprintf(err, errlen, "--fileset-cache: a path of at most %d bytes",
                 FILESET_DIR_MAX - 64);
        return -1;
    }
    set_paths(fs, cache, dirs, seed);
    if (fileset_texts(fs, &urls, &manifest)) {
        snprintf(err, errlen, "file set: out of memory");
        return -1;
    }
    int rc = 0;
    if (access(fs->dir, F_OK) == 0 &&
        verify(fs, urls, manifest, fs->redo, sizeof fs->redo) == 0)
        goto done;
    if (access(fs->dir, F_OK) && errno == ENOENT)
        fs->redo[0] = '\0'; /* none stored: not a damage */
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", fs->dir, (int)getpid());
    rc = util_mkdir_p(cache, err, errlen) || enough_space(fs, cache, err, errlen);
    if (rc == 0) {
        remove_stale(fs);
        rc = generate(fs, tmp, urls, manifest, err, errlen);
    }
    if (rc == 0 && (util_remove_tree(fs->dir) && errno != ENOENT)) {
        snprintf(err, errlen, "remove the damaged %s: %s", fs->dir, strerror(errno));
        rc = -1;
    } else if (rc == 0 && rename(tmp, fs->dir)) {
        snprintf(err, errlen, "rename %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc)
        util_remove_tree(tmp);
    fs->generated = rc == 0;
done:
    free(urls);
    free(manifest);
    return rc ? -1 : 0;
}

static int drop_file(void *ctx, const struct fileset_req *q)
{
    struct walk *w = ctx;
    char path[PATH_MAX], rel[FILESET_PATH_MAX];
    fileset_path(q, rel);
    snprintf(path, sizeof path, "%s%s", w->docroot, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    /* Clean pages only: the set was synced when generated. */
    if (fd < 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
        w->failed++;
    if (fd >= 0)
        close(fd);
    return 0;
}

int fileset_drop_cache(const struct fileset *fs)
{
    struct walk w = {fs, fs->docroot, NULL, NULL, 0, 0};
    each_file(fs, &w, drop_file);
    return w.failed;
}
