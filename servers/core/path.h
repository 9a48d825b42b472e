/* Safe mapping of a request-target to a file under the docroot.
 *
 *   char rel[PATH_REL_MAX]; bool slash;
 *   int st = path_normalize(target, len, rel, sizeof rel, &slash);
 *   if (st) answer st (400 or 414);
 *   int fd = path_open_beneath(docroot_fd, rel);   // rel "" is the docroot
 *   if (fd < 0) map -fd with path_errno_status();
 *
 * path_normalize takes origin-form ("/a/b?q") or absolute-form
 * ("http://host/a/b"), drops query and fragment, percent-decodes, then removes
 * "." and ".." segments; a result that would climb above the root, an encoded
 * slash (%2f), a backslash (raw or %5c), a NUL (%00), a raw control byte or a
 * bad %-escape is 400. Other %-encoded bytes, control bytes among them
 * ("%09", "%7F"), are name bytes like any other. The result has no leading slash ("" for the root, "sub/" keeps the
 * trailing slash flag in *dir_slash instead). */
#ifndef PATH_H
#define PATH_H

#include <stddef.h>
#include <stdbool.h>

#define PATH_REL_MAX 8192

/* Returns 0 or an HTTP status (400, or 414 when out is too small). */
int path_normalize(const char *target, size_t len, char *out, size_t outsz,
                   bool *dir_slash);

/* The query of a target path_normalize() accepted, without its '?' and
 * without any fragment: s[0..*qlen) at *q. False when there is no '?'. */
bool path_query(const char *target, size_t len, const char **q, size_t *qlen);

/* Whether a path_normalize() result names a hidden file: one with a
 * segment that starts with '.' (".git/config", ".env", "a/.hidden/x"),
 * except a first segment ".well-known", which RFC 8615 reserves for what a
 * site publishes ("well-known URIs": ACME challenges, security.txt...);
 * hidden segments below it are hidden still. Such names are version-control
 * and configuration files far more often than content, and among the first
 * that scanners ask for: the server answers 404 for them (respond.c) unless
 * --serve-hidden. */
bool path_is_hidden(const char *rel);

/* Opens rel (read-only, non-blocking, close-on-exec) without leaving dirfd:
 * openat2 with RESOLVE_BENEATH where the kernel has it, otherwise a walk that
 * opens each component with O_NOFOLLOW below dirfd. Returns an fd or -errno
 * (-EXDEV or -ELOOP for an escaping symlink). */
int path_open_beneath(int dirfd, const char *rel);

/* For tests: the fallback path_open_beneath() takes when openat2 is missing
 * (ENOSYS) or filtered (EPERM from seccomp). Stricter than openat2: it never
 * follows a symlink (-ELOOP) and refuses ".." and absolute paths (-EXDEV). */
int path_open_beneath_walk(int dirfd, const char *rel);

/* Maps -errno from path_open_beneath to a status: 404 for ENOENT/ENOTDIR,
 * 403 for EACCES/EPERM/EXDEV/ELOOP, 414 for ENAMETOOLONG, 500 otherwise. */
int path_errno_status(int err);

#endif
