/*
 * reflib — see reflib.h.  Built as a shared object so that the program's
 * calls go through the PLT (TALLY_HOOK=got sees them) and the functions
 * have entries to patch (TALLY_HOOK=entry).
 */
#include "reflib.h"

#include <stdio.h>
#include <stdlib.h>

struct rl_obj {
	int refs;
	int value;
};

__attribute__((noinline)) struct rl_obj *rl_new(int value)
{
	struct rl_obj *o = malloc(sizeof(*o));
	if (!o)
		abort();
	o->refs = 1;
	o->value = value;
	return o;
}

__attribute__((noinline)) struct rl_obj *rl_ref(struct rl_obj *o)
{
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

__attribute__((noinline)) int rl_unref(struct rl_obj *o)
{
	int left = __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
	if (left < 0) {
		fprintf(stderr, "reflib: count of %p below 0\n", (void *)o);
		abort();
	}
	if (left == 0)
		free(o);
	return left;
}

int rl_count(const struct rl_obj *o)
{
	return __atomic_load_n(&o->refs, __ATOMIC_RELAXED);
}

/* The library's own names for its functions: direct calls, no PLT entry
 * (the GOT tests count the program's sites only); an entry hook sees them. */
static struct rl_obj *own_new(int value) __attribute__((alias("rl_new")));
static struct rl_obj *own_ref(struct rl_obj *o) __attribute__((alias("rl_ref")));
static int own_unref(struct rl_obj *o) __attribute__((alias("rl_unref")));

/* REFLIB_LATE_PAIRS=N: at unload, an object of its own and N ref/unref
 * pairs on it.  A library the program needs is unloaded after the
 * preloaded shim's destructor ran: test_ref_full_counts checks that calls
 * made then are counted too. */
__attribute__((destructor)) static void reflib_late_calls(void)
{
	const char *n = getenv("REFLIB_LATE_PAIRS");
	int pairs = n ? atoi(n) : 0;

	if (pairs <= 0)
		return;
	struct rl_obj *o = own_new(0);
	for (int i = 0; i < pairs; i++) {
		own_ref(o);
		own_unref(o);
	}
	own_unref(o);
}
