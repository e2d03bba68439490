/*
 * tramp.S — the one trampoline every hooked reference function goes
 * through (x86-64 System V).
 *
 * A per-hook stub pushes r11, loads the address of its struct ref_hook into
 * r11 and jumps here.  This code then
 *   1. saves every register a call may change (rdi..r9, rax = the vector
 *      count of a varargs call, r10, xmm0-15; the caller's r11 is on the
 *      stack) and calls ref_hook_pre(hook, regs, stack args);
 *   2. copies TRAMP_STACK_ARGS words of the caller's stack arguments, puts
 *      every register back and calls the real function (hook->target):
 *      arguments in registers and on the stack, al, and the stack alignment
 *      are what the function would have seen;
 *   3. saves every register again as the function left them, calls
 *      ref_hook_post(hook, rax, stack args), puts them back, pops the
 *      caller's r11 and returns to the caller.
 * So the caller finds every register as the real function alone would have
 * left it, not merely the ones the ABI says a call keeps: a compiler that
 * knows the callee (same file, no interposition: GCC's -fipa-ra) may keep a
 * value in rcx or xmm8 across a call to a function that does not touch
 * them, and a hook that changed them broke that caller (test_ref_full_counts
 * "late": libreflib calling its own rl_ref from a destructor).
 * The CFI below lets libunwind and C++ exceptions walk through this frame,
 * so stacks captured inside the real function go on to its caller.
 *
 * A function with more than TRAMP_STACK_ARGS words of stack arguments is
 * not supported (README, "Limits"): it would see garbage beyond them.
 */
#if defined(__x86_64__)

#define TRAMP_STACK_ARGS 32          /* 256 bytes of stack arguments */

/* Above rbp: the caller's stack arguments at 24, the return address at 16,
 * the caller's r11 (pushed by the stub) at 8, the saved rbp at 0; rbx and
 * r12 below it.  Below them (offsets from rsp after the sub):
 *   0   .. 256   copied stack arguments (the callee's [rsp+8..])
 *   256 .. 304   rdi rsi rdx rcx r8 r9
 *   304          rax
 *   312          r10
 *   320 .. 336   unused (keeps the xmm area 16-aligned)
 *   336 .. 592   xmm0-15
 *   592 .. 600   unused (keeps rsp 16-aligned at the calls) */
#define OFF_REGS 256
#define OFF_RAX 304
#define OFF_R10 312
#define OFF_XMM 336
#define FRAME 600
#define STACK_ARGS 24                /* from rbp */
#define FROM_RBP (-16-FRAME)         /* the frame's bottom (rsp after the sub), from rbp */

/* From C, checked there (hooks_ref.c): offsetof(struct ref_hook, role),
 * TALLY_ROLE_NEW, log2(sizeof(struct active_call)) and where in it the
 * flag that its booking released the object lies. */
#define TRAMP_HOOK_ROLE 26
#define TRAMP_ROLE_NEW 1
#define TRAMP_ACTIVE_SHIFT 5
#define TRAMP_ACTIVE_RELEASED 26     /* offsetof(struct active_call, released) */

/* Every register a call may change but r11, to and from the frame. */
.macro SAVE_REGS
	movq %rdi, OFF_REGS+0(%rsp)
	movq %rsi, OFF_REGS+8(%rsp)
	movq %rdx, OFF_REGS+16(%rsp)
	movq %rcx, OFF_REGS+24(%rsp)
	movq %r8, OFF_REGS+32(%rsp)
	movq %r9, OFF_REGS+40(%rsp)
	movq %rax, OFF_RAX(%rsp)
	movq %r10, OFF_R10(%rsp)
	movdqu %xmm0, OFF_XMM+0(%rsp)
	movdqu %xmm1, OFF_XMM+16(%rsp)
	movdqu %xmm2, OFF_XMM+32(%rsp)
	movdqu %xmm3, OFF_XMM+48(%rsp)
	movdqu %xmm4, OFF_XMM+64(%rsp)
	movdqu %xmm5, OFF_XMM+80(%rsp)
	movdqu %xmm6, OFF_XMM+96(%rsp)
	movdqu %xmm7, OFF_XMM+112(%rsp)
	movdqu %xmm8, OFF_XMM+128(%rsp)
	movdqu %xmm9, OFF_XMM+144(%rsp)
	movdqu %xmm10, OFF_XMM+160(%rsp)
	movdqu %xmm11, OFF_XMM+176(%rsp)
	movdqu %xmm12, OFF_XMM+192(%rsp)
	movdqu %xmm13, OFF_XMM+208(%rsp)
	movdqu %xmm14, OFF_XMM+224(%rsp)
	movdqu %xmm15, OFF_XMM+240(%rsp)
.endm

/* From the frame at `base`: %rsp, or %rbp with base offset FROM_RBP when
 * the stack arguments of a varargs rule extend the frame below. */
.macro RESTORE_REGS at=0, base=%rsp
	movq \at+OFF_REGS+0(\base), %rdi
	movq \at+OFF_REGS+8(\base), %rsi
	movq \at+OFF_REGS+16(\base), %rdx
	movq \at+OFF_REGS+24(\base), %rcx
	movq \at+OFF_REGS+32(\base), %r8
	movq \at+OFF_REGS+40(\base), %r9
	movq \at+OFF_RAX(\base), %rax
	movq \at+OFF_R10(\base), %r10
	movdqu \at+OFF_XMM+0(\base), %xmm0
	movdqu \at+OFF_XMM+16(\base), %xmm1
	movdqu \at+OFF_XMM+32(\base), %xmm2
	movdqu \at+OFF_XMM+48(\base), %xmm3
	movdqu \at+OFF_XMM+64(\base), %xmm4
	movdqu \at+OFF_XMM+80(\base), %xmm5
	movdqu \at+OFF_XMM+96(\base), %xmm6
	movdqu \at+OFF_XMM+112(\base), %xmm7
	movdqu \at+OFF_XMM+128(\base), %xmm8
	movdqu \at+OFF_XMM+144(\base), %xmm9
	movdqu \at+OFF_XMM+160(\base), %xmm10
	movdqu \at+OFF_XMM+176(\base), %xmm11
	movdqu \at+OFF_XMM+192(\base), %xmm12
	movdqu \at+OFF_XMM+208(\base), %xmm13
	movdqu \at+OFF_XMM+224(\base), %xmm14
	movdqu \at+OFF_XMM+240(\base), %xmm15
.endm

/* 64 bytes of stack arguments at `at`, from the caller's to the callee's. */
.macro COPY_64 at
	movdqu STACK_ARGS+\at(%rbp), %xmm8
	movdqu STACK_ARGS+\at+16(%rbp), %xmm9
	movdqu STACK_ARGS+\at+32(%rbp), %xmm10
	movdqu STACK_ARGS+\at+48(%rbp), %xmm11
	movdqu %xmm8, \at(%rsp)
	movdqu %xmm9, \at+16(%rsp)
	movdqu %xmm10, \at+32(%rsp)
	movdqu %xmm11, \at+48(%rsp)
.endm

	/* With the C code of a booked call (SHIM_HOT, logfile.h). */
	.section .text.hot,"ax",@progbits
	.globl tally_ref_trampoline
	.hidden tally_ref_trampoline
	.type tally_ref_trampoline, @function
	.p2align 4
tally_ref_trampoline:
	.cfi_startproc
	/* Entered from the stub: the caller's r11 lies above the return address. */
	.cfi_def_cfa_offset 16
	.cfi_offset %r11, -16
	pushq %rbp
	.cfi_def_cfa_offset 24
	.cfi_offset %rbp, -24
	movq %rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq %rbx
	.cfi_offset %rbx, -32
	pushq %r12
	.cfi_offset %r12, -40
	subq $FRAME, %rsp
	movq %r11, %rbx                  /* the hook, kept across calls */
	SAVE_REGS

	movq %rbx, %rdi
	leaq OFF_REGS(%rsp), %rsi
	leaq STACK_ARGS(%rbp), %rdx      /* the caller's stack arguments */
	call ref_hook_pre
	movl %eax, %r12d                 /* stack words that can be read */

	/* Copy the stack arguments to where the callee expects them: not past
	 * the top of the caller's stack (a coroutine's, a thread's own).  The
	 * usual case, all of them, 64 bytes at a time, unrolled: a word at a
	 * time cost a relay's receive thread some 6 ns more per booked call
	 * (BENCH.md, section 7).  xmm8-11 are put back below. */
	xorl %ecx, %ecx
	cmpl $TRAMP_STACK_ARGS, %r12d
	ja 7f                            /* a varargs rule's: below */
	jne 1f
	COPY_64 0
	COPY_64 64
	COPY_64 128
	COPY_64 192
	jmp 2f
1:	testl %r12d, %r12d
	jz 2f
4:	movq STACK_ARGS(%rbp,%rcx,8), %rax
	movq %rax, (%rsp,%rcx,8)
	incl %ecx
	cmpl %r12d, %ecx
	jb 4b
2:
	RESTORE_REGS
	movq 8(%rbp), %r11               /* the caller's */
	call *(%rbx)                     /* hook->target */
3:

	/* The fast post: a call that creates nothing and released nothing
	 * only has its entry in the calls under way to pop (ref_hook_post
	 * does the same when it is the innermost one).  Done here with r11,
	 * rbx and r12 alone, which the epilogue restores: no registers to
	 * save, no C call (about 6 ns per booked call in a relay's receive
	 * thread, BENCH.md section 7). */
	cmpb $TRAMP_ROLE_NEW, TRAMP_HOOK_ROLE(%rbx)
	je 5f
	movq ref_nactive@gottpoff(%rip), %r11
	movslq %fs:(%r11), %r12
	testq %r12, %r12
	jz 5f
	decq %r12
	shlq $TRAMP_ACTIVE_SHIFT, %r12
	addq ref_active@gottpoff(%rip), %r12      /* &active[nactive - 1].sp */
	leaq STACK_ARGS(%rbp), %r11               /* rbx stays the hook: 5f needs it */
	cmpq %r11, %fs:(%r12)
	jne 5f
	cmpb $0, %fs:TRAMP_ACTIVE_RELEASED(%r12)   /* the books want to know */
	jne 5f
	movq ref_nactive@gottpoff(%rip), %r11
	decl %fs:(%r11)
	jmp 6f

5:	SAVE_REGS
	movq %rbx, %rdi
	movq %rax, %rsi
	leaq STACK_ARGS(%rbp), %rdx
	call ref_hook_post
	RESTORE_REGS

	.cfi_remember_state              /* for the varargs path after ret */
6:	leaq -16(%rbp), %rsp
	popq %r12
	popq %rbx
	popq %rbp
	.cfi_def_cfa %rsp, 16
	/* The caller's r11: what the function left there unless it changed
	 * it, and a function that changes r11 leaves nothing in it. */
	popq %r11
	.cfi_def_cfa_offset 8
	ret

	/* More than TRAMP_STACK_ARGS words (a varargs rule: g_object_new with
	 * many properties): the frame grows below by the words beyond them,
	 * rounded to 16 bytes (rsp stays aligned at the call), they are
	 * copied a word at a time, and the registers are put back from the
	 * frame found from rbp.  After the call rsp is the frame's again. */
	.cfi_restore_state
7:	movl %r12d, %eax
	subl $TRAMP_STACK_ARGS, %eax
	shll $3, %eax
	addl $15, %eax
	andl $-16, %eax
	subq %rax, %rsp
	leaq STACK_ARGS(%rbp), %rsi      /* rsi, rdi, rcx: put back below */
	movq %rsp, %rdi
	movl %r12d, %ecx
	cld
	rep movsq
	RESTORE_REGS FROM_RBP, %rbp
	movq 8(%rbp), %r11               /* the caller's */
	call *(%rbx)                     /* hook->target */
	leaq FROM_RBP(%rbp), %rsp
	jmp 3b
	.cfi_endproc
	.size tally_ref_trampoline, .-tally_ref_trampoline

#endif
	.section .note.GNU-stack,"",@progbits
