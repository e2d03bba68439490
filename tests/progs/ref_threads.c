/*
 * ref_threads — exact reference books under concurrency
 * (tests/integration/test_ref_threads.sh).  Four objects of libreflib.so
 * (rl_new / rl_ref / rl_unref, real atomics) are shared by THREADS
 * threads, released together, each taking and dropping PAIRS references
 * from three call sites (take_a, take_b, take_c), all balanced.  Then the
 * main thread drops the creation reference of objects 1..3 (release_others)
 * and keeps object 0: the books must show that one object, net 1.
 *
 * Usage: ref_threads [THREADS [PAIRS]]   (default 8 200000)
 * Prints "kept 0xADDR" (the object left alive) and "freed 0xADDR" lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "reflib/reflib.h"

#define NOBJ 4
#define MAX_THREADS 64

static struct rl_obj *objs[NOBJ];
static long pairs;
static pthread_barrier_t start;

/* The call sites.  noinline, no_icf (-O2 folds identical functions into
 * one) and an empty asm after each call: three distinct frames, never
 * tail calls. */
__attribute__((noinline, no_icf)) static void take_a(struct rl_obj *o)
{
	rl_ref(o);
	__asm__ volatile("" ::: "memory");
	rl_unref(o);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, no_icf)) static void take_b(struct rl_obj *o)
{
	rl_ref(o);
	__asm__ volatile("" ::: "memory");
	rl_unref(o);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, no_icf)) static void take_c(struct rl_obj *o)
{
	rl_ref(o);
	__asm__ volatile("" ::: "memory");
	rl_unref(o);
	__asm__ volatile("" ::: "memory");
}

static void *worker(void *arg)
{
	long t = (long)arg;

	pthread_barrier_wait(&start);
	for (long i = 0; i < pairs; i++) {
		struct rl_obj *o = objs[(i + t) % NOBJ];
		switch (i % 3) {
		case 0: take_a(o); break;
		case 1: take_b(o); break;
		default: take_c(o); break;
		}
	}
	return NULL;
}

__attribute__((noinline)) static void make_objects(void)
{
	for (int i = 0; i < NOBJ; i++)
		objs[i] = rl_new(i);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void release_others(void)
{
	for (int i = 1; i < NOBJ; i++) {
		printf("freed %p\n", (void *)objs[i]);
		if (rl_unref(objs[i]) != 0) {
			fprintf(stderr, "ref_threads: object %d still referenced\n", i);
			exit(1);
		}
	}
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	long nthreads = argc > 1 ? strtol(argv[1], NULL, 10) : 8;
	pthread_t th[MAX_THREADS];

	pairs = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
	if (nthreads < 1 || nthreads > MAX_THREADS || pairs < 0) {
		fprintf(stderr, "usage: ref_threads [THREADS(1-%d) [PAIRS]]\n", MAX_THREADS);
		return 2;
	}
	make_objects();
	pthread_barrier_init(&start, NULL, (unsigned)nthreads);
	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)t) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (long t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < NOBJ; i++)
		if (rl_count(objs[i]) != 1) {
			fprintf(stderr, "ref_threads: object %d has count %d\n", i, rl_count(objs[i]));
			return 1;
		}
	printf("kept %p\n", (void *)objs[0]);
	release_others();
	/* Object 0 is forgotten with its reference: leaked, not still
	 * reachable from this global at exit (which tally would excuse). */
	objs[0] = NULL;
	__asm__ volatile("" ::: "memory");
	return 0;
}
