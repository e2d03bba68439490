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
	r->ev.stack_id = depot_find(log, gen, frames, n);
	if (likely(r->ev.stack_id))
		return;
	/* A new stack (rare).  If a frame lies outside every known module, a
	 * library was dlopen'ed since the last scan: note it first, so the
	 * stack is stored with a generation in which its modules exist.
	 * dlopen itself is not wrapped: a wrapper would become the "caller"
	 * glibc uses for RUNPATH and $ORIGIN, and change what gets loaded. */
	if (!modules_cover(log, frames, n) && modules_try_rescan(log))
		gen = __atomic_load_n(&log->hdr->module_generation, __ATOMIC_ACQUIRE);
	r->ev.stack_id = depot_intern(log, gen, frames, n);
}
