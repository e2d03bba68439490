/*
 * batch — per-thread counts of booked reference calls.
 *
 * Once the event area is full (a run of days), a booked reference call
 * writes no event.  What it still wrote to lines that every thread shares,
 * the rule's call counter and the count of dropped events (and the
 * sequence number it no longer needs), made threads on different CPUs take
 * those cache lines from each other on every call: two threads booking
 * calls on objects of their own paid 866 ns per ref+unref pair instead of
 * 113 (BENCH.md, section 9).  So, with the area full, those two counts are
 * kept per thread (and the rule's calls also while it fills, when the calls
 * go into runs, runs.h: with TALLY_RUN_SPAN=0 they are counted at once) and added to the log every BATCH_MAX calls, and when the
 * thread ends, the process exits or execs (then every thread's, and from
 * then on every call is counted in the log at once, as destructors and
 * other threads may still make some).  A report of a running or killed
 * process may show up to BATCH_MAX - 1 fewer per thread, for each count
 * (the records of its runs have every call).  A
 * thread counting at the very moment another one exits may have a few of
 * its calls counted twice or not at all.
 */
#ifndef TALLY_BATCH_H
#define TALLY_BATCH_H

#include <stdint.h>

#include "logfile.h"

#define BATCH_MAX 64

/* Rules counted at once per thread: a relay alternates two (ref, unref),
 * a GStreamer thread a few more.  A rule that takes another's place adds
 * its count to the log first. */
#define BATCH_RULES 8

/* One thread's counts (batch.c).  In the header for the inline fast path
 * below: a booked call on a hot path counts without a call. */
struct batch {
	uint32_t drops;
	uint32_t calls[BATCH_RULES];
	uint16_t rule[BATCH_RULES];  /* rule + 1; 0 = unused */
	union {
		struct {
			int8_t listed;       /* in the thread list: 1; no room: -1; 0 not yet */
			uint8_t registered;  /* its thread-exit flush is armed */
		};
		uint16_t ready;              /* BATCH_READY: both, in one compare */
	};
};

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "BATCH_READY");
#define BATCH_READY ((uint16_t)(1u | 1u << 8))   /* listed 1, registered 1 */

extern __attribute__((tls_model("initial-exec"))) __thread struct batch batch_tls;
extern int batch_counting_direct;   /* exit or exec: every call counts at once */

void batch_count_call_slow(struct tally_log *log, uint16_t rule);
void batch_count_drop_slow(struct tally_log *log);

/* Counts one call of `rule`, or one reference event dropped: in this
 * thread's counts while they are short of BATCH_MAX, else (or when the
 * thread is not listed, the rule not in its slot, the process exiting)
 * the slow path, which adds them to the log. */
static inline void batch_count_call(struct tally_log *log, uint16_t rule)
{
	unsigned i = rule % BATCH_RULES;

	if (__builtin_expect(batch_tls.ready == BATCH_READY &&
	                     batch_tls.rule[i] == rule + 1 && batch_tls.calls[i] < BATCH_MAX - 1 &&
	                     !__atomic_load_n(&batch_counting_direct, __ATOMIC_ACQUIRE), 1)) {
		batch_tls.calls[i]++;
		return;
	}
	batch_count_call_slow(log, rule);
}

static inline void batch_count_drop(struct tally_log *log)
{
	if (__builtin_expect(batch_tls.ready == BATCH_READY && batch_tls.drops < BATCH_MAX - 1 &&
	                     !__atomic_load_n(&batch_counting_direct, __ATOMIC_ACQUIRE), 1)) {
		batch_tls.drops++;
		return;
	}
	batch_count_drop_slow(log);
}

/* Both at once: a booked call of `rule` whose event is dropped. */
static inline void batch_count_call_dropped(struct tally_log *log, uint16_t rule)
{
	unsigned i = rule % BATCH_RULES;

	if (__builtin_expect(batch_tls.ready == BATCH_READY && batch_tls.rule[i] == rule + 1 &&
	                     batch_tls.calls[i] < BATCH_MAX - 1 && batch_tls.drops < BATCH_MAX - 1 &&
	                     !__atomic_load_n(&batch_counting_direct, __ATOMIC_ACQUIRE), 1)) {
		batch_tls.calls[i]++;
		batch_tls.drops++;
		return;
	}
	batch_count_call(log, rule);
	batch_count_drop(log);
}

/* Adds every thread's counts to the log now, and counts every later call
 * at once (exit, exec).  batch_resume: an exec failed, batch again. */
void batch_flush(struct tally_log *log);
void batch_resume(void);

/* In a fork child: the counts it inherited are the parent's. */
void batch_forget(void);

/* Registers the flush at thread exit; once, at start.  0 or -errno. */
int batch_init(void);

#endif
