/*
 * rev_deep — hooked calls nested deeper than the shim follows (ACTIVE_MAX,
 * 32): 32 rv_unref_cb calls under way, each running the next from its
 * callback; at the bottom, rv_ref(x), too deep for an entry, then a
 * separate rv_unref(x) from a deeper frame, which is not nested in it and
 * must be booked (a review found it skipped: the record of the call too
 * deep was never cleared).  Every reference is given back: no leak.
 * Prints "ok" and exits 0 (tests/integration/test_rev_deep.sh).
 */
#include <stdio.h>

#include "revlib/revlib.h"

#define DEPTH 32

static struct rv_obj *objs[DEPTH], *x;

static __attribute__((noinline)) int unref_deeper(struct rv_obj *o)
{
	volatile char pad[64];   /* a frame below the one that took the reference */

	pad[0] = 0;
	int left = rv_unref(o);
	return left + pad[0];    /* not a tail call: the frame stays */
}

static void level(void *arg)
{
	long i = (long)arg;

	if (i < DEPTH) {
		rv_unref_cb(objs[i], level, (void *)(i + 1));
		return;
	}
	rv_ref(x);
	unref_deeper(x);
}

int main(void)
{
	for (int i = 0; i < DEPTH; i++) {
		objs[i] = rv_new();
		rv_ref(objs[i]);   /* the one each level drops */
	}
	x = rv_new();
	level((void *)0);
	for (int i = 0; i < DEPTH; i++) {
		rv_unref(objs[i]);
		objs[i] = NULL;   /* no global holds what is given back */
	}
	rv_unref(x);
	x = NULL;
	printf("ok\n");
	return 0;
}
