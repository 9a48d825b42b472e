/* What to answer a request: the decision between a file (200, 304), a
 * redirect (301) and an error, made without any I/O on the connection.
 *
 *   struct respond_answer a;
 *   respond_to(&req, keep_alive, out, cap, &a);  // a parsed request head
 *   respond_error(400, false, out, cap, &a);     // a head that did not parse
 *   then send out[0..a.head_len), then bytes [a.body.off, a.body.off +
 *   a.body.len) of a.body.file (or of a.body.coded), and
 *   files_put(a.body.file) (or free(a.body.coded)) when done.
 *
 * The body is a slice of a file entry so that a byte range (RFC 9110 §14)
 * is the same kind of answer as a whole file. conn.c sends answers; this
 * file knows paths, the file cache and conditional requests. */
#ifndef RESPOND_H
#define RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct file_entry;
struct http_request;

/* Bytes [off, off + len) of file's content, or of coded (a gzip body made
 * for this response, gzip.h); both NULL: no body. */
struct respond_body {
    struct file_entry *file; /* referenced: the sender files_put()s it */
    off_t off;
    off_t len;
    char *coded;             /* malloc'd: the sender free()s it */
};

struct respond_answer {
    int status;              /* for the counters */
    size_t head_len;         /* bytes written at out: the head, or a whole error */
    bool keep_alive;         /* the connection stays open after it */
    struct respond_body body;
};

/* Answers a complete, valid request head: the file its target names, 200,
 * in gzip when the file is compressible and Accept-Encoding asks for it
 * (coding.h; then validated against its own entity-tag, and a Range is
 * ignored: the whole 200, RFC 9110 section 14.2 lets a server ignore it),
 * or after the preconditions of RFC 9110 section 13.2.2 (If-Match,
 * If-Unmodified-Since: 412; If-None-Match, If-Modified-Since: 304) and a
 * Range of a GET (section 14.2: 206 for one satisfiable range, 416 for
 * none); 301 for a directory without its slash, keeping the query; 404 for
 * a hidden file (respond_publish_hidden); else the error path and file
 * cache give (400, 403, 404, 414, 500). keep_alive is
 * what the request and the server allow; errors turn it off. cap must hold
 * a Location of RESPONSE_LOCATION_MAX. */
void respond_to(const struct http_request *req, bool keep_alive, char *out, size_t cap,
                struct respond_answer *a);

/* Whether hidden files (path_is_hidden) are published; off by default:
 * they are answered 404, not 403, so that the answer does not confirm that
 * they exist. The servers' --serve-hidden turns it on. Call before serving. */
void respond_publish_hidden(bool on);

/* A complete error response with Connection: close: head and short page,
 * or the head alone for a HEAD, a rejected one included (RFC 9110 section
 * 9.3.2). */
void respond_error(int status, bool head_only, char *out, size_t cap,
                   struct respond_answer *a);

#endif
