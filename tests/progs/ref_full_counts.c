/*
 * ref_full_counts — booked calls made after the event area filled, from
 * places where a thread's own counts could be forgotten (shim/batch.h):
 *
 *   alive  a thread makes 10 pairs and is still blocked when main exits
 *   tsd    a thread makes 10 pairs, then a key destructor of the program
 *          makes 10 more as the thread ends (after the shim's own one)
 *   late   main returns; libreflib's destructor (REFLIB_LATE_PAIRS) makes
 *          its pairs after the shim's destructor ran
 *
 * Main first makes PAIRS pairs on an object of its own (argument 2), enough
 * to fill a 1 MiB log.  Prints "done" before it exits.
 *
 * usage: ref_full_counts alive|tsd|late PAIRS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reflib/reflib.h"

#define THREAD_PAIRS 10

static struct rl_obj *obj;
static pthread_key_t key;
static int ready;

static void pairs(int n)
{
	for (int i = 0; i < n; i++) {
		rl_ref(obj);
		rl_unref(obj);
	}
}

static void *stays(void *unused)
{
	(void)unused;
	pairs(THREAD_PAIRS);
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

static void key_gone(void *unused)
{
	(void)unused;
	pairs(THREAD_PAIRS);
}

static void *ends(void *unused)
{
	(void)unused;
	pairs(THREAD_PAIRS);
	if (pthread_setspecific(key, &key) != 0)
		abort();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 3 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: ref_full_counts alive|tsd|late PAIRS\n");
		return 2;
	}
	obj = rl_new(0);
	pairs(atoi(argv[2]));
	if (strcmp(argv[1], "alive") == 0) {
		if (pthread_create(&t, NULL, stays, NULL) != 0)
			return 1;
		while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
			usleep(1000);
		printf("done\n");
		exit(0);   /* the thread still runs: no key destructor for it */
	}
	if (strcmp(argv[1], "tsd") == 0) {
		/* created after the shim's key: its destructor runs later */
		if (pthread_key_create(&key, key_gone) != 0 ||
		    pthread_create(&t, NULL, ends, NULL) != 0 || pthread_join(t, NULL) != 0)
			return 1;
	} else if (strcmp(argv[1], "late") != 0) {
		fprintf(stderr, "ref_full_counts: unknown mode %s\n", argv[1]);
		return 2;
	}
	rl_unref(obj);
	printf("done\n");
	return 0;
}
