/*
 * libentrylib2.so — loaded by test_entryhook with dlopen after start-up,
 * to hook a library that was not there when the program started.
 */
#include <stddef.h>

static long refs;

__attribute__((visibility("default"), noinline)) void *el2_ref(void *obj)
{
	__atomic_fetch_add(&refs, 1, __ATOMIC_RELAXED);
	return obj;
}

__attribute__((visibility("default"))) long el2_refs(void)
{
	return __atomic_load_n(&refs, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) void *el2_use_own(void *obj)
{
	void *r = el2_ref(obj);

	__asm__ volatile("" ::: "memory");
	return r;
}
