/* The correctness gate (sut/verify.c, its HTTP client over libcurl)
 * against a small server in a thread, on 127.0.0.1 port 0, that serves
 * html/ as a model should, or breaks one rule: a server that closes the
 * connection after HEAD, sends a body of the wrong size, or answers 200 for
 * a missing file is refused, saying what it did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/models.h"
#include "base/util.h"
#include "sut/sut.h"
#include "sut/verify.h"
#include "workload/workload.h"

enum fault { NONE, CLOSE_AFTER_HEAD, SHORT_BODY, NO_404 };

struct server {
    int fd, port;
    enum fault fault;
    pthread_t thread;
};

/* Answers each request on one connection: the file under html/, or 404. */
static void serve_conn(struct server *sv, int c)
{
    char req[2048], path[PATH_MAX], method[8], target[1024], err[128];
    ssize_t n;
    while ((n = recv(c, req, sizeof req - 1, 0)) > 0) {
        req[n] = '\0';
        if (sscanf(req, "%7s %1023s", method, target) != 2)
            return;
        snprintf(path, sizeof path, "%s%s", WORKLOAD_DOCROOT,
                 strcmp(target, "/") ? target : "/index.html");
        char *body = NULL, head[256];
        size_t len = 0;
        bool found = util_read_file(path, &body, &len, err, sizeof err) == 0;
        bool head_only = strcmp(method, "HEAD") == 0;
        size_t sent = found && sv->fault == SHORT_BODY ? len - 1 : len;
        int hl = snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n",
                          found || sv->fault == NO_404 ? "200 OK" : "404 Not Found",
                          found ? sent : 0);
        send(c, head, (size_t)hl, MSG_NOSIGNAL);
        if (found && !head_only)
            send(c, body, sent, MSG_NOSIGNAL);
        free(body);
        if (head_only && sv->fault == CLOSE_AFTER_HEAD)
            return;
    }
}

static void *serve(void *arg)
{
    struct server *sv = arg;
    for (int c; (c = accept(sv->fd, NULL, NULL)) >= 0; close(c))
        serve_conn(sv, c);
    return NULL;
}

static void start(struct server *sv, enum fault fault)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    sv->fault = fault;
    sv->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(sv->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(sv->fd, 16), 0);
    assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&a, &alen), 0);
    sv->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&sv->thread, NULL, serve, sv), 0);
}

static void stop(struct server *sv)
{
    shutdown(sv->fd, SHUT_RDWR); /* accept fails: the thread ends */
    pthread_join(sv->thread, NULL);
    close(sv->fd);
}

static int verify(enum fault fault, char *why, size_t whylen)
{
    struct server sv;
    struct sut_env env = {.body_size = 16384};
    struct sut s = {.model = models_find("epoll"), .env = &env, .addr = "127.0.0.1"};
    start(&sv, fault);
    s.port = sv.port;
    why[0] = '\0';
    int rc = verify_server(&s, WORKLOAD_DOCROOT, "/bench/16k.html", why, whylen);
    stop(&sv);
    return rc;
}

static void a_correct_server_passes(void **state)
{
    char why[512];
    (void)state;
    assert_int_equal(verify(NONE, why, sizeof why), 0);
}

static void each_fault_is_named(void **state)
{
    char why[512];
    (void)state;
    assert_int_equal(verify(CLOSE_AFTER_HEAD, why, sizeof why), -1);
    assert_string_equal(why, "GET /: the server closed the connection before it "
                             "(keep-alive after HEAD)");
    assert_int_equal(verify(SHORT_BODY, why, sizeof why), -1);
    assert_string_equal(why, "GET /bench/16k.html: body of 16383 bytes differs from the "
                             "file's 16384");
    assert_int_equal(verify(NO_404, why, sizeof why), -1);
    assert_string_equal(why, "GET /c10k-lab-no-such-file.html: status 200, expected 404");
}

/* Nothing listening: a clear line, within the timeout. */
static void no_server(void **state)
{
    char why[512];
    (void)state;
    struct server sv;
    start(&sv, NONE);
    int port = sv.port;
    stop(&sv);
    assert_int_equal(verify_answers("127.0.0.1", port, 2000, why, sizeof why), -1);
    assert_non_null(strstr(why, "GET /: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_correct_server_passes),
        cmocka_unit_test(each_fault_is_named),
        cmocka_unit_test(no_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
