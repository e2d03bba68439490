/*
 * record — the recording path: one event, from the intercepted call's
 * return to the committed record.  Inline because it runs on every call.
 *
 *   struct rec r;
 *   if (rec_begin(&r, TALLY_EV_SOCKET, fd, ret, err)) {
 *           ... fill r.ev ...
 *           rec_stack(&r);           (optional: capture the call stack)
 *           uint64_t seq = rec_claim(&r);
 *           ... publish state with serial seq + 1 ...
 *           rec_commit(&r);
 *           rec_end(&r);
 *   }
 *
 * No malloc, lock or syscall on this path (MEASURED.md): the event slot is
 * claimed with one atomic add, time comes from the vDSO, the thread id is
 * cached per thread.  A thread-local depth guards against recursion: an
 * event raised while the shim is already working on this thread (a signal
 * handler that closes an fd during a capture) is still recorded, but without
 * a stack, and counted.
 */
#ifndef TALLY_RECORD_H
#define TALLY_RECORD_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "clockns.h"
#include "logfile.h"
#include "settings.h"
#include "tallies.h"
#include "forkwalk.h"
#include "unwind.h"
#include "replay.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define TLS __attribute__((tls_model("initial-exec"))) __thread

/* The shim's one piece of global state.  Written by the constructor, by the
 * fork child handler and by shim_reset() in tests; read by every wrapper. */
struct shim {
	struct tally_log log;          /* the mapped log; log.hdr NULL = off */
	struct tally_settings settings;
	int active;                    /* recording */
	int started;                   /* start-up attempted (once) */
	int forked;                    /* a fork child (no exec since): the
	                                * parent's other threads may have held
	                                * GLib's or the loader's locks, for
	                                * good in this process */
};
extern struct shim g_shim;

extern TLS int rec_depth;          /* >0 while the shim works on this thread */
/* >0 while this thread is inside ref_hook_pre, ref_hook_post or
 * ref_calls_longjmp (hooks_ref.c).  With rec_depth, tells a fork from a
 * signal handler that interrupted the shim's own work (log_fork_child). */
extern TLS int ref_hook_busy;
/* The stack pointer where this thread's outermost shim work began (when
 * rec_depth and ref_hook_busy were both 0): a longjmp to a frame at or
 * above it abandons that work (ref_calls_longjmp). */
extern TLS uintptr_t rec_work_sp;
extern TLS int vfork_pending;      /* set by vfork(): maybe a vfork child */
extern TLS uint32_t rec_tid;       /* cached gettid(); 0 = not yet */

uint32_t rec_tid_slow(void);

/* After vfork() the child runs on the parent's memory: its closes must not
 * touch the parent's log.  Clears vfork_pending once this is the process
 * the log belongs to (the parent, resumed); returns whether it is. */
int rec_vfork_settle(void);

/* Whether this thread may touch the log now. */
static inline int rec_on(void)
{
	if (__builtin_expect(!__atomic_load_n(&g_shim.active, __ATOMIC_ACQUIRE), 0))
		return 0;
	if (__builtin_expect(vfork_pending, 0))
		return rec_vfork_settle();
	return 1;
}

/* Starts recording from the first intercepted call when it comes before
 * the shim's constructor (a library constructor that ld.so runs first).
 * Returns whether recording is on. */
int shim_start_early(void);

/* The process is exiting with `status` (exit, _exit, main's return): kept
 * in the log's header (hooks_process.c).  Only in the log's own process. */
void shim_note_exit_status(int status);

struct rec {
	struct tally_event ev;
	uint64_t seq;
};

static inline int64_t rec_clock(clockid_t clock)
{
	return clock_ns(clock);
}

static inline int64_t rec_mono_ns(void)
{
	return rec_clock(CLOCK_MONOTONIC);
}

/* The monotonic clock as of the last kernel tick (4-8 ms behind at HZ=250).
 * Reference events take it: they sit on the program's hot path (a relay
 * takes two per packet), where this read costs a few ns and the full one
 * some 40 ns in a thread that wakes with cold caches (BENCH.md, section 7).
 * Same clock, so times of both kinds compare.  Socket events, far rarer,
 * keep nanoseconds, and so do creations (hooks_ref.c). */
static inline int64_t rec_tick_ns(void)
{
	return rec_clock(CLOCK_MONOTONIC_COARSE);
}

/* Starts an event.  Returns 0 when nothing is to be recorded. */
static inline int rec_begin(struct rec *r, uint16_t kind, int fd, int result, int err)
{
	if (unlikely(!__atomic_load_n(&g_shim.active, __ATOMIC_ACQUIRE)) &&
	    (g_shim.started || !shim_start_early()))
		return 0;
	if (unlikely(vfork_pending) && !rec_vfork_settle())
		return 0;
	if (rec_depth++ == 0 && !ref_hook_busy)
		rec_work_sp = (uintptr_t)__builtin_frame_address(0);
	memset(&r->ev, 0, sizeof(r->ev));
	r->ev.kind = kind;
	r->ev.fd = fd;
	r->ev.result = result;
	r->ev.err = result < 0 ? err : 0;
	/* A reference event's time is read by record_ref, when it needs one. */
	r->ev.time_ns = kind == TALLY_EV_OBJ ? 0 : rec_mono_ns();
	r->ev.tid = likely(rec_tid) ? rec_tid : rec_tid_slow();
	r->seq = UINT64_MAX;
	return 1;
}

/* TALLY_ENFORCE=abort, after the violation was recorded: one line on
 * stderr saying what (enum tally_violation; `type`: the object's type
 * name, or NULL) and where the log is, then abort(). */
__attribute__((noreturn)) void rec_enforce_abort(int violation, const char *type);

/* The out-of-line parts of rec_stack. */
void rec_stack_nested(struct rec *r);
void rec_stack_done(struct rec *r, uint32_t gen, void **raw, unsigned n, unsigned ask,
                    uintptr_t site, uintptr_t sp, uintptr_t bp);

/* How many of the shim's own frames lie above a capture taken in the
 * wrapper, per event kind: 1 (the wrapper) for the socket calls, more when
 * a helper or the reference trampoline sits between the program and the
 * capture.  rec_stack asks libunwind for depth + this many frames, not for
 * depth + a fixed maximum: each frame walked and thrown away costs ~8 ns.
 * It only grows: rec_stack_done learns it when a capture finds more of the
 * shim's frames than expected, and then captures again, so no program frame
 * is ever lost to a low hint. */
#define REC_SKIP_HINT_MAX 8
extern uint8_t rec_skip_hint[TALLY_EV_KIND_MAX];

/* The words of the buffer a capture fills (rec_stack_into). */
#define REC_RAW_WORDS (TALLY_DEPTH_CAPTURE + REC_SKIP_HINT_MAX)

/* Captures the stack into the depot (or marks the event nested).  Inline,
 * so the unwinder starts from the wrapper: one frame fewer to walk than
 * from a function of its own.  A capture this thread made before from the
 * same code at the same stack pointer, whose stack words have not changed,
 * is not taken again (replay.h).  `raw`: REC_RAW_WORDS for the unwinder,
 * in this frame or a caller's (so that nested functions that each capture
 * share one: hooks_ref.c). */
static inline __attribute__((always_inline)) void rec_stack_into(struct rec *r, void **raw)
{
	if (unlikely(rec_depth > 1) || unlikely(!unwind_backtrace_fn) ||
	    unlikely(loader_child_unsafe)) {
		rec_stack_nested(r);
		return;
	}
	/* Read the generation before the capture: a module mapped meanwhile is
	 * looked up in the next generation by the analyzer. */
	uint32_t gen = __atomic_load_n(&g_shim.log.hdr->module_generation, __ATOMIC_ACQUIRE);
	/* This code's address, and rsp and rbp as the capture below sees them
	 * (no push or pop between here and the call). */
	uintptr_t site = 0, sp = 0, bp = 0;
	uint32_t id = 0;
#if defined(__x86_64__)
	__asm__ volatile("lea 0(%%rip), %0\n\tmov %%rsp, %1\n\tmov %%rbp, %2"
	                 : "=r"(site), "=r"(sp), "=r"(bp));
	if (likely(!g_shim.settings.no_replay))
		id = replay_match(site, sp, bp, (uintptr_t)__builtin_return_address(0),
		                  replay_tag(r->ev.kind, r->ev.arg), gen);
#endif
#ifndef TALLY_REPLAY_CHECK
	if (likely(id)) {
		r->ev.stack_id = id;
		return;
	}
#endif
	unsigned kind = r->ev.kind < TALLY_EV_KIND_MAX ? r->ev.kind : 0;
	unsigned ask = g_shim.settings.depth + __atomic_load_n(&rec_skip_hint[kind], __ATOMIC_RELAXED);
	unwind_stack_hi = (uintptr_t)raw;
	int (*walker)(void **, int) = unwind_walker();
	forkwalk_begin();   /* libunwind's lock, fork: forkwalk.h */
	int n = walker(raw, (int)ask);
	forkwalk_end();
#ifdef TALLY_REPLAY_CHECK
	/* Test builds: a step-by-step walk is taken again by unw_backtrace,
	 * from here too, and must give the same frames (all but the first,
	 * each one's own return address here). */
	if (walker != unwind_backtrace_fn)
		unwind_check_step(raw, n, (int)ask);
#endif
	rec_stack_done(r, gen, raw, n > 0 ? (unsigned)n : 0, ask, site, sp, bp);
#ifdef TALLY_REPLAY_CHECK
	/* Test builds: every replayed stack is taken again and compared. */
	if (id && id != r->ev.stack_id)
		replay_mismatch(id, r->ev.stack_id);
#endif
	unwind_stack_hi = 0;
}

static inline __attribute__((always_inline)) void rec_stack(struct rec *r)
{
	void *raw[REC_RAW_WORDS];

	rec_stack_into(r, raw);
}

/* Claims the event's sequence number; seq + 1 is the serial of a socket
 * the event creates. */
static inline uint64_t rec_claim(struct rec *r)
{
	r->seq = __atomic_fetch_add(&g_shim.log.hdr->events_claimed, 1, __ATOMIC_RELAXED);
	return r->seq;
}

/* Writes the event into its slot, or counts it dropped. */
static inline void rec_commit(struct rec *r)
{
	struct tally_header *hdr = g_shim.log.hdr;

	if (r->seq == UINT64_MAX)
		rec_claim(r);
	/* Failed calls are counted apart as well: exact when events drop. */
	if (unlikely(r->ev.result < 0) && tallies_wanted(r->ev.kind))
		tallies_add(&g_shim.log, r->ev.kind, (uint16_t)r->ev.err, r->ev.stack_id,
		            r->ev.time_ns);
	if (unlikely(r->seq >= hdr->max_events)) {
		__atomic_fetch_add(&hdr->dropped[TALLY_DROP_FULL], 1, __ATOMIC_RELAXED);
		return;
	}
	struct tally_event *slot = &g_shim.log.events[r->seq];
	uint32_t check = tally_event_check(&r->ev, r->seq);
	memcpy((char *)slot + 4, (const char *)&r->ev + 4, sizeof(*slot) - 4);
	/* The check word last: a reader that finds it valid has the record. */
	__atomic_store_n(&slot->check, check, __ATOMIC_RELEASE);
}

static inline void rec_end(struct rec *r)
{
	(void)r;
	rec_depth--;
}

/* errno-preserving helpers for the wrappers. */
extern TLS int *rec_errno_at;      /* this thread's errno; 0 = not yet */

/* This thread's errno, without a call into libc each time: the wrappers
 * and reference hooks save and restore it on every call. */
static inline int *rec_errno(void)
{
	int *p = rec_errno_at;
	if (unlikely(!p))
		p = rec_errno_at = &errno;
	return p;
}

#define SAVE_ERRNO int *errno_at__ = rec_errno(); int saved_errno__ = *errno_at__
#define RESTORE_ERRNO *errno_at__ = saved_errno__

#endif
