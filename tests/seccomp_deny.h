/* A seccomp filter that makes one system call fail, for tests of how a
 * model meets a failure it cannot cause by itself (uring_unavailable.c,
 * wait_errors.c). Installed in a child before it execs the model:
 *
 *   if (seccomp_deny(__NR_io_uring_setup, SECCOMP_ANY_ARG, EPERM) < 0)
 *       the test cannot run here (skip);
 *
 * arg1 is the call's second argument to match (epoll_ctl's op), or
 * SECCOMP_ANY_ARG. Returns 0, or -1 with errno (ENOSYS on an architecture
 * this does not know). */
#ifndef SECCOMP_DENY_H
#define SECCOMP_DENY_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define SECCOMP_ANY_ARG -1

#if defined(__x86_64__)
#define SECCOMP_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH_HERE AUDIT_ARCH_AARCH64
#endif

static inline int seccomp_deny(int nr, int arg1, int err)
{
#ifdef SECCOMP_ARCH_HERE
    unsigned deny = SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA);
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH_HERE, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)arg1, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, arg1 == SECCOMP_ANY_ARG ? deny : SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, deny),
    };
    struct sock_fprog prog = {sizeof code / sizeof code[0], code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
    (void)nr, (void)arg1, (void)err;
    errno = ENOSYS;
    return -1;
#endif
}

#endif
