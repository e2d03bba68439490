/*
 * Fixture library for test_symbolize, built twice: with -g, and stripped
 * down to .dynsym.  Keep the two calls on the lines symfix.h names.
 */
#include "symfix.h"

#if defined(__GNUC__) && !defined(__clang__)
#define SYMFIX_NOINLINE __attribute__((noinline, noclone))
#else
#define SYMFIX_NOINLINE __attribute__((noinline))
#endif

/* Static, so the stripped library has no symbol for it. */
static SYMFIX_NOINLINE int symfix_hidden(symfix_cb cb)
{
	volatile int r = 2;
	cb(); _Static_assert(__LINE__ == SYMFIX_HIDDEN_CALL_LINE, "update symfix.h");
	return r;  /* not a tail call: the return address stays in here */
}

int symfix_exported(symfix_cb cb)
{
	volatile int r = 1;
	cb(); _Static_assert(__LINE__ == SYMFIX_EXPORTED_CALL_LINE, "update symfix.h");
	r += symfix_hidden(cb);
	return r;
}

/* An alias, as glibc has __socket for socket: frames show the public name. */
int __symfix_exported(symfix_cb cb) __attribute__((alias("symfix_exported")));

symfix_fn symfix_hidden_address(void)
{
	return symfix_hidden;
}
