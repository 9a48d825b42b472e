/* The HTTP client of the checks the harness makes itself (verify, health
 * checks), over libcurl (Debian libcurl4-openssl-dev); not used for load.
 * None of those checks needs bytes libcurl cannot send: each is a plain
 * GET or HEAD whose status, headers, body and connection reuse are read
 * back. One client is one connection, reused by the requests after the
 * first while the server keeps it open (keep-alive).
 *
 *   struct httpc *c = httpc_open("127.0.0.1", port, 2000, err, sizeof err);
 *   struct httpc_resp r;
 *   if (c && httpc_request(c, "GET", "/", &r, err, sizeof err) == 0)
 *       printf("%d %zu bytes%s\n", r.status, r.body_len, r.reused ? " (kept)" : "");
 *   httpc_free(&r);
 *   httpc_close(c);
 */
#ifndef HARNESS_HTTPC_H
#define HARNESS_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

struct httpc;

struct httpc_resp {
    int status;
    long content_length;  /* -1 when absent */
    bool reused;          /* sent on the previous request's connection */
    char *body;           /* body_len bytes, malloc'd; NULL for none */
    size_t body_len;
    bool gzip;            /* Content-Encoding: gzip came (body: decoded) */
};

/* addr: an IPv4 address (the server's, 127.0.0.1 unless --target);
 * timeout_ms bounds the connect and each request. NULL with err when out of
 * memory. */
struct httpc *httpc_open(const char *addr, int port, int timeout_ms, char *err,
                         size_t errlen);
/* Sends one request (GET or HEAD: no body read) and reads its response:
 * 0, or -1 with "METHOD PATH: why" in err (no connection, timeout, a
 * response that is not HTTP). */
int httpc_request(struct httpc *c, const char *method, const char *path,
                  struct httpc_resp *r, char *err, size_t errlen);
/* From now on, requests carry Accept-Encoding: gzip and a gzip body is
 * decoded by libcurl (zlib) before it reaches r->body; r->gzip says it was
 * encoded, content_length is then the encoded length. */
void httpc_accept_gzip(struct httpc *c);
void httpc_free(struct httpc_resp *r);
void httpc_close(struct httpc *c);

#endif
