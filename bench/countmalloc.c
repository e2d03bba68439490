/*
 * countmalloc — a preload that counts calls to the malloc family and
 * forwards them to glibc's own entry points (__libc_malloc & co: no dlsym,
 * which may itself allocate).  Put it AFTER libtally.so in LD_PRELOAD: the
 * shim defines no malloc, so its calls bind here too.
 *
 * countmalloc_calls is exported so a program can read it around a loop
 * (bench_socket does, through dlsym).  At exit the total is written to
 * stderr as "countmalloc: calls=N".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

/* Allocation calls (malloc, calloc, realloc, memalign family), atomic. */
volatile uint64_t countmalloc_calls;

static inline void count(void)
{
	__atomic_fetch_add(&countmalloc_calls, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	count();
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	count();
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	count();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	count();
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	count();
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	count();
	void *p = __libc_memalign(align, n);
	if (!p)
		return 12;   /* ENOMEM */
	*out = p;
	return 0;
}

__attribute__((destructor)) static void report(void)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "countmalloc: calls=%llu\n",
	                 (unsigned long long)countmalloc_calls);
	if (n > 0 && write(2, line, (size_t)n) < 0) {
		/* nothing to do */
	}
}
