/* The correctness gate before load (see verify.h). */
#include "sut/verify.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sut/httpc.h"
#include "base/util.h"

#define VERIFY_MISSING "/c10k-lab-no-such-file.html"

/* One request on c, checking the status and, if want_body, the bytes and
 * their Content-Length (RFC 9112 6.3: the framing of a keep-alive
 * response); kept: it went over the connection of the request before (the
 * server kept it open). */
static int expect(struct httpc *c, const char *method, const char *path, int status,
                  const char *want_body, size_t want_len, bool kept, char *why,
                  size_t whylen)
{
    struct httpc_resp r;
    if (httpc_request(c, method, path, &r, why, whylen))
        return -1;
    int bad = 0;
    if (kept && !r.reused) {
        snprintf(why, whylen, "%s %s: the server closed the connection before it",
                 method, path);
        bad = 1;
    } else if (r.status != status) {
        snprintf(why, whylen, "%s %s: status %d, expected %d", method, path,
                 r.status, status);
        bad = 1;
    } else if (want_body && (r.body_len != want_len ||
                             memcmp(r.body, want_body, want_len) != 0)) {
        snprintf(why, whylen, "%s %s: body of %zu bytes differs from the file's %zu",
                 method, path, r.body_len, want_len);
        bad = 1;
    } else if ((want_body || strcmp(method, "HEAD") == 0) && want_len != (size_t)-1 &&
               r.content_length != (long)want_len) {
        snprintf(why, whylen, "%s %s: Content-Length %ld, expected %zu", method, path,
                 r.content_length, want_len);
        bad = 1;
    }
    httpc_free(&r);
    return bad ? -1 : 0;
}

/* Fresh connection, one request. */
static int expect_once(const char *addr, int port, const char *method,
                       const char *path, int status, const char *body, size_t len,
                       char *why, size_t whylen)
{
    struct httpc *c = httpc_open(addr, port, VERIFY_TIMEOUT_MS, why, whylen);
    if (!c)
        return -1;
    int r = expect(c, method, path, status, body, len, false, why, whylen);
    httpc_close(c);
    return r;
}

static int verify_files(const char *addr, int port, const char *docroot,
                        const char *bench_path, char *why, size_t whylen)
{
    char path[PATH_MAX], *bench = NULL, *index = NULL;
    size_t bench_len = 0, index_len = 0;
    int r = -1;
    snprintf(path, sizeof path, "%s%s", docroot, bench_path);
    if (util_read_file(path, &bench, &bench_len, why, whylen))
        goto out;
    snprintf(path, sizeof path, "%s/index.html", docroot);
    if (util_read_file(path, &index, &index_len, why, whylen))
        goto out;
    if (expect_once(addr, port, "GET", bench_path, 200, bench, bench_len, why, whylen) ||
        expect_once(addr, port, "GET", "/", 200, index, index_len, why, whylen) ||
        expect_once(addr, port, "GET", VERIFY_MISSING, 404, NULL, 0, why, whylen))
        goto out;
    struct httpc *c = httpc_open(addr, port, VERIFY_TIMEOUT_MS, why, whylen);
    if (!c)
        goto out;
    r = expect(c, "HEAD", "/", 200, NULL, index_len, false, why, whylen) ||
        expect(c, "GET", "/", 200, index, index_len, true, why, whylen);
    if (r)
        snprintf(why + strlen(why), whylen - strlen(why), " (keep-alive after HEAD)");
    httpc_close(c);
out:
    free(bench);
    free(index);
    return r ? -1 : 0;
}

static int verify_calibration(const char *addr, int port, const char *bench_path,
                              long size, bool gzip, char *why, size_t whylen)
{
    struct httpc_resp r;
    struct httpc *c = httpc_open(addr, port, VERIFY_TIMEOUT_MS, why, whylen);
    if (!c)
        return -1;
    if (gzip)
        httpc_accept_gzip(c);
    for (int i = 0; i < 2; i++) {
        if (httpc_request(c, "GET", bench_path, &r, why, whylen)) {
            httpc_close(c);
            return -1;
        }
        int bad = r.status != 200 || (long)r.body_len != size || (i > 0 && !r.reused) ||
                  r.gzip != gzip;
        if (bad)
            snprintf(why, whylen, "GET %s (request %d on one connection): status %d,"
                     " %zu bytes%s%s, expected 200 and %ld", bench_path, i + 1,
                     r.status, r.body_len, i > 0 && !r.reused ? " on a new connection" : "",
                     r.gzip != gzip ? (gzip ? ", not gzip" : ", in gzip") : "", size);
        httpc_free(&r);
        if (bad) {
            httpc_close(c);
            return -1;
        }
    }
    httpc_close(c);
    return 0;
}

/* /db and /queries (the db and queries workloads): 200, JSON with the
 * World table's fields, kept alive; the files are verified from html/. */
static int verify_db(const char *addr, int port, const char *docroot, const char *path,
                     char *why, size_t whylen)
{
    struct httpc_resp r;
    struct httpc *c = httpc_open(addr, port, VERIFY_TIMEOUT_MS, why, whylen);
    if (!c)
        return -1;
    int rc = httpc_request(c, "GET", path, &r, why, whylen);
    httpc_close(c);
    if (rc)
        return -1;
    bool array = strncmp(path, "/queries", 8) == 0;
    bool ok = r.status == 200 && r.body_len > 2 && r.body[0] == (array ? '[' : '{') &&
              memmem(r.body, r.body_len, "\"randomNumber\":", 15);
    if (!ok)
        snprintf(why, whylen, "GET %s: status %d, %zu bytes (%.60s): not a World row as JSON",
                 path, r.status, r.body_len, r.body_len ? r.body : "");
    httpc_free(&r);
    return ok ? verify_files(addr, port, docroot, "/index.html", why, whylen) : -1;
}

int verify_server(const struct sut *s, const char *docroot,
                  const char *bench_path, char *why, size_t whylen)
{
    if (s->model->kind == MODEL_CALIBRATION)
        return verify_calibration(s->addr, s->port, bench_path, s->env->body_size,
                                  s->env->gzip_level > 0, why, whylen);
    if (s->env->model_args && (!strcmp(bench_path, "/db") || !strncmp(bench_path, "/queries", 8)))
        return verify_db(s->addr, s->port, docroot, bench_path, why, whylen);
    return verify_files(s->addr, s->port, docroot, bench_path, why, whylen);
}

static bool is_text(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".html") == 0 || strcmp(dot, ".css") == 0 ||
                   strcmp(dot, ".js") == 0);
}

/* One path of the list, on c. */
static int verify_one_coded(struct httpc *c, const char *docroot, const char *path,
                            char *why, size_t whylen)
{
    char full[PATH_MAX], *want = NULL;
    size_t want_len = 0;
    struct httpc_resp r;
    snprintf(full, sizeof full, "%s%s", docroot, path);
    if (util_read_file(full, &want, &want_len, why, whylen) ||
        httpc_request(c, "GET", path, &r, why, whylen)) {
        free(want);
        return -1;
    }
    int bad = 1;
    if (r.status != 200)
        snprintf(why, whylen, "GET %s in gzip: status %d", path, r.status);
    else if (r.gzip != is_text(path))
        snprintf(why, whylen, "GET %s with Accept-Encoding: gzip: %s", path,
                 r.gzip ? "compressed, though not a text type" : "not compressed");
    else if (r.body_len != want_len || memcmp(r.body, want, want_len) != 0)
        snprintf(why, whylen, "GET %s in gzip: %zu bytes decompressed, not the file's "
                 "%zu", path, r.body_len, want_len);
    else
        bad = 0;
    httpc_free(&r);
    free(want);
    return bad ? -1 : 0;
}

int verify_coded(const struct sut *s, const char *docroot, const char *urls, char *why,
                 size_t whylen)
{
    char *text = NULL, seen[512][64];
    size_t len = 0;
    int n_seen = 0, rc = 0;
    if (s->model->kind == MODEL_CALIBRATION)
        return 0; /* verify_calibration checked its gzip body */
    if (util_read_file(urls, &text, &len, why, whylen))
        return -1;
    struct httpc *c = httpc_open(s->addr, s->port, VERIFY_TIMEOUT_MS, why, whylen);
    if (!c) {
        free(text);
        return -1;
    }
    httpc_accept_gzip(c);
    for (char *line = strtok(text, "\n"); line && rc == 0; line = strtok(NULL, "\n")) {
        line[strcspn(line, "\t\r")] = '\0';
        bool dup = strlen(line) >= sizeof seen[0];
        for (int i = 0; i < n_seen && !dup; i++)
            dup = strcmp(seen[i], line) == 0;
        if (dup || n_seen == 512)
            continue;
        snprintf(seen[n_seen++], sizeof seen[0], "%s", line);
        rc = verify_one_coded(c, docroot, line, why, whylen);
    }
    httpc_close(c);
    free(text);
    return rc;
}

int verify_answers(const char *addr, int port, int timeout_ms, char *why, size_t whylen)
{
    struct httpc_resp r;
    struct httpc *c = httpc_open(addr, port, timeout_ms, why, whylen);
    if (!c)
        return -1;
    int rc = httpc_request(c, "GET", "/", &r, why, whylen);
    httpc_close(c);
    if (rc == 0)
        httpc_free(&r);
    return rc;
}
