/* reachlib — see reachlib.h. */
#include "reachlib.h"

#include <stdlib.h>

struct ob {
	long refs;
	void *user;
};

__attribute__((noinline)) struct ob *ob_new(void *user)
{
	char *slab = malloc(256);
	if (!slab)
		return NULL;
	struct ob *o = (struct ob *)(slab + 16);
	o->refs = 1;
	o->user = user;
	return o;
}

__attribute__((noinline)) struct ob *ob_new_at(void *where, void *user)
{
	struct ob *o = where;
	o->refs = 1;
	o->user = user;
	return o;
}

__attribute__((noinline)) struct ob *ob_ref(struct ob *o)
{
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

__attribute__((noinline)) long ob_unref(struct ob *o)
{
	return __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
}

/* Static: no copy relocation moves it into the program's data. */
static struct ob *volatile reachlib_global;

void ob_keep_global(struct ob *o)
{
	reachlib_global = o;
}
