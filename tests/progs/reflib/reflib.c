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

struct rl_obj *rl_new(int value)
{
	struct rl_obj *o = malloc(sizeof(*o));
	if (!o)
		abort();
	o->refs = 1;
	o->value = value;
	return o;
}

struct rl_obj *rl_ref(struct rl_obj *o)
{
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

int rl_unref(struct rl_obj *o)
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
