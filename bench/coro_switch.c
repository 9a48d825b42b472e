/* The cost of one coroutine switch: coro_switch (servers/coro_switch.h)
 * against glibc's swapcontext, which also saves and restores the signal
 * mask with a system call each time. A coroutine and main bounce control
 * back and forth; the time per one-way switch is printed.
 *
 *   build/tests/coro_switch_bench [round trips, default 2000000]
 *
 * Run once by hand to support the numbers quoted in servers/coro.c; not a
 * test. Pin it (taskset -c 1) for steadier numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include "coro_switch.h"

#define STACK_SIZE (64 * 1024)

static struct coro_ctx main_ctx, co_ctx;
static ucontext_t main_uc, co_uc;
static long rounds;

static void bounce(void *arg)
{
    (void)arg;
    for (;;)
        coro_switch(&co_ctx, &main_ctx);
}

static void bounce_uc(void)
{
    for (;;)
        swapcontext(&co_uc, &main_uc);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 2000000;
    if (rounds <= 0) {
        fprintf(stderr, "usage: %s [round trips > 0]\n", argv[0]);
        return 2;
    }
    static char stack[STACK_SIZE] __attribute__((aligned(16)));
    static char stack_uc[STACK_SIZE] __attribute__((aligned(16)));

    coro_ctx_init(&co_ctx, stack + sizeof stack, bounce, NULL);
    double t = now_ns();
    for (long i = 0; i < rounds; i++)
        coro_switch(&main_ctx, &co_ctx);
    double ours = (now_ns() - t) / (2.0 * rounds);

    if (getcontext(&co_uc) < 0) {
        perror("getcontext");
        return 1;
    }
    co_uc.uc_stack.ss_sp = stack_uc;
    co_uc.uc_stack.ss_size = sizeof stack_uc;
    co_uc.uc_link = NULL;
    makecontext(&co_uc, bounce_uc, 0);
    t = now_ns();
    for (long i = 0; i < rounds; i++)
        swapcontext(&main_uc, &co_uc);
    double theirs = (now_ns() - t) / (2.0 * rounds);

    printf("coro_switch  %6.1f ns per switch\n", ours);
    printf("swapcontext  %6.1f ns per switch (%.0fx)\n", theirs, theirs / ours);
    return 0;
}
