/*
 * Unit test of shim/forkwalk.c, the walks a fork waits for.  Known
 * answers: a fork waits for another thread's walk (and times out with the
 * child marked unsafe), never for the walks of the thread forking, even
 * from a signal handler that interrupts one as it begins or ends; a
 * thread's slot goes back when it ends; threads beyond the slots are
 * counted too.  fork itself is not called: prepare, then child, in this
 * process, as the shim's atfork handlers run them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "forkwalk.h"

#define SHORT_WAIT_NS 20000000ll   /* fork's wait in these tests: 20 ms */

/* What a fork made now would leave its child: 1 when it timed out with a
 * walk of another thread under way. */
static int fork_now_unsafe(void)
{
	forkwalk_prepare();
	forkwalk_child();
	int unsafe = loader_child_unsafe;
	loader_child_unsafe = 0;
	return unsafe;
}

static int setup(void **state)
{
	forkwalk_reset(SHORT_WAIT_NS);
	assert_int_equal(forkwalk_init(), 0);
	return 0;
}

static void own_walk_is_not_waited_for(void **state)
{
	forkwalk_begin();
	forkwalk_begin();   /* nested */
	assert_int_equal(fork_now_unsafe(), 0);
	forkwalk_end();
	forkwalk_end();
	assert_int_equal(forkwalk_slots_taken(), 1);
	assert_int_equal(fork_now_unsafe(), 0);
}

/* A thread that walks until told to stop. */
struct walker {
	pthread_t thread;
	pthread_barrier_t *inside;   /* all walkers are inside their walk */
	volatile int *stop;
};

static void *walk_until_stopped(void *arg)
{
	struct walker *w = arg;

	forkwalk_begin();
	pthread_barrier_wait(w->inside);
	while (!__atomic_load_n(w->stop, __ATOMIC_ACQUIRE))
		sched_yield();
	forkwalk_end();
	return NULL;
}

/* n threads inside a walk at once, then a fork, then they end: the fork
 * waits for them and times out; once they ended it no longer waits, and
 * their slots are back. */
static void other_walks_are_waited_for(unsigned n)
{
	struct walker *w = calloc(n, sizeof(*w));
	pthread_barrier_t inside;
	volatile int stop = 0;

	assert_non_null(w);
	assert_int_equal(pthread_barrier_init(&inside, NULL, n + 1), 0);
	for (unsigned i = 0; i < n; i++) {
		w[i].inside = &inside;
		w[i].stop = &stop;
		assert_int_equal(pthread_create(&w[i].thread, NULL, walk_until_stopped, &w[i]), 0);
	}
	pthread_barrier_wait(&inside);
	assert_int_equal(fork_now_unsafe(), 1);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
	assert_int_equal(fork_now_unsafe(), 0);
	assert_int_equal(forkwalk_slots_taken(), 0);
	pthread_barrier_destroy(&inside);
	free(w);
}

static void one_other_walk_is_waited_for(void **state)
{
	other_walks_are_waited_for(1);
}

/* More threads than slots: those beyond count in the shared count. */
static void walks_beyond_the_slots_are_waited_for(void **state)
{
	other_walks_are_waited_for(FORKWALK_SLOTS + 20);
}

static void *walk_once(void *arg)
{
	forkwalk_begin();
	forkwalk_end();
	return arg;
}

static void slots_of_ended_threads_are_reused(void **state)
{
	for (unsigned i = 0; i < 2 * FORKWALK_SLOTS; i++) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, walk_once, NULL), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	assert_int_equal(forkwalk_slots_taken(), 0);
	/* Had they been counted in the shared count, a missed count-out
	 * would show here. */
	assert_int_equal(fork_now_unsafe(), 0);
}

/* A fork from a signal handler on a thread that walks without pause: the
 * handler lands anywhere in forkwalk_begin and forkwalk_end, also between
 * the counts a walk makes.  It must never wait for that walk. */
static volatile int handler_forks, handler_unsafe;

static void fork_from_handler(int sig)
{
	(void)sig;
	handler_unsafe += fork_now_unsafe();
	handler_forks++;
}

static void *walk_forever(void *arg)
{
	volatile int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		forkwalk_begin();
		forkwalk_end();
	}
	return NULL;
}

static void fork_from_handler_mid_walk_does_not_wait(void **state)
{
	struct sigaction sa, old;
	volatile int stop = 0;
	pthread_t t;

	forkwalk_reset(1000000);   /* 1 ms: a wrong wait costs little */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fork_from_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	assert_int_equal(pthread_create(&t, NULL, walk_forever, (void *)&stop), 0);
	for (int i = 0; i < 20000; i++) {
		pthread_kill(t, SIGUSR1);
		for (volatile int spin = 0; spin < 200; spin++)
			;
	}
	while (handler_forks < 1000)   /* signals sent at once coalesce */
		pthread_kill(t, SIGUSR1);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(handler_unsafe, 0);
	assert_true(handler_forks >= 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(own_walk_is_not_waited_for, setup),
		cmocka_unit_test_setup(one_other_walk_is_waited_for, setup),
		cmocka_unit_test_setup(walks_beyond_the_slots_are_waited_for, setup),
		cmocka_unit_test_setup(slots_of_ended_threads_are_reused, setup),
		cmocka_unit_test_setup(fork_from_handler_mid_walk_does_not_wait, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
