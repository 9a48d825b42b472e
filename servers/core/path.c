/* Safe mapping of a request-target to a file under the docroot.
 *
 * Two independent fences: path_normalize() refuses any target whose decoded
 * path would climb above the root, and path_open_beneath() asks the kernel
 * (openat2 RESOLVE_BENEATH) to refuse any resolution, symlinks included, that
 * would leave the docroot. Either alone would be enough for a well-formed
 * tree; together a bug in one does not expose the file system. */
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* O_NONBLOCK so that opening a FIFO someone left in the docroot cannot block
 * the server; the caller fstat()s and refuses anything not regular. */
#define PATH_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

/* openat2 fails with EAGAIN when a rename or mount raced the lookup; the
 * kernel asks us to retry. A few tries are plenty. */
#define PATH_OPENAT2_RETRIES 8

/* Set once openat2 proved unusable (ENOSYS before Linux 5.6, EPERM from a
 * seccomp filter that does not know it): every later open takes the walk. */
static atomic_bool path_no_openat2;

/* ---- path_normalize ---------------------------------------------------- */

struct path_out {
    char *buf;
    size_t len;      /* bytes of the result written so far */
    size_t cap;      /* usable bytes: outsz - 1, one kept for the NUL */
    size_t seg_mark; /* len before the current segment (and its '/') */
    size_t seg;      /* where the current segment's bytes start */
    bool in_seg;     /* a segment byte has been written */
};

static int path_hex(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool path_starts_with_nocase(const char *s, size_t len, const char *pfx)
{
    size_t n = strlen(pfx);
    return len >= n && strncasecmp(s, pfx, n) == 0;
}

/* Finds the path part of the target: origin-form starts at '/', absolute-form
 * ("http://host:port/p") at the first '/', '?' or '#' after the authority.
 * Returns false for anything else (asterisk-form, authority-form, garbage). */
static bool path_locate(const char *t, size_t len, const char **p, size_t *plen)
{
    size_t i = 0;
    if (len > 0 && t[0] == '/') {
        /* origin-form: the path starts here */
    } else if (path_starts_with_nocase(t, len, "http://") ||
               path_starts_with_nocase(t, len, "https://")) {
        i = t[4] == ':' ? 7 : 8;
        while (i < len && t[i] != '/' && t[i] != '?' && t[i] != '#')
            i++;
    } else {
        return false;
    }
    size_t end = i;
    while (end < len && t[end] != '?' && t[end] != '#')
        end++;
    *p = t + i;
    *plen = end - i; /* 0 for "http://host" or "http://host?q": the root */
    return true;
}

/* Closes the current segment: "." vanishes, ".." also removes the previous
 * segment (400 if there is none: that would be above the root), anything else
 * stays. Returns 0 or 400. */
static int path_end_segment(struct path_out *o)
{
    if (!o->in_seg)
        return 0; /* empty segment, e.g. "//" */
    o->in_seg = false;
    size_t n = o->len - o->seg;
    const char *s = o->buf + o->seg;
    if (n == 1 && s[0] == '.') {
        o->len = o->seg_mark;
    } else if (n == 2 && s[0] == '.' && s[1] == '.') {
        o->len = o->seg_mark;
        if (o->len == 0)
            return 400;
        while (o->len > 0 && o->buf[o->len - 1] != '/')
            o->len--;
        if (o->len > 0)
            o->len--; /* the '/' that joined the popped segment */
    }
    return 0;
}

/* Appends one decoded byte of a segment, adding the joining '/' before the
 * first byte of every segment but the first. Returns 0 or 414. */
static int path_put(struct path_out *o, unsigned char ch)
{
    if (!o->in_seg) {
        o->in_seg = true;
        o->seg_mark = o->len;
        if (o->len > 0) {
            if (o->len >= o->cap)
                return 414;
            o->buf[o->len++] = '/';
        }
        o->seg = o->len;
    }
    if (o->len >= o->cap)
        return 414;
    o->buf[o->len++] = (char)ch;
    return 0;
}

/* A byte of the target that is never part of a name: a raw control byte or
 * DEL cannot be in a request-target at all (RFC 9112 section 3.2; the parser
 * already refuses them), and a backslash, raw or %-encoded, is a separator
 * on other systems (a classic way to smuggle "..\" past a filter). */
static bool path_forbidden_raw(unsigned char ch)
{
    return ch < 0x20 || ch == 0x7f || ch == '\\';
}

/* A %-decoded byte that cannot be part of a name. Any other byte can: Linux
 * allows every byte but NUL and '/' in a file name, so "%09" or "%7F" is an
 * ordinary byte to look up (404 when no such file exists). NUL would cut the
 * name short, and an encoded slash is a separator the client asked us not to
 * treat as one. */
static bool path_forbidden_decoded(unsigned char ch)
{
    return ch == '\0' || ch == '/' || ch == '\\';
}

int path_normalize(const char *target, size_t len, char *out, size_t outsz,
                   bool *dir_slash)
{
    const char *p;
    size_t plen;
    if (outsz == 0)
        return 414;
    out[0] = '\0';
    *dir_slash = false;
    if (!target || !path_locate(target, len, &p, &plen))
        return 400;

    struct path_out o = {.buf = out, .cap = outsz - 1};
    bool last_is_dir = true; /* the root ("" path) is a directory */
    for (size_t i = 0; i < plen; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '/') {
            int st = path_end_segment(&o);
            if (st)
                return st;
            last_is_dir = true;
            continue;
        }
        if (path_forbidden_raw(ch))
            return 400;
        if (ch == '%') {
            int hi = i + 1 < plen ? path_hex((unsigned char)p[i + 1]) : -1;
            int lo = i + 2 < plen ? path_hex((unsigned char)p[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return 400;
            ch = (unsigned char)(hi << 4 | lo);
            i += 2;
            if (path_forbidden_decoded(ch))
                return 400;
        }
        int st = path_put(&o, ch);
        if (st)
            return st;
        last_is_dir = false;
    }
    /* RFC 3986 5.2.4: a path ending in "." or ".." names a directory, so
     * "/a/." is "/a/" and "/a/b/.." is "/a/" (served as an index, not
     * redirected). */
    if (o.in_seg) {
        size_t n = o.len - o.seg;
        const char *s = o.buf + o.seg;
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            last_is_dir = true;
    }
    int st = path_end_segment(&o);
    if (st)
        return st;
    out[o.len] = '\0';
    *dir_slash = last_is_dir || o.len == 0;
    return 0;
}

/* Without path_locate: the first '?' or '#' of a target ends its path
 * either way, since neither can be in an authority (uri.c) or a path. */
bool path_query(const char *target, size_t len, const char **q, size_t *qlen)
{
    size_t i = 0;
    while (i < len && target[i] != '?' && target[i] != '#')
        i++;
    if (i == len || target[i] == '#')
        return false;
    size_t end = ++i;
    while (end < len && target[end] != '#')
        end++;
    *q = target + i;
    *qlen = end - i;
    return true;
}

bool path_is_hidden(const char *rel)
{
    static const char well_known[] = ".well-known/";
    const char *p = rel;
    if (strncmp(p, well_known, sizeof well_known - 2) == 0 &&
        (p[sizeof well_known - 2] == '/' || p[sizeof well_known - 2] == '\0'))
        p += sizeof well_known - 2; /* the directory itself, or what is in it */
    for (; *p; p++)
        if (*p == '.' && (p == rel || p[-1] == '/'))
            return true;
    return false;
}

/* ---- path_open_beneath ------------------------------------------------- */

static int path_openat2(int dirfd, const char *rel)
{
    struct open_how how = {
        .flags = PATH_OPEN_FLAGS,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    for (int tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
        if (fd >= 0)
            return (int)fd;
        if ((errno == EAGAIN && tries < PATH_OPENAT2_RETRIES) || errno == EINTR)
            continue;
        return -errno;
    }
}

/* EPERM is what a seccomp filter that does not know openat2 answers, but an
 * LSM may also refuse one file with it. Opening the docroot itself tells them
 * apart, so one refused file does not switch every later open to the walk. */
static bool path_openat2_works(int dirfd)
{
    int fd = path_openat2(dirfd, ".");
    if (fd < 0)
        return false;
    if (close(fd) != 0)
        return false; /* cannot happen for a fresh fd; assume the worst */
    return true;
}

/* Opens one intermediate directory without following a symlink. With
 * O_PATH|O_DIRECTORY|O_NOFOLLOW the kernel reports a symlink as ENOTDIR;
 * look again so that an escaping link is a 403 (ELOOP), not a 404. */
static int path_open_dir(int cur, const char *comp)
{
    int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int err = errno;
    struct stat st;
    if (err == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return -ELOOP;
    return -err;
}

/* The fallback for kernels without openat2. It is stricter than the kernel
 * path: symlinks are not followed at all (any symlink on the way gives
 * -ELOOP), because resolving them safely in user space would mean
 * re-implementing the kernel's lookup. ".." components and absolute paths
 * are refused with -EXDEV, as openat2 would refuse an escape. */
int path_open_beneath_walk(int dirfd, const char *rel)
{
    if (rel[0] == '/')
        return -EXDEV;
    char comp[NAME_MAX + 1];
    int cur = dirfd;
    const char *p = rel;
    for (;;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        const char *next = p + n;
        while (*next == '/')
            next++;
        bool last = *next == '\0';
        int fd;
        if (n > NAME_MAX) {
            fd = -ENAMETOOLONG;
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            fd = -EXDEV;
        } else {
            memcpy(comp, n ? p : ".", n ? n : 1);
            comp[n ? n : 1] = '\0';
            if (last) {
                fd = openat(cur, comp, PATH_OPEN_FLAGS | O_NOFOLLOW);
                if (fd < 0)
                    fd = -errno;
            } else {
                fd = path_open_dir(cur, comp);
            }
        }
        if (cur != dirfd && close(cur) != 0 && fd >= 0) {
            /* close() on an O_PATH fd cannot really fail; if it does the
             * descriptor is gone anyway, so only report it. */
            int err = errno;
            close(fd);
            return -err;
        }
        if (fd < 0 || last)
            return fd;
        cur = fd;
        p = next;
    }
}

int path_open_beneath(int dirfd, const char *rel)
{
    if (!rel[0])
        rel = ".";
    if (!atomic_load_explicit(&path_no_openat2, memory_order_relaxed)) {
        int fd = path_openat2(dirfd, rel);
        if (fd != -ENOSYS && fd != -EPERM)
            return fd;
        if (fd == -EPERM && path_openat2_works(dirfd))
            return fd; /* a real permission answer about this file */
        atomic_store_explicit(&path_no_openat2, true, memory_order_relaxed);
    }
    return path_open_beneath_walk(dirfd, rel);
}

int path_errno_status(int err)
{
    /* Callers pass -fd (a positive errno); accept -errno too. */
    if (err < 0)
        err = -err;
    switch (err) {
    case ENOENT:
    case ENOTDIR:
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV:
    case ELOOP:
        return 403;
    case ENAMETOOLONG:
        return 414;
    default:
        return 500;
    }
}
