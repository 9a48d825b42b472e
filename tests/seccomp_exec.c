/* Runs a program with some system calls made to fail, for tests (in any
 * language) of how a model meets a refusal it cannot cause by itself, such
 * as a kernel that does not know an io_uring registration:
 *
 *   seccomp_exec NR:ARG:ERRNO [NR:ARG:ERRNO...] -- program [args...]
 *
 * NR is the system call's number, ARG the value its second argument must
 * have to fail (io_uring_register's opcode, epoll_ctl's op) or "any", ERRNO
 * the error's number. Exits 77 (a test's skip) with a line on stderr when
 * seccomp filters are not available here, 2 on a bad command line, 126 when
 * the program cannot be run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_deny.h"

#define EXIT_SKIP 77

static int parse_rule(const char *s, int *nr, int *arg, int *err)
{
    char a[32];
    if (sscanf(s, "%d:%31[^:]:%d", nr, a, err) != 3 || *nr < 0 || *err <= 0)
        return -1;
    if (strcmp(a, "any") == 0) {
        *arg = SECCOMP_ANY_ARG;
        return 0;
    }
    char *end;
    long v = strtol(a, &end, 10);
    if (*end || v < 0)
        return -1;
    *arg = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        int nr, arg, err;
        if (parse_rule(argv[i], &nr, &arg, &err) < 0) {
            fprintf(stderr, "seccomp_exec: bad rule '%s' (want NR:ARG:ERRNO)\n", argv[i]);
            return 2;
        }
        if (seccomp_deny(nr, arg, err) < 0) {
            fprintf(stderr, "seccomp_exec: seccomp filters unavailable: %s\n", strerror(errno));
            return EXIT_SKIP;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: seccomp_exec NR:ARG:ERRNO... -- program [args...]\n");
        return 2;
    }
    execv(argv[i + 1], argv + i + 1);
    fprintf(stderr, "seccomp_exec: %s: %s\n", argv[i + 1], strerror(errno));
    return 126;
}
