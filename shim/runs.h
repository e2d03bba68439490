/*
 * runs — a thread's repeated reference calls as one event record.
 *
 * While the event area has room, a relay's every packet is a booked
 * increment and decrement of its publisher from the same two stacks.  One
 * record per call costs the relay more than the 5 % it may have (BENCH.md,
 * section 7: a claimed slot and its page, whatever the record holds).  So
 * the usual booked call (books_apply_usual: a live object, a stack with a
 * cell of its own) is counted into an open run of its thread instead: one
 * record (TALLY_EVF_RUN, format.h) for the calls of one rule, at one stack,
 * on one object (address and books), by one thread, over at most the run's
 * span.  Each call adds one to the record's count in place, so the log
 * holds every call even after a SIGKILL.  The time of the run's latest
 * call and the object's net after it are written when the run reads the
 * tick: at every call of a slow run, and every 2nd, 4th ... RUN_TICK_EVERY-th
 * call of a busy one, as long as that many calls take under an eighth of
 * the span (a clock read on every call would cost a relay ~10 ns per
 * packet).  The net is written again when the run ends.
 *
 * A thread has RUNS_PER_THREAD runs open at most; a call that matches none
 * opens one in place of the oldest.  A run ends when it is replaced, when
 * its span (TALLY_RUN_SPAN) has passed at one of its tick reads (so a busy
 * run may last an eighth of the span longer) or at its thread's next
 * opening, and in a fork child (the records are the parent's).  Calls inside the shim (a signal handler's) open no run and
 * touch none: their events are written one per call.
 */
#ifndef TALLY_RUNS_H
#define TALLY_RUNS_H

#include <stdint.h>

#include "logfile.h"

#define RUNS_PER_THREAD 4
#define RUN_TICK_EVERY 64
/* A run ends at the tick read after this many calls: its count is an
 * int32 in the record. */
#define RUN_CALLS_MAX (1 << 30)

struct run {
	struct tally_event *rec;    /* the run's record, while addr is set */
	uint64_t addr;              /* the object; 0: no run here */
	uint64_t serial;            /* the object's books (books_apply_usual) */
	uint32_t stack;
	uint16_t rule;
	uint16_t since_tick;        /* calls since the last tick read */
	uint16_t tick_every;        /* calls between tick reads: 1..RUN_TICK_EVERY */
	int32_t net;                /* the object's net after the latest call */
	int64_t tick_ns;            /* the last tick read */
};

extern __attribute__((tls_model("initial-exec"))) __thread struct run run_tls[RUNS_PER_THREAD];

/* What a run needs of the call to open its record. */
struct run_call {
	uint64_t addr, serial;
	uint32_t stack, tid;
	uint16_t rule, type;
	uint8_t role;
	int32_t net;                /* the object's net after the call */
};

/* Opens a run for c (runs.c).  Returns 1 when the call is in the log (a
 * record opened) or counted as a dropped event (the area has just filled),
 * 0 when the caller must record it on its own. */
int run_open(struct tally_log *log, const struct run_call *c);

/* Reads the tick for r: its latest call's time, and ends it when its span
 * has passed; sets how many calls until the next read. */
void run_tick(struct tally_log *log, struct run *r);

/* Adds the usual booked call c to its open run, or opens one.  Returns as
 * run_open.  The caller holds rec_depth (no signal handler's call of this
 * thread comes in between). */
static inline int run_add(struct tally_log *log, const struct run_call *c)
{
	for (unsigned i = 0; i < RUNS_PER_THREAD; i++) {
		struct run *r = &run_tls[i];
		if (r->addr != c->addr || r->stack != c->stack || r->rule != c->rule ||
		    r->serial != c->serial)
			continue;
		/* One instruction: not torn by this thread's signal handlers,
		 * and only this thread writes it. */
		__asm__ volatile("addl $1, %0" : "+m"(r->rec->result));
		r->net = c->net;
		if (++r->since_tick >= r->tick_every)
			run_tick(log, r);
		return 1;
	}
	return run_open(log, c);
}

/* Ends this thread's runs, their records up to date: when it ends, and
 * at exit and exec. */
void runs_end_all(void);

/* In a fork child: the open runs' records are the parent's.  Also for
 * tests: this thread has no run open afterwards. */
void runs_forget(void);

#endif
