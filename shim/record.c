/*
 * record — the out-of-line parts of the recording path: stack capture and
 * the per-thread id.
 */
#include "record.h"
#include "depot.h"
#include "modules.h"
#include "unwind.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct shim g_shim;
TLS int rec_depth;
TLS uintptr_t rec_work_sp;
TLS int ref_hook_busy;
TLS uint32_t rec_tid;
TLS int *rec_errno_at;
TLS int vfork_pending;

int rec_vfork_settle(void)
{
	/* getpid() is a syscall: paid once in the parent after each vfork,
	 * and on each event in a vfork child (which is about to exec). */
	if (!g_shim.log.hdr || getpid() != g_shim.log.hdr->pid)
		return 0;
	vfork_pending = 0;
	return 1;
}

/* The stacks this thread recorded last, by innermost frame: a call site
 * usually records many events, and one memcmp against the depot entry is
 * cheaper than hashing the frames and probing the index. */
#define STACK_CACHE 8
static TLS uint32_t recent_stacks[STACK_CACHE];

static inline uint32_t *recent_slot(const uint64_t *frames)
{
	return &recent_stacks[(frames[0] >> 2) % STACK_CACHE];
}

static uint32_t find_stack(struct tally_log *log, uint32_t gen, const uint64_t *frames,
                           unsigned n)
{
	uint32_t id = *recent_slot(frames);
	const struct tally_stack *st = depot_entry(log, id);

	if (st && st->depth == n && st->generation == gen &&
	    memcmp(&log->frames[st->frames_index], frames, n * sizeof(*frames)) == 0)
		return id;
	return depot_find(log, gen, frames, n);
}

/* shim.c defines the real one; this weak default lets the recording path be
 * linked into unit tests without the constructor that would start it. */
__attribute__((weak)) int shim_start_early(void)
{
	return 0;
}

uint32_t rec_tid_slow(void)
{
	/* One syscall per thread, the first time it records. */
	rec_tid = (uint32_t)gettid();
	return rec_tid;
}

uint8_t rec_skip_hint[TALLY_EV_KIND_MAX] = { [0 ... TALLY_EV_KIND_MAX - 1] = 1 };

void rec_enforce_abort(int violation, const char *type)
{
	static const char *const names[TALLY_VIOL_MAX] = {
		[TALLY_VIOL_UNDERFLOW] = "an unref with no reference left",
		[TALLY_VIOL_AFTER_RELEASE] = "a reference after release",
		[TALLY_VIOL_DOUBLE_CLOSE] = "a second close of a socket",
	};
	const char *what = violation > 0 && violation < TALLY_VIOL_MAX && names[violation]
	                   ? names[violation] : "a violation";
	char line[TALLY_PATH_MAX + 200];
	int n = snprintf(line, sizeof(line), "tally: TALLY_ENFORCE=abort: %s%s%.64s; aborting "
	                 "(the stack is in %s)\n", what, type ? " of " : "", type ? type : "",
	                 g_shim.log.path);
	/* Not into a socket: a daemon's fd 2 may be one of its connections. */
	struct stat st;
	if (n > 0 && fstat(2, &st) == 0 && !S_ISSOCK(st.st_mode))
		(void)!write(2, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	abort();
}

void rec_stack_nested(struct rec *r)
{
	if (rec_depth > 1) {
		r->ev.stack_id = TALLY_STACK_NESTED;
		__atomic_fetch_add(&g_shim.log.hdr->dropped[TALLY_DROP_NESTED], 1, __ATOMIC_RELAXED);
	} else {
		/* no unwinder, or a fork child that must not walk the modules
		 * (forkwalk.h) */
		r->ev.stack_id = TALLY_STACK_NONE;
	}
}

/* A capture with more of the shim's frames in it than rec_skip_hint said:
 * the program's innermost frames may have been cut off at the end.  Takes
 * the stack again from here, asking for as many more frames as needed, and
 * raises the hint for the next capture of this kind. */
static __attribute__((noinline)) unsigned recapture(unsigned kind, uint64_t *frames,
                                                     unsigned max, unsigned skipped)
{
	void *raw[TALLY_DEPTH_CAPTURE + 32];
	unsigned n, out = 0, shim = skipped + 1;   /* + this function's frame */

	for (int tries = 0; tries < 4; tries++) {
		unsigned ask = max + shim;
		if (ask > TALLY_DEPTH_CAPTURE + 32)
			ask = TALLY_DEPTH_CAPTURE + 32;
		forkwalk_begin();
		n = (unsigned)unwind_walker()(raw, (int)ask);
		forkwalk_end();
		out = unwind_keep(raw, n, frames, max);
		if (n < ask || out == max || ask == TALLY_DEPTH_CAPTURE + 32)
			break;
		shim = n - out;   /* more of them further in: ask again */
	}
	/* The capture in the wrapper has this function's frame less. */
	unsigned hint = n > out ? n - out - 1 : 0;
	if (out < max && n == TALLY_DEPTH_CAPTURE + 32)
		hint = REC_SKIP_HINT_MAX;
	if (hint > REC_SKIP_HINT_MAX)
		hint = REC_SKIP_HINT_MAX;
	if (hint > __atomic_load_n(&rec_skip_hint[kind], __ATOMIC_RELAXED))
		__atomic_store_n(&rec_skip_hint[kind], (uint8_t)hint, __ATOMIC_RELAXED);
	return out;
}

/* The program's frames of a raw capture: in place when the shim's frames
 * are all above them (the usual case: only the wrapper), else filtered into
 * buf.  At most max of them; their count in *out. */
static inline const uint64_t *program_frames(void **raw, unsigned n, unsigned max,
                                             uint64_t *buf, unsigned *out)
{
	uintptr_t lo = unwind_self_lo, span = unwind_self_hi - unwind_self_lo;
	unsigned i = 0, end, shim = 0;

	while (i < n && (uintptr_t)raw[i] - lo < span)
		i++;
	end = n - i > max ? i + max : n;
	for (unsigned j = i; j < end; j++)
		shim |= (uintptr_t)raw[j] - lo < span;
	if (likely(!shim)) {
		*out = end - i;
		return (const uint64_t *)(raw + i);
	}
	*out = unwind_keep(raw + i, n - i, buf, max);
	return buf;
}

void rec_stack_done(struct rec *r, uint32_t gen, void **raw, unsigned n, unsigned ask,
                    uintptr_t site, uintptr_t sp, uintptr_t bp)
{
	struct tally_log *log = &g_shim.log;
	uint64_t buf[TALLY_DEPTH_CAPTURE];
	const uint64_t *frames;
	unsigned max = g_shim.settings.depth, out;

	if (max > TALLY_DEPTH_CAPTURE)
		max = TALLY_DEPTH_CAPTURE;
	frames = program_frames(raw, n, max, buf, &out);
	/* The buffer was filled and fewer than `max` frames were kept: more of
	 * the shim's frames than the hint said, and the program's may go on. */
	if (unlikely(n == ask && out < max)) {
		out = recapture(r->ev.kind < TALLY_EV_KIND_MAX ? r->ev.kind : 0, buf, max, n - out);
		frames = buf;
	}
	if (unlikely(out == 0)) {
		r->ev.stack_id = TALLY_STACK_NONE;
		return;
	}
	r->ev.stack_id = find_stack(log, gen, frames, out);
	if (likely(r->ev.stack_id)) {
		*recent_slot(frames) = r->ev.stack_id;
		if (frames != buf && !g_shim.settings.no_replay)   /* the wrapper's own capture */
			replay_learn(site, sp, bp, replay_tag(r->ev.kind, r->ev.arg), raw, n, ask,
			             r->ev.stack_id, gen);
		return;
	}
	/* A new stack (rare).  If a frame lies outside every known module, a
	 * library was dlopen'ed since the last scan: note it first, so the
	 * stack is stored with a generation in which its modules exist.
	 * dlopen itself is not wrapped: a wrapper would become the "caller"
	 * glibc uses for RUNPATH and $ORIGIN, and change what gets loaded. */
	if (!modules_cover(log, frames, out)) {
		/* Whether this thread rescanned or another one just did (or is
		 * doing it), the newest generation is the best to store. */
		modules_try_rescan(log);
		gen = __atomic_load_n(&log->hdr->module_generation, __ATOMIC_ACQUIRE);
		r->ev.stack_id = depot_find(log, gen, frames, out);
		if (r->ev.stack_id)
			return;
	}
	r->ev.stack_id = depot_intern(log, gen, frames, out);
	if (r->ev.stack_id != TALLY_STACK_LOST)
		*recent_slot(frames) = r->ev.stack_id;
}
