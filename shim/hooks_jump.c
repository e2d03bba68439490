/*
 * hooks_jump — longjmp and its aliases: a jump out of a hooked reference
 * call abandons it (its ref_hook_post never runs), and the per-thread
 * stack of calls under way (hooks_ref.c) must forget it at once.  Left
 * there, it would make later calls for the same object from deeper frames
 * look nested in it, and go unbooked.
 *
 * Each wrapper reads where the jump lands (the stack pointer saved in the
 * jmp_buf) and calls the real function: nothing else changes.
 */
#include "hooks.h"
#include "refhooks.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

/* The stack pointer a jmp_buf returns to.  glibc on x86-64 keeps it at
 * __jmpbuf[6] (JB_RSP), mangled with the thread's pointer guard
 * (%fs:0x30): rotated left by 17 after an xor.  0 elsewhere: nothing is
 * then forgotten, as before. */
static uintptr_t jmpbuf_sp(const struct __jmp_buf_tag *env)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	uintptr_t v = (uintptr_t)env->__jmpbuf[6], guard;
	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	v = (v >> 17) | (v << 47);
	return v ^ guard;
#else
	(void)env;
	return 0;
#endif
}

/* glibc defines all four as one function; any of them will do. */
static __attribute__((noreturn)) void jump(void (*fn)(struct __jmp_buf_tag *, int),
					   struct __jmp_buf_tag *env, int val)
{
	ref_calls_longjmp(jmpbuf_sp(env));
	if (!fn)
		fn = real.siglongjmp ? real.siglongjmp : real.longjmp;
	if (!fn)
		abort();   /* a libc without longjmp: cannot happen with glibc */
	fn(env, val);
	__builtin_unreachable();
}

EXPORT void longjmp(struct __jmp_buf_tag env[1], int val)
{
	jump(REAL(longjmp), env, val);
}

EXPORT void _longjmp(struct __jmp_buf_tag env[1], int val)
{
	jump(REAL(_longjmp), env, val);
}

EXPORT void siglongjmp(struct __jmp_buf_tag env[1], int val)
{
	jump(REAL(siglongjmp), env, val);
}

/* What longjmp and siglongjmp become with _FORTIFY_SOURCE (Debian builds
 * with it): not declared by setjmp.h. */
EXPORT __attribute__((noreturn)) void __longjmp_chk(struct __jmp_buf_tag env[1], int val);
EXPORT void __longjmp_chk(struct __jmp_buf_tag env[1], int val)
{
	jump(REAL(__longjmp_chk), env, val);
}
