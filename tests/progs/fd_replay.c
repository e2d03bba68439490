/*
 * fd_replay — call stacks that a replayed capture (shim/replay.h) must
 * tell apart: the same socket() call site reached at the same stack
 * pointer from different callers.
 *
 *   same_sp N     pathA/pathB alternate N times each, then N pathA, then
 *                 N pathB; both reach common -> leaf_same with identical
 *                 frames, so the wrapper runs at the same stack pointer;
 *                 only the return address into pathA or pathB differs.
 *   alloca_sp N   the same with outerA/outerB; both call mid(),
 *                 whose frame has an alloca sized so that leaf_alloca runs
 *                 at the same stack pointer from both (mid's CFA is
 *                 rbp-based, and its return address lies at different
 *                 places).  Prints "sp_equal 1" when the sizes matched.
 *   thread N      same_sp in a second thread.
 *
 * Each socket is closed at once from one common site (close_it).  Prints
 * "n N".
 */
#include <alloca.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define KEEP(x) __asm__ volatile("" : "+r"(x))

static NOINLINE void close_it(int fd)
{
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	close(fd);
	KEEP(fd);
}

/* ---- same_sp ------------------------------------------------------------- */

static NOINLINE int leaf_same(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	KEEP(fd);
	return fd;
}

static NOINLINE int common(void)
{
	int fd = leaf_same();
	KEEP(fd);
	return fd;
}

/* Identical frames; the marks keep the compiler from folding them into
 * one function. */
static volatile int mark;

static __attribute__((noipa)) void pathA(void)
{
	mark = 1;
	close_it(common());
}

static __attribute__((noipa)) void pathB(void)
{
	mark = 2;
	close_it(common());
}

static NOINLINE void one_of(int b)
{
	if (b)
		pathB();
	else
		pathA();
}

static void same_sp(long n)
{
	for (long i = 0; i < 2 * n; i++)
		one_of(i & 1);
	for (long i = 0; i < 2 * n; i++)
		one_of(i >= n);
}

/* ---- alloca_sp ----------------------------------------------------------- */

static uintptr_t leaf_sp;

static NOINLINE int leaf_alloca(void)
{
	volatile char here;
	leaf_sp = (uintptr_t)&here;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	KEEP(fd);
	return fd;
}

static NOINLINE int mid(size_t size)
{
	/* Not cleared: from outerB, the larger alloca covers the place where,
	 * called from outerA, mid's return address was.  That stale word still
	 * holds it, so a check of the return-address slot alone would match. */
	char *pad = alloca(size);
	KEEP(pad);
	int fd = leaf_alloca();
	KEEP(fd);
	return fd;
}

static NOINLINE int outerA(size_t size)
{
	volatile char big[256];
	big[0] = 1;
	int fd = mid(size);
	KEEP(fd);
	return fd + big[0] - 1;
}

static NOINLINE int outerB(size_t size)
{
	int fd = mid(size);
	KEEP(fd);
	return fd;
}

/* Both called from this one call site: the return address into it is
 * the same, and only mid's return address tells the callers apart. */
static NOINLINE int outer(int b, size_t size)
{
	int (*volatile fn)(size_t) = b ? outerB : outerA;
	int fd = fn(size);
	KEEP(fd);
	return fd;
}

static void alloca_sp(long n)
{
	size_t a = 64, b = 64;

	/* outerA's frame is larger: B needs that much more alloca for mid to
	 * call leaf_alloca at the same stack pointer. */
	close_it(outer(0, a));
	uintptr_t spa = leaf_sp;
	close_it(outer(1, b));
	uintptr_t spb = leaf_sp;
	if (spb > spa)
		b += spb - spa;
	close_it(outer(1, b));
	printf("sp_equal %d\n", leaf_sp == spa);
	for (long i = 0; i < 2 * n; i++)
		close_it(outer(i & 1, i & 1 ? b : a));
	for (long i = 0; i < 2 * n; i++)
		close_it(outer(i >= n, i >= n ? b : a));
}

static void *thread_main(void *arg)
{
	same_sp(*(long *)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fd_replay same_sp|alloca_sp|thread N\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	if (strcmp(argv[1], "same_sp") == 0) {
		same_sp(n);
	} else if (strcmp(argv[1], "alloca_sp") == 0) {
		alloca_sp(n);
	} else if (strcmp(argv[1], "thread") == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_main, &n) != 0 || pthread_join(t, NULL) != 0)
			return 1;
	} else {
		return 2;
	}
	printf("n %ld\n", n);
	return 0;
}
