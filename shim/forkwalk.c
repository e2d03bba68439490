/*
 * forkwalk — the walks a fork must wait for.  See forkwalk.h for why.
 *
 * Each thread counts its walks under way in a slot of its own, which only
 * it writes, with one atomic add: a fork made from a signal handler that
 * interrupted this thread's own walk, even as it began or ended, sums the
 * other threads' slots and leaves its own out, exactly.  A thread beyond
 * the slots (or walking before the shim's start) counts in a shared count
 * and its own thread-local one, written with signals blocked so that no
 * handler falls between the two.  A handler's walk during a thread's
 * first one may take the slot: each step checks again whether it did.
 *
 * fork_pending, fork_tid and fork_waited_out are one per process: forks
 * from different threads, whose prepare handlers glibc runs at once, are
 * kept one at a time by the module rescan lock the shim's prepare handler
 * takes first (shim.c).
 */
#include "clockns.h"
#include "forkwalk.h"
#include "record.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

/* How long fork waits for walks under way, and a walk for a fork: a
 * callback that blocks would hang the child anyway; fork must not hang
 * too, nor a walk whose thread holds a lock a fork handler waits for. */
#define FORK_WAIT_NS 2000000000ll

static int64_t fork_wait_ns = FORK_WAIT_NS;

/* Per thread: its walks under way.  A slot is taken at a thread's first
 * walk (owner: the address of that thread's my_slot) and given back when
 * the thread ends. */
static int slot_walks[FORKWALK_SLOTS];
static uintptr_t slot_owner[FORKWALK_SLOTS];
static TLS int *my_slot;
static TLS uint8_t my_slot_tried;      /* none was free: do not look again */

/* Threads without a slot. */
static int shared_walks;               /* their walks under way */
static TLS int my_shared;              /* this thread's among them */
static TLS int my_entering;            /* counting one in there: see count_in */

static int fork_pending;               /* a fork is under way */
static int fork_waited_out;            /* ... and began with a walk under way */
static uint32_t fork_tid;              /* the thread forking */

static pthread_key_t exit_key;
static int exit_key_made;

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int forking_thread(void)
{
	return __atomic_load_n(&fork_tid, __ATOMIC_RELAXED) ==
	       (likely(rec_tid) ? rec_tid : rec_tid_slow());
}

/* Thread exit: its slot goes back (no walk of a thread that ends is under
 * way any more). */
static void thread_exit(void *unused)
{
	(void)unused;
	int *slot = my_slot;

	if (!slot)
		return;
	my_slot = NULL;
	__atomic_store_n(slot, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&slot_owner[slot - slot_walks], 0, __ATOMIC_RELEASE);
}

/* This thread's slot, taken at its first walk when one is free.  Not while
 * it has walks counted in the shared count: they must be counted out
 * there. */
static int *own_slot(void)
{
	if (likely(my_slot) || my_slot_tried || my_shared || my_entering ||
	    !__atomic_load_n(&exit_key_made, __ATOMIC_ACQUIRE))
		return my_slot;
	my_slot_tried = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (my_slot)   /* a handler's walk took one before the line above */
		return my_slot;
	for (unsigned i = 0; i < FORKWALK_SLOTS; i++) {
		uintptr_t none = 0;
		if (__atomic_compare_exchange_n(&slot_owner[i], &none, (uintptr_t)&my_slot, 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			/* pthread_setspecific takes no lock and, for the first 32
			 * keys of a process, allocates nothing. */
			(void)pthread_setspecific(exit_key, &my_slot);
			my_slot = &slot_walks[i];
			break;
		}
	}
	return my_slot;
}

/* Adds delta to the shared count and this thread's share of it, with
 * signals blocked (two syscalls, on the rare path of a thread without a
 * slot only): a fork from a handler in between would see one without the
 * other, and leave its child's shared count wrong.  Returns this thread's
 * share before. */
static int shared_add(int delta)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	__atomic_add_fetch(&shared_walks, delta, __ATOMIC_SEQ_CST);
	int before = my_shared;
	my_shared += delta;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return before;
}

/* Counts a walk of this thread in; returns how many of its own were under
 * way before it (nested walks: from a callback or a signal handler). */
static int count_in(void)
{
	int *slot = own_slot();

	if (likely(slot))
		return __atomic_fetch_add(slot, 1, __ATOMIC_SEQ_CST);
	/* A signal handler's walk from here on must not take a slot: this
	 * walk would then be counted out of it.  One may have taken it just
	 * before (after own_slot looked): then that slot counts this walk. */
	my_entering++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (unlikely(my_slot)) {
		my_entering--;
		return __atomic_fetch_add(my_slot, 1, __ATOMIC_SEQ_CST);
	}
	int before = shared_add(1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	my_entering--;
	return before;
}

static void count_out(void)
{
	if (likely(my_slot)) {
		__atomic_sub_fetch(my_slot, 1, __ATOMIC_RELEASE);
		return;
	}
	(void)shared_add(-1);
}

/* Whether a thread other than this one is inside a walk. */
static int others_walking(void)
{
	int n = __atomic_load_n(&shared_walks, __ATOMIC_SEQ_CST) - my_shared;

	for (unsigned i = 0; i < FORKWALK_SLOTS && n <= 0; i++)
		if (&slot_walks[i] != my_slot)
			n += __atomic_load_n(&slot_walks[i], __ATOMIC_SEQ_CST);
	return n > 0;
}

/* Counts a walk out, also when its thread is cancelled in a callback
 * (glibc's own cleanup releases the loader's lock then). */
void forkwalk_cancelled(void *unused)
{
	(void)unused;
	count_out();
}

void forkwalk_begin(void)
{
	int64_t until = 0;

	for (;;) {
		int nested = count_in() > 0;
		/* Nested in a walk of this thread's (a fork waits for that
		 * one anyway), or on the forking thread: go on. */
		if (!__atomic_load_n(&fork_pending, __ATOMIC_SEQ_CST) || nested || forking_thread())
			return;
		/* A fork is under way: let it happen first (rare; a syscall),
		 * for a bounded time. */
		count_out();
		SAVE_ERRNO;
		if (!until)
			until = mono_ns() + fork_wait_ns;
		while (__atomic_load_n(&fork_pending, __ATOMIC_ACQUIRE) && mono_ns() < until)
			sched_yield();
		RESTORE_ERRNO;
		if (__atomic_load_n(&fork_pending, __ATOMIC_ACQUIRE)) {
			count_in();
			return;   /* waited long enough: walk anyway */
		}
	}
}

void forkwalk_end(void)
{
	count_out();
}

void forkwalk_prepare(void)
{
	int saved = errno;

	__atomic_store_n(&fork_tid, likely(rec_tid) ? rec_tid : rec_tid_slow(), __ATOMIC_RELAXED);
	__atomic_store_n(&fork_pending, 1, __ATOMIC_SEQ_CST);
	int64_t until = mono_ns() + fork_wait_ns;
	while (others_walking() && mono_ns() < until)
		sched_yield();
	/* Timed out with a walk under way: the child may inherit the loader's
	 * or libunwind's lock held, and must neither walk the modules nor take
	 * a stack itself. */
	fork_waited_out = others_walking();
	errno = saved;
}

void forkwalk_parent(void)
{
	__atomic_store_n(&fork_tid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fork_pending, 0, __ATOMIC_RELEASE);
}

void forkwalk_child(void)
{
	/* Only this thread goes on, with its own walks: its slot is the one it
	 * owns (a handler may have forked between the claim and my_slot). */
	for (unsigned i = 0; i < FORKWALK_SLOTS; i++)
		if (slot_owner[i] != (uintptr_t)&my_slot) {
			slot_walks[i] = 0;
			slot_owner[i] = 0;
		}
	shared_walks = my_shared;
	loader_child_unsafe = fork_waited_out;
	forkwalk_parent();
}

int forkwalk_init(void)
{
	if (__atomic_load_n(&exit_key_made, __ATOMIC_ACQUIRE))
		return 0;
	int err = pthread_key_create(&exit_key, thread_exit);
	if (err)
		return -err;
	__atomic_store_n(&exit_key_made, 1, __ATOMIC_RELEASE);
	return 0;
}

unsigned forkwalk_slots_taken(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FORKWALK_SLOTS; i++)
		n += __atomic_load_n(&slot_owner[i], __ATOMIC_ACQUIRE) != 0;
	return n;
}

void forkwalk_reset(int64_t wait_ns)
{
	fork_wait_ns = wait_ns > 0 ? wait_ns : FORK_WAIT_NS;
	thread_exit(NULL);
	my_slot_tried = 0;
	my_shared = 0;
	my_entering = 0;
	shared_walks = 0;
	fork_pending = 0;
	fork_waited_out = 0;
	fork_tid = 0;
	loader_child_unsafe = 0;
}
