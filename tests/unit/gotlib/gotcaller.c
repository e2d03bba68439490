/*
 * gotcaller — the program side of tests/unit/test_gotpatch.c: a module of
 * its own (the test program is the shim's own code there, which a scan
 * skips), linked against libgotlib.so with a RELRO GOT bound at load, whose
 * calls of the gotlib functions go through its PLT slots (JUMP_SLOT) and
 * whose gl_ref pointer is read from its GOT (GLOB_DAT).
 */
#include "gotlib.h"

void *gc_new(void)
{
	void *o = gl_new();
	__asm__ volatile("" ::: "memory");   /* calls, not tail jumps */
	return o;
}

void *gc_ref(void *o)
{
	void *r = gl_ref(o);
	__asm__ volatile("" ::: "memory");
	return r;
}

void gc_unref(void *o)
{
	gl_unref(o);
	__asm__ volatile("" ::: "memory");
}

/* gl_ref as this module sees it: read from its GOT. */
void *(*gc_ref_pointer(void))(void *)
{
	void *(*volatile fp)(void *) = gl_ref;
	return fp;
}

/* gl_unref's address from the GOT (GLOB_DAT): the stub once hooked. */
void (*gc_unref_pointer(void))(void *)
{
	void (*volatile fp)(void *) = gl_unref;
	return fp;
}
