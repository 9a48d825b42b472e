/* A user-space context switch for coroutines, without a system call.
 *
 *   struct coro_ctx main_ctx, co_ctx;
 *   coro_ctx_init(&co_ctx, stack_top, fn, arg);  // fn(arg) must never return
 *   coro_switch(&main_ctx, &co_ctx);             // runs fn until it switches
 *                                                // back to &main_ctx
 *
 * glibc's swapcontext() also saves and restores the signal mask, which is a
 * rt_sigprocmask system call on every switch. A coroutine switch only needs
 * what the ABI says a called function preserves: the callee-saved registers,
 * the stack pointer and the floating-point control state. coro_switch pushes
 * them on the current stack, stores the stack pointer in *from, loads
 * to->sp and pops the same frame from there. The definition is top-level
 * assembly, so include this header in one file per program.
 *
 * x86-64 (System V) is what runs and is measured here. The aarch64 (AAPCS64)
 * version follows the same frame layout but has never run: no machine to
 * test it on. */
#ifndef CORO_SWITCH_H
#define CORO_SWITCH_H

#include <stdint.h>
#include <string.h>

struct coro_ctx {
    void *sp; /* the saved frame, at the top of the suspended stack */
};

void coro_switch(struct coro_ctx *from, struct coro_ctx *to)
    __attribute__((visibility("hidden")));
void coro_trampoline(void) __attribute__((visibility("hidden")));

#if defined(__x86_64__)
/* Frame, from the saved sp up: mxcsr (4 bytes), x87 control word (2), pad
 * (2), r15, r14, r13, r12, rbx, rbp, return address. */
__asm__(".pushsection .text\n"
        ".globl coro_switch\n.hidden coro_switch\n.type coro_switch,@function\n"
        "coro_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n"
        "  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  subq $8, %rsp\n  stmxcsr (%rsp)\n  fnstcw 4(%rsp)\n"
        "  movq %rsp, (%rdi)\n"
        "  movq (%rsi), %rsp\n"
        "  ldmxcsr (%rsp)\n  fldcw 4(%rsp)\n  addq $8, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n"
        "  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size coro_switch, .-coro_switch\n"
        /* First entry: fn in r12, arg in r13; the stack is 16-byte aligned
         * here, so the call leaves it as a function expects. */
        ".globl coro_trampoline\n.hidden coro_trampoline\n"
        ".type coro_trampoline,@function\n"
        "coro_trampoline:\n"
        "  movq %r13, %rdi\n  callq *%r12\n  ud2\n"
        ".size coro_trampoline, .-coro_trampoline\n"
        ".popsection\n");

#define CORO_FRAME_WORDS 8

static inline void coro_ctx_init(struct coro_ctx *ctx, void *top,
                                 void (*fn)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)((uintptr_t)top & ~(uintptr_t)15) - CORO_FRAME_WORDS;
    uint32_t mxcsr = 0x1F80;  /* the defaults: all exceptions masked, */
    uint16_t fpucw = 0x037F;  /* round to nearest, x87 extended precision */
    memset(sp, 0, CORO_FRAME_WORDS * sizeof *sp);
    memcpy(sp, &mxcsr, sizeof mxcsr);
    memcpy((char *)sp + 4, &fpucw, sizeof fpucw);
    sp[4] = (uint64_t)(uintptr_t)fn;  /* r12 */
    sp[3] = (uint64_t)(uintptr_t)arg; /* r13 */
    sp[7] = (uint64_t)(uintptr_t)coro_trampoline; /* rbp (sp[6]) stays 0 */
    ctx->sp = sp;
}

#elif defined(__aarch64__)
/* Untested (see above). Frame, from the saved sp up: x19..x28, x29, x30,
 * d8..d15, fpcr, pad: 22 words. */
__asm__(".pushsection .text\n"
        ".globl coro_switch\n.hidden coro_switch\n.type coro_switch,%function\n"
        "coro_switch:\n"
        "  sub sp, sp, #176\n"
        "  stp x19, x20, [sp, #0]\n  stp x21, x22, [sp, #16]\n"
        "  stp x23, x24, [sp, #32]\n  stp x25, x26, [sp, #48]\n"
        "  stp x27, x28, [sp, #64]\n  stp x29, x30, [sp, #80]\n"
        "  stp d8, d9, [sp, #96]\n  stp d10, d11, [sp, #112]\n"
        "  stp d12, d13, [sp, #128]\n  stp d14, d15, [sp, #144]\n"
        "  mrs x9, fpcr\n  str x9, [sp, #160]\n"
        "  mov x9, sp\n  str x9, [x0]\n"
        "  ldr x9, [x1]\n  mov sp, x9\n"
        "  ldp x19, x20, [sp, #0]\n  ldp x21, x22, [sp, #16]\n"
        "  ldp x23, x24, [sp, #32]\n  ldp x25, x26, [sp, #48]\n"
        "  ldp x27, x28, [sp, #64]\n  ldp x29, x30, [sp, #80]\n"
        "  ldp d8, d9, [sp, #96]\n  ldp d10, d11, [sp, #112]\n"
        "  ldp d12, d13, [sp, #128]\n  ldp d14, d15, [sp, #144]\n"
        "  ldr x9, [sp, #160]\n  msr fpcr, x9\n"
        "  add sp, sp, #176\n"
        "  ret\n"
        ".size coro_switch, .-coro_switch\n"
        /* First entry: fn in x19, arg in x20. */
        ".globl coro_trampoline\n.hidden coro_trampoline\n"
        ".type coro_trampoline,%function\n"
        "coro_trampoline:\n"
        "  mov x0, x20\n  blr x19\n  brk #0\n"
        ".size coro_trampoline, .-coro_trampoline\n"
        ".popsection\n");

#define CORO_FRAME_WORDS 22

static inline void coro_ctx_init(struct coro_ctx *ctx, void *top,
                                 void (*fn)(void *), void *arg)
{
    uint64_t *sp = (uint64_t *)((uintptr_t)top & ~(uintptr_t)15) - CORO_FRAME_WORDS;
    memset(sp, 0, CORO_FRAME_WORDS * sizeof *sp); /* fpcr 0: the default */
    sp[0] = (uint64_t)(uintptr_t)fn;              /* x19 */
    sp[1] = (uint64_t)(uintptr_t)arg;             /* x20 */
    sp[11] = (uint64_t)(uintptr_t)coro_trampoline; /* x30; x29 stays 0 */
    ctx->sp = sp;
}

#else
#error "coro_switch.h: no context switch for this architecture (x86-64, aarch64)"
#endif

#endif
