/*
 * batch — per-thread counts for a log whose event area is full; see
 * batch.h for why.
 */
#include "batch.h"
#include "record.h"

#include <pthread.h>

/* Rules counted at once per thread: a relay alternates two (ref, unref),
 * a GStreamer thread a few more.  A rule that takes another's place adds
 * its count to the log first.  Plain per-thread stores, no atomics: a
 * booked call in a signal handler that interrupts this thread's own count
 * can move one call to another rule's count, or lose it; the counts are
 * statistics (batch.h), the books are not kept here. */
#define BATCH_RULES 8

struct batch {
	uint32_t drops;
	uint32_t calls[BATCH_RULES];
	uint16_t rule[BATCH_RULES];  /* rule + 1; 0 = unused */
	uint8_t registered;          /* the thread-exit flush knows this thread */
};

static TLS struct batch batch;
static pthread_key_t exit_key;
static int exit_key_made;

static void add_calls(struct tally_log *log, unsigned i)
{
	if (batch.calls[i] && batch.rule[i])
		__atomic_fetch_add(&log->rules[batch.rule[i] - 1].calls, batch.calls[i],
		                   __ATOMIC_RELAXED);
	batch.calls[i] = 0;
}

static void add_drops(struct tally_log *log)
{
	if (batch.drops)
		__atomic_fetch_add(&log->hdr->dropped[TALLY_DROP_FULL], batch.drops,
		                   __ATOMIC_RELAXED);
	batch.drops = 0;
}

/* The first count of a thread: its exit will flush.  pthread_setspecific
 * takes no lock and, for the first 32 keys of a process, allocates nothing. */
static void register_thread(void)
{
	if (batch.registered || !exit_key_made)
		return;
	batch.registered = 1;
	(void)pthread_setspecific(exit_key, &batch);
}

void batch_count_call(struct tally_log *log, uint16_t rule)
{
	unsigned i = rule % BATCH_RULES;

	if (batch.rule[i] != rule + 1) {
		add_calls(log, i);
		batch.rule[i] = (uint16_t)(rule + 1);
		register_thread();
	}
	if (++batch.calls[i] >= BATCH_MAX)
		add_calls(log, i);
}

void batch_count_drop(struct tally_log *log)
{
	register_thread();
	if (++batch.drops >= BATCH_MAX)
		add_drops(log);
}

void batch_flush(struct tally_log *log)
{
	if (!log->hdr)
		return;
	for (unsigned i = 0; i < BATCH_RULES; i++)
		add_calls(log, i);
	add_drops(log);
}

void batch_forget(void)
{
	uint8_t registered = batch.registered;

	batch = (struct batch){ .registered = registered };
}

/* A thread ends: its counts go to the log, unless it belongs to a process
 * that has no log (any more) or a fork child's thread that never counted. */
static void thread_exit(void *unused)
{
	(void)unused;
	if (__atomic_load_n(&g_shim.active, __ATOMIC_ACQUIRE))
		batch_flush(&g_shim.log);
}

int batch_init(void)
{
	int err = pthread_key_create(&exit_key, thread_exit);

	if (err)
		return -err;
	exit_key_made = 1;
	return 0;
}
