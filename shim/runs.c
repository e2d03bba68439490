/*
 * runs — opening, ticking and ending a thread's runs of reference calls;
 * runs.h says why there are runs.
 */
#include "runs.h"
#include "record.h"

TLS struct run run_tls[RUNS_PER_THREAD];
/* Where the next run opens when all are taken: round robin, the oldest. */
static TLS unsigned next_victim;

static int64_t span_ns(void)
{
	return (int64_t)g_shim.settings.run_span_ms * 1000000;
}

/* Writes what changed of r's record since its last tick: the time of the
 * latest call whose tick it read (r->tick_ns) and the object's net after
 * its latest call. */
static void write_tick(struct run *r)
{
	int64_t us = (r->tick_ns - r->rec->time_ns) / 1000;

	if (us < 0)
		us = 0;
	if (us > INT32_MAX)
		us = INT32_MAX;
	__atomic_store_n(&r->rec->err, (int32_t)us, __ATOMIC_RELAXED);
	__atomic_store_n(&r->rec->u.obj.net, r->net, __ATOMIC_RELAXED);
}

/* Ends r.  Its record keeps the time of the latest call whose tick it read,
 * not the time it ends: a slow run replaced long after its last call. */
static void end_run(struct run *r)
{
	write_tick(r);
	r->addr = 0;
}

void run_tick(struct tally_log *log, struct run *r)
{
	(void)log;
	int64_t now = rec_tick_ns(), span = span_ns();
	int64_t took = now - r->tick_ns;   /* by the last tick_every calls */

	r->since_tick = 0;
	r->tick_ns = now;
	if (now - r->rec->time_ns >= span || r->rec->result >= RUN_CALLS_MAX) {
		end_run(r);
		return;
	}
	write_tick(r);
	/* Twice as many calls would still take under an eighth of the span:
	 * read the tick half as often.  Slower than that: at every call. */
	if (2 * took < span / 8) {
		if (r->tick_every < RUN_TICK_EVERY)
			r->tick_every *= 2;
	} else if (took > span / 8) {
		r->tick_every = 1;
	}
}

int run_open(struct tally_log *log, const struct run_call *c)
{
	int64_t now = rec_tick_ns();
	uint64_t seq = __atomic_fetch_add(&log->hdr->events_claimed, 1, __ATOMIC_RELAXED);

	/* Runs past their span end now: this thread reads the tick anyway. */
	unsigned victim = RUNS_PER_THREAD;
	for (unsigned i = 0; i < RUNS_PER_THREAD; i++) {
		struct run *r = &run_tls[i];
		if (r->addr && now - r->rec->time_ns >= span_ns())
			end_run(r);
		if (!r->addr && victim == RUNS_PER_THREAD)
			victim = i;
	}
	if (seq >= log->hdr->max_events) {
		__atomic_fetch_add(&log->hdr->dropped[TALLY_DROP_FULL], 1, __ATOMIC_RELAXED);
		return 1;
	}
	if (victim == RUNS_PER_THREAD) {
		victim = next_victim++ % RUNS_PER_THREAD;
		end_run(&run_tls[victim]);
	}

	struct tally_event ev = {
		.kind = TALLY_EV_OBJ, .flags = TALLY_EVF_RUN, .time_ns = now, .tid = c->tid,
		.stack_id = c->stack, .fd = -1, .arg = c->role,
		.u.obj = { .addr = c->addr, .rule = c->rule, .type = c->type,
		           .detail = TALLY_OBJD_BOOKED },
	};
	struct tally_event *slot = &log->events[seq];
	uint32_t check = tally_event_check(&ev, seq);
	ev.result = 1;
	ev.u.obj.net = c->net;
	memcpy((char *)slot + 4, (const char *)&ev + 4, sizeof(*slot) - 4);
	__atomic_store_n(&slot->check, check, __ATOMIC_RELEASE);

	struct run *r = &run_tls[victim];
	r->rec = slot;
	r->addr = c->addr;
	r->serial = c->serial;
	r->stack = c->stack;
	r->rule = c->rule;
	r->since_tick = 0;
	r->tick_every = 1;
	r->tick_ns = now;
	r->net = c->net;
	return 1;
}

void runs_end_all(void)
{
	for (unsigned i = 0; i < RUNS_PER_THREAD; i++)
		if (run_tls[i].addr)
			end_run(&run_tls[i]);
}

void runs_forget(void)
{
	/* The records stay pointed at: a call the fork interrupted (a signal
	 * handler's) may still write there, into the parent's mapping, which
	 * the child has replaced by zero pages (logfile.c). */
	for (unsigned i = 0; i < RUNS_PER_THREAD; i++)
		__atomic_store_n(&run_tls[i].addr, 0, __ATOMIC_RELAXED);
	next_victim = 0;
}
