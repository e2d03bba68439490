/*
 * forkwalk — the walks a fork must wait for.  See forkwalk.h for why.
 */
#include "clockns.h"
#include "forkwalk.h"
#include "record.h"

#include <sched.h>
#include <time.h>

/* How long fork waits for walks under way, and a walk for a fork: a
 * callback that blocks would hang the child anyway; fork must not hang
 * too, nor a walk whose thread holds a lock a fork handler waits for. */
#define FORK_WAIT_NS 2000000000ll

static int iterating;                  /* threads inside a walk */
static int fork_pending;               /* a fork is under way */
static int fork_waited_out;            /* ... and began with a walk under way */
static uint32_t fork_tid;              /* the thread forking */
static TLS int my_iterating;           /* this thread's own walks (nested:
                                        * from a callback or a handler) */

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int forking_thread(void)
{
	return __atomic_load_n(&fork_tid, __ATOMIC_RELAXED) ==
	       (likely(rec_tid) ? rec_tid : rec_tid_slow());
}

/* Counts a walk out, also when its thread is cancelled in a callback
 * (glibc's own cleanup releases the loader's lock then). */
void forkwalk_cancelled(void *unused)
{
	(void)unused;
	my_iterating--;
	__atomic_sub_fetch(&iterating, 1, __ATOMIC_RELEASE);
}

void forkwalk_begin(void)
{
	int64_t until = 0;

	for (;;) {
		__atomic_add_fetch(&iterating, 1, __ATOMIC_SEQ_CST);
		/* Nested in a walk of this thread's (a fork waits for that
		 * one anyway), or on the forking thread: go on. */
		if (!__atomic_load_n(&fork_pending, __ATOMIC_SEQ_CST) || my_iterating ||
		    forking_thread())
			break;
		/* A fork is under way: let it happen first (rare; a syscall),
		 * for a bounded time. */
		__atomic_sub_fetch(&iterating, 1, __ATOMIC_SEQ_CST);
		SAVE_ERRNO;
		if (!until)
			until = mono_ns() + FORK_WAIT_NS;
		while (__atomic_load_n(&fork_pending, __ATOMIC_ACQUIRE) && mono_ns() < until)
			sched_yield();
		RESTORE_ERRNO;
		if (__atomic_load_n(&fork_pending, __ATOMIC_ACQUIRE)) {
			__atomic_add_fetch(&iterating, 1, __ATOMIC_SEQ_CST);
			break;   /* waited long enough: walk anyway */
		}
	}
	my_iterating++;
}

void forkwalk_end(void)
{
	forkwalk_cancelled(NULL);
}

void forkwalk_prepare(void)
{
	int saved = errno;

	__atomic_store_n(&fork_tid, likely(rec_tid) ? rec_tid : rec_tid_slow(), __ATOMIC_RELAXED);
	__atomic_store_n(&fork_pending, 1, __ATOMIC_SEQ_CST);
	int64_t until = mono_ns() + FORK_WAIT_NS;
	while (__atomic_load_n(&iterating, __ATOMIC_SEQ_CST) > my_iterating && mono_ns() < until)
		sched_yield();
	/* Timed out with a walk under way: the child may inherit the loader's
	 * or libunwind's lock held, and must neither walk the modules nor take
	 * a stack itself. */
	fork_waited_out = __atomic_load_n(&iterating, __ATOMIC_SEQ_CST) > my_iterating;
	errno = saved;
}

void forkwalk_parent(void)
{
	__atomic_store_n(&fork_tid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fork_pending, 0, __ATOMIC_RELEASE);
}

void forkwalk_child(void)
{
	/* Only this thread goes on, with its own walks. */
	__atomic_store_n(&iterating, my_iterating, __ATOMIC_RELAXED);
	loader_child_unsafe = fork_waited_out;
	forkwalk_parent();
}
