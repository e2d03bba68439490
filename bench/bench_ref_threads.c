/*
 * bench_ref_threads — booked reference calls from several threads at once,
 * each on an object of its own (build/bench/libbenchref.so): what threads
 * on different CPUs cost each other through the lines of the log they all
 * write.  Prints one line:
 *
 *   threads=T pairs=N ns_per_pair=...   (wall time per pair, per thread)
 *
 * usage: bench_ref_threads THREADS PAIRS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define THREADS_MAX 64

struct br;
struct br *br_new(void);
struct br *br_ref(struct br *o);
void br_unref(struct br *o);

static long pairs;
static pthread_barrier_t start;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* One pair from a frame of its own, as a relay's per-packet function. */
static __attribute__((noinline)) void pair(struct br *o)
{
	br_ref(o);
	__asm__ volatile("" ::: "memory");
	br_unref(o);
	__asm__ volatile("" ::: "memory");
}

static void *worker(void *unused)
{
	struct br *o = br_new();

	(void)unused;
	if (!o)
		abort();
	pthread_barrier_wait(&start);
	for (long i = 0; i < pairs; i++)
		pair(o);
	br_unref(o);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS_MAX];
	int threads = argc == 3 ? atoi(argv[1]) : 0;

	pairs = argc == 3 ? atol(argv[2]) : 0;
	if (threads < 1 || threads > THREADS_MAX || pairs < 1) {
		fprintf(stderr, "usage: bench_ref_threads THREADS PAIRS\n");
		return 2;
	}
	if (pthread_barrier_init(&start, NULL, (unsigned)threads + 1))
		return 1;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, worker, NULL))
			return 1;
	pthread_barrier_wait(&start);
	double t0 = now_ns();
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("threads=%d pairs=%ld ns_per_pair=%.1f\n", threads, pairs, (now_ns() - t0) / pairs);
	return 0;
}
