/*
 * Hand-written prologues for test_entryhook (see entrylib.h): each one is
 * a case the relocation must get right, or must refuse.
 */
	.text

/* lea data(%rip) is the first instruction: its displacement is re-encoded. */
	.globl	el_asm_riprel
	.type	el_asm_riprel, @function
	.p2align 4
el_asm_riprel:
	leaq	.Lseed(%rip), %rax
	movq	(%rax), %rax
	ret
	.size	el_asm_riprel, .-el_asm_riprel

/* call rel32 first: the callee returns into the trampoline. */
	.globl	el_asm_call
	.type	el_asm_call, @function
	.p2align 4
el_asm_call:
	call	.Ldouble
	incq	%rax
	ret
	.size	el_asm_call, .-el_asm_call
.Ldouble:
	leaq	(%rdi,%rdi), %rax
	ret

/* endbr64 first (as -fcf-protection compiles): relocated with the rest. */
	.globl	el_asm_endbr
	.type	el_asm_endbr, @function
	.p2align 4
el_asm_endbr:
	endbr64
	leaq	7(%rdi), %rax
	ret
	.size	el_asm_endbr, .-el_asm_endbr

/* A 2-byte jmp, then padding that the symbol's size covers. */
	.globl	el_asm_tiny
	.type	el_asm_tiny, @function
	.p2align 4
el_asm_tiny:
	jmp	.Ltiny_body
	int3
	int3
	int3
	.size	el_asm_tiny, .-el_asm_tiny
.Ltiny_body:
	leaq	-1(%rdi), %rax
	ret

/* An entry at 5 mod 8: the jmp's 5 bytes straddle an 8-byte word. */
	.p2align 4
	.byte	0xcc, 0xcc, 0xcc, 0xcc, 0xcc
	.globl	el_asm_odd
	.type	el_asm_odd, @function
el_asm_odd:
	movq	%rdi, %rax
	xorq	$0x55, %rax
	ret
	.size	el_asm_odd, .-el_asm_odd

/* One 7-byte instruction covers the jmp: no thread can be between two
 * patched instructions, so hooking it while another thread calls it in a
 * loop must never go wrong. */
	.globl	el_asm_busy
	.type	el_asm_busy, @function
	.p2align 4
el_asm_busy:
	leaq	0x12345(%rdi), %rax
	ret
	.size	el_asm_busy, .-el_asm_busy

/* al + r10 + r11: registers no C argument uses, which the stub and the
 * trampoline must pass through as the caller set them. */
	.globl	el_asm_regs
	.type	el_asm_regs, @function
	.p2align 4
el_asm_regs:
	movzbl	%al, %eax
	addq	%r10, %rax
	addq	%r11, %rax
	ret
	.size	el_asm_regs, .-el_asm_regs

/* Refused: the loop jumps back to +2, into the bytes the jmp would cover. */
	.globl	el_asm_loop
	.type	el_asm_loop, @function
	.p2align 4
el_asm_loop:
	xorl	%eax, %eax
1:	addq	%rdi, %rax
	decq	%rdi
	jnz	1b
	ret
	.size	el_asm_loop, .-el_asm_loop

/* Refused: the loop's head is the entry itself. */
	.globl	el_asm_spin
	.type	el_asm_spin, @function
	.p2align 4
el_asm_spin:
.Lspin:
	decq	%rdi
	jnz	.Lspin
	movq	%rdi, %rax
	ret
	.size	el_asm_spin, .-el_asm_spin

/* Refused: jrcxz has only a rel8 form. */
	.globl	el_asm_jrcxz
	.type	el_asm_jrcxz, @function
	.p2align 4
el_asm_jrcxz:
	movq	%rdi, %rcx
	jrcxz	1f
	movq	%rdi, %rax
	ret
1:	movq	$-1, %rax
	ret
	.size	el_asm_jrcxz, .-el_asm_jrcxz

/* Refused: shorter than the jmp. */
	.globl	el_asm_ret1
	.type	el_asm_ret1, @function
	.p2align 4
el_asm_ret1:
	ret
	.size	el_asm_ret1, .-el_asm_ret1

	.section .rodata
	.p2align 3
.Lseed:
	.quad	0x5eed

	.section .note.GNU-stack, "", @progbits
