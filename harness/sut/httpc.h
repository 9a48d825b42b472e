/* A small blocking HTTP/1.1 client with deadlines, for the checks the
 * harness makes itself (verify, health checks). Not used for load.
 *
 *   int fd = httpc_connect("127.0.0.1", port, 2000, err, sizeof err);
 *   struct httpc_resp r;
 *   if (httpc_request(fd, "GET", "/", &r, 2000, err, sizeof err) == 0)
 *       printf("%d %zu bytes\n", r.status, r.body_len);
 *   httpc_free(&r);
 *   close(fd);
 */
#ifndef HARNESS_HTTPC_H
#define HARNESS_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

struct httpc_resp {
    int status;
    long content_length;  /* -1 when absent */
    bool closes;          /* "Connection: close" */
    char *body;           /* body_len bytes, malloc'd */
    size_t body_len;
};

/* addr: an IPv4 address (the server's, 127.0.0.1 unless --target). */
int httpc_connect(const char *addr, int port, int timeout_ms, char *err, size_t errlen);
/* Sends one request and reads its response (no body for HEAD). */
int httpc_request(int fd, const char *method, const char *path,
                  struct httpc_resp *r, int timeout_ms, char *err, size_t errlen);
void httpc_free(struct httpc_resp *r);
/* Parses a response head (status line and headers, "\r\n\r\n" included). */
int httpc_parse_head(const char *head, size_t len, struct httpc_resp *r);

#endif
