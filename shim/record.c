/*
 * record — the out-of-line parts of the recording path: stack capture and
 * the per-thread id.
 */
#include "record.h"
#include "depot.h"
#include "modules.h"
#include "unwind.h"

#include <unistd.h>

struct shim g_shim;
TLS int rec_depth;
TLS uint32_t rec_tid;
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

void rec_stack(struct rec *r)
{
	struct tally_log *log = &g_shim.log;
	uint64_t frames[TALLY_DEPTH_CAPTURE];
	unsigned n;

	if (unlikely(rec_depth > 1)) {
		r->ev.stack_id = TALLY_STACK_NESTED;
		__atomic_fetch_add(&log->hdr->dropped[TALLY_DROP_NESTED], 1, __ATOMIC_RELAXED);
		return;
	}
	/* Read the generation before the capture: a module mapped meanwhile is
	 * looked up in the next generation by the analyzer. */
	uint32_t gen = __atomic_load_n(&log->hdr->module_generation, __ATOMIC_ACQUIRE);
	n = unwind_capture(frames, g_shim.settings.depth);
	if (unlikely(n == 0)) {
		r->ev.stack_id = TALLY_STACK_NONE;
		return;
	}
	r->ev.stack_id = find_stack(log, gen, frames, n);
	if (likely(r->ev.stack_id)) {
		*recent_slot(frames) = r->ev.stack_id;
		return;
	}
	/* A new stack (rare).  If a frame lies outside every known module, a
	 * library was dlopen'ed since the last scan: note it first, so the
	 * stack is stored with a generation in which its modules exist.
	 * dlopen itself is not wrapped: a wrapper would become the "caller"
	 * glibc uses for RUNPATH and $ORIGIN, and change what gets loaded. */
	if (!modules_cover(log, frames, n)) {
		/* Whether this thread rescanned or another one just did (or is
		 * doing it), the newest generation is the best to store. */
		modules_try_rescan(log);
		gen = __atomic_load_n(&log->hdr->module_generation, __ATOMIC_ACQUIRE);
		r->ev.stack_id = depot_find(log, gen, frames, n);
		if (r->ev.stack_id)
			return;
	}
	r->ev.stack_id = depot_intern(log, gen, frames, n);
	if (r->ev.stack_id != TALLY_STACK_LOST)
		*recent_slot(frames) = r->ev.stack_id;
}
