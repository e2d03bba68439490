/*
 * batch — per-thread counts for a log whose event area is full; see
 * batch.h for why.
 */
#include "batch.h"
#include "record.h"
#include "runs.h"

#include <pthread.h>

/* Threads whose counts exit and exec add up: a thread beyond them counts
 * straight into the log, as with room in the event area. */
#define BATCH_THREADS 256

TLS struct batch batch_tls;
static pthread_key_t exit_key;
static int exit_key_made;
/* Every counting thread's counts, for the flush at exit and exec. */
static struct batch *threads[BATCH_THREADS];
/* Set when the process exits or execs: from then on every call is counted
 * in the log at once (destructors still run, other threads too). */
int batch_counting_direct;
#define counting_direct batch_counting_direct

/* Takes a count and zeroes it before adding it: a signal handler's own
 * booked call in between then finds 0, not the same count to add again. */
static inline uint32_t take(uint32_t *count)
{
	return __atomic_exchange_n(count, 0, __ATOMIC_RELAXED);
}

static void add_calls(struct tally_log *log, struct batch *b, unsigned i)
{
	uint16_t rule = __atomic_load_n(&b->rule[i], __ATOMIC_RELAXED);
	uint32_t n = take(&b->calls[i]);

	if (n && rule)
		__atomic_fetch_add(&log->rules[rule - 1].calls, n, __ATOMIC_RELAXED);
}

static void add_drops(struct tally_log *log, struct batch *b)
{
	uint32_t n = take(&b->drops);

	if (n)
		__atomic_fetch_add(&log->hdr->dropped[TALLY_DROP_FULL], n, __ATOMIC_RELAXED);
}

static void flush(struct tally_log *log, struct batch *b)
{
	for (unsigned i = 0; i < BATCH_RULES; i++)
		add_calls(log, b, i);
	add_drops(log, b);
}

/* A thread's first count: arms its exit flush (pthread_setspecific takes no
 * lock and, for the first 32 keys of a process, allocates nothing), and
 * takes a slot in `threads`.  Returns whether counts may wait here. */
static int register_thread(void)
{
	if (!batch_tls.registered && exit_key_made) {
		batch_tls.registered = 1;
		(void)pthread_setspecific(exit_key, &batch_tls);
	}
	if (batch_tls.listed == 0) {
		batch_tls.listed = -1;
		for (int i = 0; i < BATCH_THREADS; i++) {
			struct batch *none = NULL;
			if (__atomic_compare_exchange_n(&threads[i], &none, &batch_tls, 0,
			                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				batch_tls.listed = 1;
				break;
			}
		}
	}
	return batch_tls.listed > 0 && !__atomic_load_n(&counting_direct, __ATOMIC_ACQUIRE);
}

void batch_count_call_slow(struct tally_log *log, uint16_t rule)
{
	unsigned i = rule % BATCH_RULES;

	if (unlikely(!register_thread())) {
		__atomic_fetch_add(&log->rules[rule].calls, 1, __ATOMIC_RELAXED);
		return;
	}
	if (batch_tls.rule[i] != rule + 1) {
		add_calls(log, &batch_tls, i);
		__atomic_store_n(&batch_tls.rule[i], (uint16_t)(rule + 1), __ATOMIC_RELAXED);
	}
	if (++batch_tls.calls[i] >= BATCH_MAX)
		add_calls(log, &batch_tls, i);
}

void batch_count_drop_slow(struct tally_log *log)
{
	if (unlikely(!register_thread())) {
		__atomic_fetch_add(&log->hdr->dropped[TALLY_DROP_FULL], 1, __ATOMIC_RELAXED);
		return;
	}
	if (++batch_tls.drops >= BATCH_MAX)
		add_drops(log, &batch_tls);
}

void batch_flush(struct tally_log *log)
{
	if (!log->hdr)
		return;
	__atomic_store_n(&counting_direct, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < BATCH_THREADS; i++) {
		struct batch *b = __atomic_load_n(&threads[i], __ATOMIC_ACQUIRE);
		if (b)
			flush(log, b);
	}
}

void batch_resume(void)
{
	__atomic_store_n(&counting_direct, 0, __ATOMIC_RELEASE);
}

void batch_forget(void)
{
	/* The child is one thread: the others' slots are stale, its own
	 * counts the parent's. */
	for (int i = 0; i < BATCH_THREADS; i++)
		threads[i] = NULL;
	counting_direct = 0;
	batch_tls = (struct batch){ .registered = batch_tls.registered };
}

/* A thread ends: its counts go to the log and its slot is freed.  Calls
 * that later key destructors make register it again (glibc then runs the
 * destructors once more). */
static void thread_exit(void *unused)
{
	(void)unused;
	if (__atomic_load_n(&g_shim.active, __ATOMIC_ACQUIRE))
		runs_end_all();
	batch_tls.registered = 0;
	for (int i = 0; i < BATCH_THREADS; i++) {
		struct batch *me = &batch_tls;
		if (__atomic_load_n(&threads[i], __ATOMIC_RELAXED) == me) {
			if (__atomic_load_n(&g_shim.active, __ATOMIC_ACQUIRE))
				flush(&g_shim.log, &batch_tls);
			__atomic_compare_exchange_n(&threads[i], &me, NULL, 0, __ATOMIC_ACQ_REL,
			                            __ATOMIC_RELAXED);
			break;
		}
	}
	batch_tls.listed = 0;
}

int batch_init(void)
{
	int err = pthread_key_create(&exit_key, thread_exit);

	if (err)
		return -err;
	exit_key_made = 1;
	return 0;
}
