/*
 * hooks_ref — the recording path of reference functions: ref_hook_pre runs
 * before the real function, ref_hook_post after it (hooks_tramp.S).
 *
 * Increments, decrements, frees and sinks are booked before the call: once
 * a decrement has run, the memory may be freed and reused by another
 * thread's new object at the same address.  A creation is booked after the
 * call, when its address is known.
 *
 * A reference function called by another one for the same object on the
 * same thread (gst_object_ref -> g_object_ref, g_object_ref_sink ->
 * g_object_ref) is one reference, not two: each thread keeps a short stack
 * of the hooked calls under way, and a call nested in one for the same
 * object is not booked.  Entries left behind by a longjmp or an exception
 * are dropped by their stack pointer.
 */
#include "refhooks.h"
#include "batch.h"
#include "books.h"
#include "memcheck.h"
#include "record.h"
#include "runs.h"

#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

TLS struct active_call ref_active[ACTIVE_MAX];
TLS int ref_nactive;
/* The last call too deep to have an entry: its frame and object. */
static TLS uintptr_t overflow_sp;
static TLS uint64_t overflow_addr;

/* Marks the start of this thread's work in a hook (record.h: rec_work_sp),
 * before any of it: a signal handler's fork must see it. */
static inline void work_begins(uintptr_t sp)
{
	if (ref_hook_busy++ == 0 && !rec_depth)
		rec_work_sp = sp;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static inline void work_ends(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ref_hook_busy--;
}

#define active ref_active
#define nactive ref_nactive

/* What the trampoline's fast post (hooks_tramp.S) assumes. */
_Static_assert(offsetof(struct ref_hook, role) == 26, "TRAMP_HOOK_ROLE");
_Static_assert(TALLY_ROLE_NEW == 1, "TRAMP_ROLE_NEW");
_Static_assert(sizeof(struct active_call) == 32, "TRAMP_ACTIVE_SHIFT");
_Static_assert(offsetof(struct active_call, sp) == 0, "active_call.sp first");
_Static_assert(offsetof(struct active_call, released) == 26, "TRAMP_ACTIVE_RELEASED");
_Static_assert(REF_STACK_WORDS == 32, "TRAMP_STACK_ARGS");

/* Records one reference event and books it; handles enforcement.  Returns
 * the serial of the object a decrement released (book_result.released),
 * else 0.  `stack`: the call's stack id when already taken, else 0;
 * `booked`: the books' result when the call is already booked, else NULL
 * (book_usual).  `raw`: REC_RAW_WORDS for a capture, in the caller's
 * frame, which holds one for its own (book_usual): the hook's stack use
 * stays what it was with one. */
static SHIM_HOT uint64_t record_ref(struct ref_hook *hook, uint64_t addr, int floating,
                                    uint64_t call_seq, uint32_t stack,
                                    const struct book_result *booked, void **raw)
{
	struct rec r;
	struct tally_log *log = &g_shim.log;

	if (!rec_begin(&r, TALLY_EV_OBJ, -1, 0, 0))
		return 0;
	/* A creation keeps nanoseconds: the report compares an object's
	 * creation with its sockets'. */
	if (hook->role == TALLY_ROLE_NEW)
		r.ev.time_ns = rec_mono_ns();
	r.ev.arg = hook->role;
	r.ev.u.obj.addr = addr;
	r.ev.u.obj.rule = hook->rule;
	if (stack)
		r.ev.stack_id = stack;
	else
		rec_stack_into(&r, raw);
	/* With the event area full, no event is written: no sequence number
	 * is taken either, and the books give a new object its serial
	 * (batch.h says why). */
	uint64_t seq = UINT64_MAX;
	if (likely(__atomic_load_n(&log->hdr->events_claimed, __ATOMIC_RELAXED) <
	           log->hdr->max_events))
		seq = rec_claim(&r);
	/* Other reference events take the tick (rec_tick_ns), and only when
	 * an event is written: with the area full, the books read it when
	 * they open or close, the usual increment needs none. */
	if (!r.ev.time_ns && seq != UINT64_MAX)
		r.ev.time_ns = rec_tick_ns();

	struct book_result res;
	if (booked) {
		res = *booked;
	} else {
		struct book_op op = {
			.addr = addr, .role = hook->role, .floating = (uint8_t)floating,
			.type = hook->type, .refs = hook->refs, .stack = r.ev.stack_id,
			.tid = r.ev.tid, .now_ns = r.ev.time_ns,
			.serial = seq == UINT64_MAX ? 0 : seq + 1, .call_seq = call_seq,
		};
		int usual = (hook->role == TALLY_ROLE_INC || hook->role == TALLY_ROLE_DEC)
		                    ? books_apply_usual(log, addr, hook->role, op.stack, op.tid,
		                                        op.now_ns, &res)
		                    : 0;
		if (usual == 1) {
			res.detail = TALLY_OBJD_BOOKED;
			res.violation = 0;
			res.certain = 0;
			res.released = 0;
		} else if (usual == 0) {
			books_apply(log, &op, &res);
		}
	}
	r.ev.u.obj.type = res.type;
	r.ev.u.obj.net = res.net;
	r.ev.u.obj.detail = res.detail;
	if (seq == UINT64_MAX)
		batch_count_drop(log);
	else
		rec_commit(&r);

	if (res.violation) {
		struct rec v = r;
		if (!v.ev.time_ns)
			v.ev.time_ns = rec_tick_ns();
		v.ev.kind = TALLY_EV_VIOLATION;
		v.ev.arg = res.violation;
		v.ev.u.obj.detail = res.certain ? TALLY_OBJD_CERTAIN : 0;
		v.seq = UINT64_MAX;
		rec_commit(&v);
		tallies_add(log, TALLY_EV_VIOLATION,
		            TALLY_VIOL_DETAIL(res.violation, res.certain, res.type),
		            v.ev.stack_id, v.ev.time_ns);
		if (res.certain && log->hdr->enforce == TALLY_ENFORCE_ABORT)
			rec_enforce_abort(res.violation, res.type < log->hdr->types_used
			                                 ? log->types[res.type].name : NULL);
	}
	rec_end(&r);
	return res.released;
}

#ifdef TALLY_BENCH_BOUND
/* The bench's floor builds (bench/run.sh, section 7), never one to run a
 * program with: every call is booked as with the event area full, and a
 * usual one then claims a sequence number and writes one word of a
 * TALLY_BENCH_BOUND-byte slot of the event area.  That is the least an
 * event per call can cost while the area fills, whatever goes into it:
 * the claim, the page faults, the cache lines. */
static inline void bench_bound_touch(void)
{
	struct tally_log *log = &g_shim.log;
	uint64_t seq = __atomic_fetch_add(&log->hdr->events_claimed, 1, __ATOMIC_RELAXED);
	uint64_t slots = log->hdr->max_events * sizeof(struct tally_event) / TALLY_BENCH_BOUND;

	if (seq < slots)
		__atomic_store_n((uint32_t *)((char *)log->events + seq * TALLY_BENCH_BOUND), 1,
		                 __ATOMIC_RELEASE);
}
#endif

/* The usual increment or decrement (a live object, a stack with its own
 * cell, books that stay open) is only its stack and its cell: booked here,
 * without the event record_ref would fill, and counted (the rule's call per
 * thread, batch.h).  With the event area full, its event is counted as
 * dropped; while the area fills, it goes into its thread's run (runs.h).
 * Returns 1 when done.  Else 0, with nothing counted, the stack in *stack
 * and, when the books were changed after all (a decrement that another
 * thread's brought to 0 meanwhile), their result in *res with *booked set:
 * record_ref then does the rest.  Inline: the capture is then taken in
 * ref_hook_pre, one frame fewer to replay. */
static inline __attribute__((always_inline)) int book_usual(const struct ref_hook *hook,
                                                            uint64_t addr, int full,
                                                            uint32_t *stack,
                                                            struct book_result *res,
                                                            int *booked, void **raw)
{
	struct rec r;
	struct tally_log *log = &g_shim.log;
	uint32_t tid = likely(rec_tid) ? rec_tid : rec_tid_slow();

	rec_depth++;
	r.ev.kind = TALLY_EV_OBJ;
	r.ev.arg = hook->role;
	rec_stack_into(&r, raw);
	*stack = r.ev.stack_id;
	int usual = books_apply_usual(log, addr, hook->role, r.ev.stack_id, tid, 0, res);
	if (likely(usual == 1)) {
		if (full) {
#ifdef TALLY_BENCH_BOUND
			bench_bound_touch();
#endif
			batch_count_call_dropped(log, hook->rule);
		} else {
			/* The serial (the slot's second line) only for the run: a
			 * call with the area full has no use for it. */
			uint64_t serial = __atomic_load_n(&log->objects[res->slot].serial,
			                                  __ATOMIC_RELAXED);
			struct run_call c = {
				.addr = addr, .serial = serial, .stack = r.ev.stack_id, .tid = tid,
				.rule = hook->rule, .type = res->type, .role = hook->role,
				.net = res->net,
			};
			run_add(log, &c);
			batch_count_call(log, hook->rule);
		}
		rec_depth--;
		return 1;
	}
	rec_depth--;
	*booked = usual == 2;
	return 0;
}

/* An entry leaves the calls under way: a decrement that released its
 * object tells the books (returned, or left by a longjmp or an exception:
 * either way it is no longer under way). */
static void entry_gone(const struct active_call *e)
{
	if (e->released && rec_on())
		books_release_returned(&g_shim.log, e->call_seq, rec_tid ? rec_tid : rec_tid_slow());
	if (e->creating)
		books_creation_ends((uint16_t)e->type, e->creating == CREATING_SHARED);
}

/* A stack within this distance of another frame of it: see below. */
#define SAME_STACK (1ul << 30)

/* An entry dropped because a call from `sp` says it cannot be under way:
 * surely gone only when it lies on the same stack, at or below sp; one
 * far away may be under way on a coroutine's stack, and its release stays
 * marked (a missed report at worst, never a wrong one). */
static void entry_dropped(const struct active_call *e, uintptr_t sp)
{
	if (e->sp <= sp && sp - e->sp < SAME_STACK)
		entry_gone(e);
}

/* The alternate signal stack this thread is running on: [*lo, *hi), or
 * 0 when it is not on one.  A syscall. */
static int on_altstack(uintptr_t *lo, uintptr_t *hi)
{
	stack_t ss;

	if (sigaltstack(NULL, &ss) != 0 || !(ss.ss_flags & SS_ONSTACK))
		return 0;
	*lo = (uintptr_t)ss.ss_sp;
	*hi = *lo + ss.ss_size;
	return 1;
}

/* Whether sp lies on this thread's alternate signal stack while the
 * call e was made off it: a handler running there interrupted e, which is
 * still under way.  A syscall, on the rare path only. */
static int interrupted_on_altstack(uintptr_t sp, const struct active_call *e)
{
	uintptr_t lo, hi;

	return on_altstack(&lo, &hi) && sp >= lo && sp < hi && !(e->sp >= lo && e->sp < hi);
}


/* Whether the call e may still be under way when a call is made with
 * stack arguments at sp: not when sp lies at or above its frame (the call
 * returned, or a longjmp or an exception left it), unless a handler on the
 * alternate signal stack interrupted it.  Only stack pointers are
 * compared: e's frame may lie on a coroutine stack unmapped since, which
 * must not be read.  A call an exception left, followed by calls from
 * deeper frames, stays until a call from its level or above: the README's
 * limits say so (longjmp is seen: hooks_jump.c). */
static int still_under_way(uintptr_t sp, const struct active_call *e)
{
	if (e->sp > sp && e->sp - sp < SAME_STACK)
		return 1;
	return interrupted_on_altstack(sp, e);
}

/* This thread's shared creations of `type` under way (books_await_birth):
 * a signal handler's call may have interrupted one. */
static int own_shared_creations(uint16_t type)
{
	int n = 0;

	for (int i = 0; i < nactive; i++)
		n += active[i].creating == CREATING_SHARED && active[i].type == type;
	return n;
}

/* Drops the entries of calls that can no longer be under way. */
static void drop_stale(uintptr_t sp)
{
	while (nactive > 0 && !still_under_way(sp, &active[nactive - 1])) {
		nactive--;
		entry_dropped(&active[nactive], sp);
	}
}

/* A longjmp to `target` leaves the shim's own work on this thread when a
 * signal handler that interrupted it jumps out (a watchdog): the work is
 * abandoned, and its counts must not stay up, or every later fork of the
 * thread would be taken for one that interrupted the shim (log_fork_child:
 * a reserved range and no certain violation in each child), nor the books'
 * claim lock stay held (books_abandoned).  A jump within
 * the handler, below the work or on the alternate stack it runs on, leaves
 * it under way.  A syscall only when the shim was interrupted. */
static void work_left_by_longjmp(uintptr_t target)
{
	uintptr_t lo = 0, hi = 0, w = rec_work_sp;

	if ((!ref_hook_busy && !rec_depth) || !target)
		return;
	int alt = on_altstack(&lo, &hi);
	int work_alt = alt && w >= lo && w < hi, target_alt = alt && target >= lo && target < hi;
	int left = work_alt != target_alt ? work_alt : target >= w && target - w < SAME_STACK;
	if (left) {
		ref_hook_busy = 0;
		rec_depth = 0;
		if (rec_on())
			books_abandoned(&g_shim.log, rec_tid);
	}
}

void ref_calls_longjmp(uintptr_t target)
{
	work_left_by_longjmp(target);
	if (overflow_sp && target >= overflow_sp)
		overflow_sp = 0, overflow_addr = 0;   /* the jump leaves that call */
	if (nactive == 0 || target == 0)
		return;
	work_begins((uintptr_t)__builtin_frame_address(0));
	SAVE_ERRNO;
	/* Which of the calls under way lie on the alternate signal stack, if
	 * this thread runs on it (a syscall: only when calls are under way). */
	uintptr_t lo = 0, hi = 0;
	int alt = on_altstack(&lo, &hi);
	int target_alt = alt && target >= lo && target < hi;
	while (nactive > 0) {
		uintptr_t s = active[nactive - 1].sp;
		int s_alt = alt && s >= lo && s < hi;
		/* Made by a handler on the alternate stack the jump leaves. */
		if (s_alt && !target_alt) {
			entry_gone(&active[--nactive]);
			continue;
		}
		/* Made on the target's stack, from a frame the jump unwinds. */
		if (s_alt == target_alt && s <= target && target - s < SAME_STACK) {
			entry_gone(&active[--nactive]);
			continue;
		}
		break;   /* interrupted by a handler: still under way */
	}
	RESTORE_ERRNO;
	work_ends();
}

/* The trampoline copies `want` words of stack arguments (32, or 1024 for
 * a varargs rule), whatever the function takes: near the top of a stack
 * (makecontext, a thread on a stack of its own) fewer can be read.
 * Within one page there is nothing to check. */
static unsigned readable_stack_words(uintptr_t a, unsigned want)
{
	uintptr_t last = a + 8 * (uintptr_t)want - 8;

	if ((a >> 12) == (last >> 12))
		return want;
	for (uintptr_t page = (a | 4095) + 1; page <= last; page += 4096)
		if (!memcheck_word_fast(page))
			return (unsigned)((page - a) / 8);
	return want;
}

SHIM_HOT unsigned ref_hook_pre(struct ref_hook *hook, const uint64_t *regs, const uint64_t *stack_args)
{
	void *raw[REC_RAW_WORDS];   /* the capture's, here or in record_ref */
	work_begins((uintptr_t)stack_args);
	SAVE_ERRNO;
	uintptr_t sp = (uintptr_t)stack_args;
	uint64_t addr = hook->role == TALLY_ROLE_NEW ? 0 : regs[hook->arg];
	int skip = 0, on = rec_on();
	uint64_t call_seq = 0;

	drop_stale(sp);
	/* A call nested in one for the same object is that call's own work
	 * (gst_object_ref -> g_object_ref): not booked.  Except in a
	 * decrement: there GObject's dispose may take a reference (to
	 * emit a signal, or to bring the object back), and the decrement
	 * that drops it again is booked too.  Only the innermost call for
	 * the object decides. */
	struct active_call *outer = NULL;
	for (int i = nactive - 1; i >= 0 && addr; i--)
		if (active[i].addr == addr) {
			outer = &active[i];
			break;
		}
	if (outer) {
		skip = 1;
		if (outer->role == TALLY_ROLE_DEC && hook->role != TALLY_ROLE_FREE) {
			if (hook->role != TALLY_ROLE_DEC)
				skip = 0, outer->inner_refs++;
			else if (outer->inner_refs > 0)
				skip = 0, outer->inner_refs--;
		}
	}
	/* The rule's calls.  With the event area full they are counted per
	 * thread (batch.h), below: with the dropped event when the call is
	 * booked the usual way, else on its own (`uncounted` until then). */
	int full = 0, quiet = 0, uncounted = 0;
	if (on) {
		call_seq = __atomic_load_n(&g_shim.log.hdr->events_claimed, __ATOMIC_RELAXED);
		full = call_seq >= g_shim.log.hdr->max_events;
#ifdef TALLY_BENCH_BOUND
		full = 1;   /* booked as with the area full: bench_bound_touch */
#endif
		/* Counted per thread: with the area full, or with runs (but
		 * not for a signal handler's call inside the shim's). */
		quiet = full || (g_shim.settings.run_span_ms && rec_depth == 0);
		if (unlikely(!quiet))
			__atomic_fetch_add(&g_shim.log.rules[hook->rule].calls, 1, __ATOMIC_RELAXED);
		uncounted = quiet;
	}
	/* Pushed even when recording is off, so that post pops its own. */
	int entered = nactive < ACTIVE_MAX;
	if (entered) {
		struct active_call *e = &active[nactive++];
		e->sp = sp;
		e->addr = addr;
		e->call_seq = call_seq;
		e->skip = (uint8_t)skip;
		e->role = hook->role;
		e->released = 0;
		e->creating = 0;
		e->inner_refs = 0;
		/* Until it returns and is booked, no violation of its type is
		 * certain (books.h). */
		if (hook->role == TALLY_ROLE_NEW && on) {
			int shared = hook->refs >= 2;
			active[nactive - 1].creating = shared ? CREATING_SHARED : CREATING;
			active[nactive - 1].type = hook->type;
			books_creation_begins(hook->type, shared);
		}
	} else if (!skip && addr && addr == overflow_addr && overflow_sp > sp &&
	           overflow_sp - sp < SAME_STACK) {
		/* nested in the last call too deep for an entry, same object
		 * (its post, or a call from its level, ends the record: only
		 * looked at this deep, off the usual path) */
		skip = 1;
	} else if (!skip) {
		/* Deeper than the calls under way can be followed (GVariant's
		 * free recursing over its children, a chain of disposes): booked
		 * without an entry, so that the books still balance.  A call
		 * nested in it for the same object is told only one level down
		 * (above), and a release it makes is never seen to return: each
		 * is a blind spot of its type (no violation of it certain).  A
		 * creation is not booked: its address comes back to the post,
		 * which has no entry to go by. */
		overflow_addr = addr;
		overflow_sp = sp;
		if (hook->role == TALLY_ROLE_NEW)
			skip = 1;
		if (on)
			books_blind_spot(&g_shim.log, hook->type);
	}
	if (!skip && addr && hook->role != TALLY_ROLE_NEW && on) {
		int floating = 0;
		if (hook->role == TALLY_ROLE_SINK && hook->is_floating)
			floating = hook->is_floating((void *)(uintptr_t)addr) != 0;
		uint32_t stack = 0;
		struct book_result res;
		int booked = 0;
		uint64_t released = 0;
		if (quiet && (hook->role == TALLY_ROLE_INC || hook->role == TALLY_ROLE_DEC) &&
		    book_usual(hook, addr, full, &stack, &res, &booked, raw)) {
			uncounted = 0;   /* counted with its dropped event */
		} else {
			if (uncounted)   /* before an abort the books may ask for */
				batch_count_call(&g_shim.log, hook->rule);
			uncounted = 0;
			if (!booked)
				books_await_birth(&g_shim.log, addr, hook->type,
				                  own_shared_creations(hook->type));
			released = record_ref(hook, addr, floating, call_seq, stack,
			                      booked ? &res : NULL, raw);
		}
		if (released && entered) {
			/* ref_hook_post tells the books when it returns; a
			 * decrement's entry needs its call_seq no more.  (A call
			 * too deep for an entry leaves its object marked.) */
			active[nactive - 1].released = 1;
			active[nactive - 1].call_seq = released;
		}
	}
	if (uncounted)
		batch_count_call(&g_shim.log, hook->rule);   /* not booked */
	unsigned words = readable_stack_words(sp, hook->stack_words);
	RESTORE_ERRNO;
	work_ends();
	return words;
}

SHIM_HOT void ref_hook_post(struct ref_hook *hook, uint64_t ret, const uint64_t *stack_args)
{
	void *raw[REC_RAW_WORDS];   /* for record_ref's capture */
	work_begins((uintptr_t)stack_args);
	SAVE_ERRNO;
	uintptr_t sp = (uintptr_t)stack_args;
	/* Our own entry is the innermost one left, unless a longjmp left
	 * deeper ones or there was no room for ours. */
	struct active_call me = { .skip = 1 };
	while (nactive > 0 && active[nactive - 1].sp < sp &&
	       !interrupted_on_altstack(sp, &active[nactive - 1])) {
		nactive--;
		entry_dropped(&active[nactive], sp);
	}
	if (nactive > 0 && active[nactive - 1].sp == sp)
		me = active[--nactive];
	if (overflow_sp && overflow_sp <= sp)
		overflow_sp = 0, overflow_addr = 0;   /* the call too deep returns */
	if (hook->role == TALLY_ROLE_NEW && ret && !me.skip && rec_on())
		record_ref(hook, ret, 0, me.call_seq, 0, NULL, raw);
	entry_gone(&me);
	RESTORE_ERRNO;
	work_ends();
}
