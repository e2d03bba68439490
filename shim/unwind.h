/*
 * unwind — call-stack capture with libunwind, without letting libunwind
 * change the program (MEASURED.md, hazards 1 and 2).
 *
 * libunwind is dlopen'ed RTLD_LOCAL, never linked: a DT_NEEDED on
 * libunwind.so.8 would make libstdc++ bind _Unwind_RaiseException & co to
 * libunwind's copies.  Its memory-validation pipe is refused (see
 * unwind_refuses_pipe) so it never holds an fd the program could reuse.
 */
#ifndef TALLY_UNWIND_H
#define TALLY_UNWIND_H

#include <stdint.h>

#define TALLY_DEPTH_CAPTURE 64   /* most frames a capture returns */

/* Loads libunwind and takes one warm-up capture (the first one costs
 * ~130 µs and ~50 syscalls).  Returns 0, or -1 when libunwind is missing:
 * events are then recorded without stacks. */
int unwind_init(void);

/* While this thread captures: an address in the capturing wrapper's frame.
 * Stack memory from the unwinder's frames up to it is readable without a
 * check (checked_access_mem); 0 otherwise. */
extern __attribute__((tls_model("initial-exec"))) __thread uintptr_t unwind_stack_hi;

/* Set by unwind_init(), read-only afterwards. */
extern int (*unwind_backtrace_fn)(void **buffer, int size);

/* The same capture by libunwind's step-by-step walk, or NULL.  unw_backtrace
 * gives every thread it walks in a cache of 256 KiB, mapped and filled at
 * its first walk there (~130 µs): most threads need few walks (replay.h
 * recognises the repeats), so each thread's first UNWIND_STEP_WALKS are
 * walked step by step instead (~6 µs each, and two rt_sigprocmask per
 * frame: MEASURED.md), and only a thread that walks more gets the cache. */
#define UNWIND_STEP_WALKS 16
extern int (*unwind_step_fn)(void **buffer, int size);
extern __attribute__((tls_model("initial-exec"))) __thread unsigned unwind_step_walks;

/* Test builds (TALLY_REPLAY_CHECK): takes the stack again with
 * unw_backtrace, from the caller's caller, and aborts unless it gives
 * raw[1..n) and n as the step walk did. */
void unwind_check_step(void *const *raw, int n, int ask);

/* The capture function for this thread's next walk: called from the
 * capturing code itself, as either one's first frame is its caller. */
static inline int (*unwind_walker(void))(void **, int)
{
	return __builtin_expect(unwind_step_walks < UNWIND_STEP_WALKS && unwind_step_fn != 0, 0)
		       ? unwind_step_fn
		       : unwind_backtrace_fn;
}
extern uintptr_t unwind_self_lo, unwind_self_hi;   /* libtally.so's range */

/* Keeps the program's frames of a raw capture: the shim's own frames (the
 * wrapper and its helpers at the top; further in, the reference trampoline
 * between a hooked function and its caller) are dropped.  Returns how many
 * of at most `max` were written to frames. */
static inline unsigned unwind_keep(void *const *raw, unsigned n, uint64_t *frames,
                                   unsigned max)
{
	uintptr_t lo = unwind_self_lo, span = unwind_self_hi - unwind_self_lo;
	unsigned out = 0;

	for (unsigned i = 0; i < n && out < max; i++) {
		uintptr_t pc = (uintptr_t)raw[i];
		if (pc - lo >= span)
			frames[out++] = (uint64_t)pc;
	}
	return out;
}

/* Captures up to `max` return addresses of the caller's stack, innermost
 * first, with the shim's own frames removed.  Returns the count (0 when no
 * unwinder is available).  The recording path captures inline instead
 * (rec_stack in record.h). */
#define UNWIND_SKIP_MAX 4
static inline unsigned unwind_capture(uint64_t *frames, unsigned max)
{
	void *raw[TALLY_DEPTH_CAPTURE + UNWIND_SKIP_MAX];

	if (!unwind_backtrace_fn)
		return 0;
	if (max > TALLY_DEPTH_CAPTURE)
		max = TALLY_DEPTH_CAPTURE;
	int n = unwind_backtrace_fn(raw, (int)(max + UNWIND_SKIP_MAX));
	return unwind_keep(raw, n > 0 ? (unsigned)n : 0, frames, max);
}

/* True when a pipe()/pipe2() call comes from libunwind's own code (its
 * validation pipe): the wrapper then fails it with EMFILE.  libunwind copes
 * by treating unvalidated memory as unreadable, which only ends a stack a
 * little earlier in code with no unwind info. */
int unwind_refuses_pipe(const void *caller);

/* Tells libunwind that code was unmapped (dlclose). */
void unwind_flush(void);

/* The shim's own text range, for tests. */
void unwind_self_range(uintptr_t *lo, uintptr_t *hi);

#endif
