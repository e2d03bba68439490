/*
 * ref_race — reference functions hooked while other threads call them,
 * for tests/integration/test_ref_race.sh:
 *
 *   ref_race PLUGIN [RTLD_GLOBAL|RTLD_LOCAL]
 *
 * Loads build/progs/libgotquiet.so as "$ORIGIN/libgotquiet.so": a name
 * with '$' is not wrapped by tally, so the library is not hooked yet (flag
 * RTLD_GLOBAL by default).  THREADS threads then take and give back
 * references on one object through gq_cycle (gq_ref, gq_unref through the
 * library's own PLT) without pause.  Meanwhile the main thread dlopens
 * PLUGIN by its path: tally's rescan then hooks gq_ref and gq_unref under
 * the running threads.  Then the threads stop.  Prints "count 1" (the
 * object's references: the program's own) and "cycles many" when the
 * threads made at least 1000 cycles after the plugin was loaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progutil.h"

#define THREADS 3

static void (*cycle)(void *);
static void *object;
static volatile int stop;
static long cycles[THREADS];

static void *spin(void *arg)
{
	long *n = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		cycle(object);
		__atomic_store_n(n, *n + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static long total(void)
{
	long sum = 0;
	for (int i = 0; i < THREADS; i++)
		sum += __atomic_load_n(&cycles[i], __ATOMIC_RELAXED);
	return sum;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: ref_race PLUGIN [RTLD_GLOBAL|RTLD_LOCAL]\n");
		return 2;
	}
	int scope = argc == 3 && strcmp(argv[2], "RTLD_LOCAL") == 0 ? RTLD_LOCAL : RTLD_GLOBAL;
	void *quiet = dlopen("$ORIGIN/libgotquiet.so", RTLD_NOW | scope);
	if (!quiet) {
		fprintf(stderr, "ref_race: dlopen libgotquiet.so: %s\n", dlerror());
		return 100;
	}
	void *(*new_)(void) = (void *(*)(void))need("ref_race", quiet, "gq_new");
	int (*count)(void *) = (int (*)(void *))need("ref_race", quiet, "gq_count");
	cycle = (void (*)(void *))need("ref_race", quiet, "gq_cycle");
	object = new_();

	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, spin, &cycles[i]) != 0)
			die("pthread_create");
	while (total() < 1000)
		pause_ms(1);
	void *loud = open_plugin("ref_race", argv[1]);
	long after = total();
	while (total() < after + 1000)
		pause_ms(1);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	printf("count %d\n", count(object));
	printf("cycles %s\n", total() >= after + 1000 ? "many" : "few");
	dlclose(loud);
	return 0;
}
