/*
 * safe_threads_dlopen — sockets opened by a dlopen'ed plugin, on threads,
 * across dlclose and a second dlopen:
 *
 *   safe_threads_dlopen A.so B.so
 *
 *   phase 1  dlopen A; 4 threads (phase1_thread) call A's netplugin_open at once
 *   then     dlclose A (and check it is gone: RTLD_NOLOAD)
 *   phase 2  dlopen B (the same code under another name, likely mapped
 *            where A was); one thread (phase2_thread) calls it
 *   phase 3  dlopen A again; one thread (phase3_thread) calls it
 *
 * Before phase 1 and after phase 3 the program itself opens a socket from
 * one call site (same_site_socket, "same-site fds F G"): the same stack,
 * with modules loaded and unloaded in between.
 *
 * Every socket stays open.  Prints, per phase, "phaseN fds F..." and
 * "phaseN base 0x..." (where the plugin was mapped), and "unloaded yes|no".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef int (*open_fn)(void);

#define THREADS_MAX 4

/* The threads of a phase start their call together: their first stacks
 * in a just-loaded plugin are captured at the same moment. */
static pthread_barrier_t start;

struct call {
	open_fn fn;
	int fd;
};

static __attribute__((noinline)) int same_site_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	__asm__ volatile("" ::: "memory");
	return fd;
}

static void *load(const char *path, open_fn *fn, int phase)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	Dl_info info;

	if (!lib) {
		fprintf(stderr, "safe_threads_dlopen: dlopen %s: %s\n", path, dlerror());
		exit(100);
	}
	*(void **)fn = dlsym(lib, "netplugin_open");
	if (!*fn || !dladdr((void *)*fn, &info)) {
		fprintf(stderr, "safe_threads_dlopen: no netplugin_open in %s\n", path);
		exit(100);
	}
	printf("phase%d base %p\n", phase, info.dli_fbase);
	return lib;
}

/* Distinct thread functions: distinct stacks per phase. */
static __attribute__((noinline)) void *phase1_thread(void *arg)
{
	struct call *c = arg;
	pthread_barrier_wait(&start);
	c->fd = c->fn();
	__asm__ volatile("" ::: "memory");
	return NULL;
}

static __attribute__((noinline)) void *phase2_thread(void *arg)
{
	struct call *c = arg;
	pthread_barrier_wait(&start);
	c->fd = c->fn() + 0;
	__asm__ volatile("nop" ::: "memory");   /* not folded with phase1_thread */
	return NULL;
}

static __attribute__((noinline)) void *phase3_thread(void *arg)
{
	struct call *c = arg;
	pthread_barrier_wait(&start);
	c->fd = c->fn();
	__asm__ volatile("nop\n\tnop" ::: "memory");
	return NULL;
}

static void run_threads(void *(*body)(void *), open_fn fn, int n, int phase)
{
	pthread_t t[THREADS_MAX];
	struct call c[THREADS_MAX];

	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		c[i].fn = fn;
		c[i].fd = -1;
		if (pthread_create(&t[i], NULL, body, &c[i]) != 0)
			exit(100);
	}
	printf("phase%d fds", phase);
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (c[i].fd < 0)
			exit(101);
		printf(" %d", c[i].fd);
	}
	printf("\n");
	pthread_barrier_destroy(&start);
}

/* The three phases. */
static void phases(const char *path_a, const char *path_b)
{
	open_fn fn;

	void *a = load(path_a, &fn, 1);
	run_threads(phase1_thread, fn, THREADS_MAX, 1);
	dlclose(a);
	void *gone = dlopen(path_a, RTLD_NOW | RTLD_NOLOAD);
	printf("unloaded %s\n", gone ? "no" : "yes");
	if (gone)
		dlclose(gone);

	void *b = load(path_b, &fn, 2);
	run_threads(phase2_thread, fn, 1, 2);

	a = load(path_a, &fn, 3);
	run_threads(phase3_thread, fn, 1, 3);
	dlclose(a);
	dlclose(b);
}

int main(int argc, char **argv)
{
	int same[2];

	if (argc < 3) {
		fprintf(stderr, "usage: safe_threads_dlopen A.so B.so\n");
		return 2;
	}
	/* One call site for both sockets: the phases run between them.  The
	 * trip count is volatile so the compiler cannot unroll the loop into
	 * two call sites. */
	static volatile int rounds = 2;
	for (int round = 0; round < rounds; round++) {
		same[round] = same_site_socket();
		if (round == 0)
			phases(argv[1], argv[2]);
	}
	printf("same-site fds %d %d\n", same[0], same[1]);
	return 0;
}
