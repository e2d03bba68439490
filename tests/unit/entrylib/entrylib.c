/*
 * libentrylib.so — see entrylib.h.  Built with -Bsymbolic-functions, as
 * GLib is: el_use_own's call to el_ref is bound at link time, no PLT.
 */
#include "entrylib.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>

static long refs, unrefs;

/* The counter's add is the first instruction: a RIP-relative operand
 * followed by an immediate, which the trampoline must re-encode. */
__attribute__((noinline)) void *el_ref(void *obj)
{
	__atomic_fetch_add(&refs, 1, __ATOMIC_RELAXED);
	return obj;
}

/* Starts with test + je rel8: a short conditional branch to relocate. */
__attribute__((noinline)) void el_unref(void *obj)
{
	if (!obj)
		return;
	__atomic_fetch_add(&unrefs, 1, __ATOMIC_RELAXED);
}

long el_refs(void) { return __atomic_load_n(&refs, __ATOMIC_RELAXED); }
long el_unrefs(void) { return __atomic_load_n(&unrefs, __ATOMIC_RELAXED); }

void *el_use_own(void *obj)
{
	void *r = el_ref(obj);

	__asm__ volatile("" ::: "memory");  /* keep a call, not a tail jump */
	return r;
}

long el_args8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

double el_vsum(double scale, ...)
{
	va_list ap;
	const long *p;
	long sum = 0;
	double tail;

	va_start(ap, scale);
	while ((p = va_arg(ap, const long *)) != NULL)
		sum += *p;
	tail = va_arg(ap, double);
	va_end(ap);
	return scale * (double)sum + tail;
}

int el_fail(int err)
{
	errno = err;
	return -1;
}
