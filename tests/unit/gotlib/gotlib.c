/*
 * gotlib — see gotlib.h.  Its own counters (atomic: threads may share an
 * object), so a test can tell what the program really did from what tally
 * booked.
 */
#include "gotlib.h"

#include <stdlib.h>

#define GL_MAGIC 0x6f626a21

struct gl_obj {
	int magic;
	int count;
};

static long calls_new, calls_ref, calls_unref;
static int live;

void *gl_new(void)
{
	struct gl_obj *o = malloc(sizeof(*o));

	if (!o)
		abort();
	o->magic = GL_MAGIC;
	o->count = 1;
	__atomic_fetch_add(&calls_new, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
	return o;
}

/* noinline: the call from gl_use_own must stay a call (the entry hook is
 * what sees it). */
__attribute__((noinline)) void *gl_ref(void *p)
{
	struct gl_obj *o = p;

	if (o->magic != GL_MAGIC)
		abort();
	__atomic_fetch_add(&o->count, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&calls_ref, 1, __ATOMIC_RELAXED);
	return o;
}

__attribute__((noinline)) void gl_unref(void *p)
{
	struct gl_obj *o = p;

	if (o->magic != GL_MAGIC)
		abort();
	__atomic_fetch_add(&calls_unref, 1, __ATOMIC_RELAXED);
	int left = __atomic_sub_fetch(&o->count, 1, __ATOMIC_ACQ_REL);
	if (left < 0)
		abort();
	if (left == 0) {
		o->magic = 0;
		__atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
		free(o);
	}
}

void gl_use_own(void *o)
{
	gl_ref(o);
	__asm__ volatile("" ::: "memory");   /* a call, not a tail jump */
}

int gl_count(const void *p)
{
	return __atomic_load_n(&((const struct gl_obj *)p)->count, __ATOMIC_RELAXED);
}

int gl_live(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

long gl_calls_new(void)
{
	return __atomic_load_n(&calls_new, __ATOMIC_RELAXED);
}

long gl_calls_ref(void)
{
	return __atomic_load_n(&calls_ref, __ATOMIC_RELAXED);
}

long gl_calls_unref(void)
{
	return __atomic_load_n(&calls_unref, __ATOMIC_RELAXED);
}
