/* The checks' HTTP client over libcurl (see httpc.h). */
#include "sut/httpc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct httpc {
    CURL *curl;
    char base[64];        /* http://ADDR:PORT */
    int requests;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct httpc *httpc_open(const char *addr, int port, int timeout_ms, char *err,
                         size_t errlen)
{
    pthread_once(&once, global_init);
    struct httpc *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        snprintf(err, errlen, "connect %s:%d: out of memory", addr, port);
        free(c);
        return NULL;
    }
    snprintf(c->base, sizeof c->base, "http://%s:%d", addr, port);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "*"); /* the server, never a proxy */
    curl_easy_setopt(c->curl, CURLOPT_MAXCONNECTS, 1L);
    return c;
}

void httpc_accept_gzip(struct httpc *c)
{
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "gzip");
}

/* Notes a Content-Encoding: gzip among the response's header lines. */
static size_t header_line(char *data, size_t size, size_t n, void *user)
{
    static const char name[] = "content-encoding:";
    struct httpc_resp *r = user;
    size_t len = size * n, k = sizeof name - 1;
    if (len > k && strncasecmp(data, name, k) == 0) {
        while (k < len && (data[k] == ' ' || data[k] == '\t'))
            k++;
        r->gzip = len - k >= 4 && strncasecmp(data + k, "gzip", 4) == 0;
    }
    return len;
}

static size_t append(char *data, size_t size, size_t n, void *user)
{
    struct httpc_resp *r = user;
    char *body = realloc(r->body, r->body_len + size * n + 1);
    if (!body)
        return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
    memcpy(body + r->body_len, data, size * n);
    r->body = body;
    r->body_len += size * n;
    return size * n;
}

int httpc_request(struct httpc *c, const char *method, const char *path,
                  struct httpc_resp *r, char *err, size_t errlen)
{
    char url[1024], why[CURL_ERROR_SIZE] = "";
    long status = 0, connects = 0;
    curl_off_t length = -1;
    bool head = strcmp(method, "HEAD") == 0;
    memset(r, 0, sizeof *r);
    snprintf(url, sizeof url, "%s%s", c->base, path);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, head ? CURLOPT_NOBODY : CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, why);
    CURLcode rc = curl_easy_perform(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s %s: %s", method, path, why[0] ? why : curl_easy_strerror(rc));
        httpc_free(r);
        return -1;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    r->status = (int)status;
    r->content_length = (long)length;
    r->reused = c->requests++ > 0 && connects == 0;
    return 0;
}

void httpc_free(struct httpc_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

void httpc_close(struct httpc *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}
