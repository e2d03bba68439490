/*
 * hooks_loader — dl_iterate_phdr, kept out of the way of fork.  See
 * hooks_loader.h for why.
 */
#include "hooks_loader.h"
#include "hooks.h"
#include "record.h"

#include <link.h>
#include <sched.h>
#include <time.h>

/* How long fork waits for walks under way: a callback that blocks would
 * hang the child anyway; fork must not hang too. */
#define FORK_WAIT_NS 2000000000ll

static int iterating;                  /* threads inside dl_iterate_phdr */
static int fork_pending;               /* a fork is under way */
static uint32_t fork_tid;              /* the thread forking */
static TLS int my_iterating;           /* this thread's own walks (a fork
                                        * from inside a callback) */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int forking_thread(void)
{
	return __atomic_load_n(&fork_tid, __ATOMIC_RELAXED) ==
	       (likely(rec_tid) ? rec_tid : rec_tid_slow());
}

EXPORT int dl_iterate_phdr(int (*callback)(struct dl_phdr_info *, size_t, void *), void *data)
{
	for (;;) {
		__atomic_add_fetch(&iterating, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&fork_pending, __ATOMIC_SEQ_CST) || forking_thread())
			break;
		/* A fork is under way: let it happen first (rare; a syscall). */
		__atomic_sub_fetch(&iterating, 1, __ATOMIC_SEQ_CST);
		SAVE_ERRNO;
		while (__atomic_load_n(&fork_pending, __ATOMIC_ACQUIRE))
			sched_yield();
		RESTORE_ERRNO;
	}
	my_iterating++;
	int rc = REAL(dl_iterate_phdr)(callback, data);
	my_iterating--;
	__atomic_sub_fetch(&iterating, 1, __ATOMIC_RELEASE);
	return rc;
}

void loader_fork_prepare(void)
{
	int saved = errno;

	__atomic_store_n(&fork_tid, likely(rec_tid) ? rec_tid : rec_tid_slow(), __ATOMIC_RELAXED);
	__atomic_store_n(&fork_pending, 1, __ATOMIC_SEQ_CST);
	int64_t until = mono_ns() + FORK_WAIT_NS;
	while (__atomic_load_n(&iterating, __ATOMIC_SEQ_CST) > my_iterating && mono_ns() < until)
		sched_yield();
	errno = saved;
}

void loader_fork_parent(void)
{
	__atomic_store_n(&fork_tid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fork_pending, 0, __ATOMIC_RELEASE);
}

void loader_fork_child(void)
{
	/* Only this thread goes on, with its own walks. */
	__atomic_store_n(&iterating, my_iterating, __ATOMIC_RELAXED);
	loader_fork_parent();
}
