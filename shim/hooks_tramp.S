/*
 * tramp.S — the one trampoline every hooked reference function goes
 * through (x86-64 System V).
 *
 * A per-hook stub loads the address of its struct ref_hook into r11 (free
 * at a call boundary: not an argument register) and jumps here.  This
 * code then
 *   1. saves the argument registers (rdi..r9, rax = the vector count of a
 *      varargs call, xmm0-7) and calls ref_hook_pre(hook, regs, stack args);
 *   2. copies TRAMP_STACK_ARGS words of the caller's stack arguments and
 *      calls the real function (hook->target) with every register as the
 *      caller set it: arguments in registers and on the stack, al, and the
 *      stack alignment are what the function would have seen;
 *   3. saves rax/rdx/xmm0/xmm1 (the return value), calls
 *      ref_hook_post(hook, rax, stack args), restores them and returns to the caller.
 * The CFI below lets libunwind and C++ exceptions walk through this frame,
 * so stacks captured inside the real function go on to its caller.
 *
 * A function with more than TRAMP_STACK_ARGS words of stack arguments is
 * not supported (README, "Limits"): it would see garbage beyond them.
 */
#if defined(__x86_64__)

#define TRAMP_STACK_ARGS 32          /* 256 bytes of stack arguments */

/* Frame below rbp (all offsets from rsp after the sub):
 *   0   .. 256   copied stack arguments (the callee's [rsp+8..])
 *   256 .. 304   rdi rsi rdx rcx r8 r9
 *   304          rax
 *   312 .. 440   xmm0-7
 *   448 .. 464   unused (keeps rsp 16-aligned)
 *   return rax, rdx, xmm0 (16), xmm1 (16) reuse the register areas
 * rbx, r12 are pushed above: 16 bytes; total frame keeps rsp 16-aligned. */
#define OFF_REGS 256
#define OFF_RAX 304
#define OFF_XMM 320
#define FRAME 464

	/* With the C code of a booked call (SHIM_HOT, logfile.h). */
	.section .text.hot,"ax",@progbits
	.globl tally_ref_trampoline
	.hidden tally_ref_trampoline
	.type tally_ref_trampoline, @function
	.p2align 4
tally_ref_trampoline:
	.cfi_startproc
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq %rbx
	.cfi_offset %rbx, -24
	pushq %r12
	.cfi_offset %r12, -32
	subq $FRAME, %rsp
	movq %r11, %rbx                  /* the hook, kept across calls */

	movq %rdi, OFF_REGS+0(%rsp)
	movq %rsi, OFF_REGS+8(%rsp)
	movq %rdx, OFF_REGS+16(%rsp)
	movq %rcx, OFF_REGS+24(%rsp)
	movq %r8, OFF_REGS+32(%rsp)
	movq %r9, OFF_REGS+40(%rsp)
	movq %rax, OFF_RAX(%rsp)
	movdqu %xmm0, OFF_XMM+0(%rsp)
	movdqu %xmm1, OFF_XMM+16(%rsp)
	movdqu %xmm2, OFF_XMM+32(%rsp)
	movdqu %xmm3, OFF_XMM+48(%rsp)
	movdqu %xmm4, OFF_XMM+64(%rsp)
	movdqu %xmm5, OFF_XMM+80(%rsp)
	movdqu %xmm6, OFF_XMM+96(%rsp)
	movdqu %xmm7, OFF_XMM+112(%rsp)

	movq %rbx, %rdi
	leaq OFF_REGS(%rsp), %rsi
	leaq 16(%rbp), %rdx              /* the caller's stack arguments */
	call ref_hook_pre
	movl %eax, %r12d                 /* stack words that can be read */

	/* Copy the stack arguments to where the callee expects them: not past
	 * the top of the caller's stack (a coroutine's, a thread's own).  The
	 * usual case, all of them, 64 bytes at a time: a word at a time cost
	 * a relay's receive thread some 6 ns more per booked call (BENCH.md,
	 * section 7).  xmm8-11 are free: no argument lives there, and the
	 * callee may clobber them. */
	xorl %ecx, %ecx
	cmpl $TRAMP_STACK_ARGS, %r12d
	jne 1f
3:	movdqu 16(%rbp,%rcx,8), %xmm8
	movdqu 32(%rbp,%rcx,8), %xmm9
	movdqu 48(%rbp,%rcx,8), %xmm10
	movdqu 64(%rbp,%rcx,8), %xmm11
	movdqu %xmm8, (%rsp,%rcx,8)
	movdqu %xmm9, 16(%rsp,%rcx,8)
	movdqu %xmm10, 32(%rsp,%rcx,8)
	movdqu %xmm11, 48(%rsp,%rcx,8)
	addl $8, %ecx
	cmpl $TRAMP_STACK_ARGS, %ecx
	jb 3b
	jmp 2f
1:	testl %r12d, %r12d
	jz 2f
4:	movq 16(%rbp,%rcx,8), %rax
	movq %rax, (%rsp,%rcx,8)
	incl %ecx
	cmpl %r12d, %ecx
	jb 4b
2:

	movq OFF_REGS+0(%rsp), %rdi
	movq OFF_REGS+8(%rsp), %rsi
	movq OFF_REGS+16(%rsp), %rdx
	movq OFF_REGS+24(%rsp), %rcx
	movq OFF_REGS+32(%rsp), %r8
	movq OFF_REGS+40(%rsp), %r9
	movdqu OFF_XMM+0(%rsp), %xmm0
	movdqu OFF_XMM+16(%rsp), %xmm1
	movdqu OFF_XMM+32(%rsp), %xmm2
	movdqu OFF_XMM+48(%rsp), %xmm3
	movdqu OFF_XMM+64(%rsp), %xmm4
	movdqu OFF_XMM+80(%rsp), %xmm5
	movdqu OFF_XMM+96(%rsp), %xmm6
	movdqu OFF_XMM+112(%rsp), %xmm7
	movq OFF_RAX(%rsp), %rax
	call *(%rbx)                     /* hook->target */

	movq %rax, OFF_REGS+0(%rsp)
	movq %rdx, OFF_REGS+8(%rsp)
	movdqu %xmm0, OFF_XMM+0(%rsp)
	movdqu %xmm1, OFF_XMM+16(%rsp)
	movq %rbx, %rdi
	movq %rax, %rsi
	leaq 16(%rbp), %rdx
	call ref_hook_post
	movq OFF_REGS+0(%rsp), %rax
	movq OFF_REGS+8(%rsp), %rdx
	movdqu OFF_XMM+0(%rsp), %xmm0
	movdqu OFF_XMM+16(%rsp), %xmm1

	leaq -16(%rbp), %rsp
	popq %r12
	popq %rbx
	popq %rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size tally_ref_trampoline, .-tally_ref_trampoline

#endif
	.section .note.GNU-stack,"",@progbits
