/*
 * unwind — libunwind behind one small interface.
 */
#include "unwind.h"
#include "forkwalk.h"
#include "memcheck.h"
#include "replay.h"
#include "real.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>



typedef int (*backtrace_fn)(void **buffer, int size);
typedef int (*flush_fn)(void *as, uintptr_t lo, uintptr_t hi);
typedef int (*access_mem_fn)(void *as, uintptr_t addr, uintptr_t *val, int write, void *arg);

/* The head of libunwind's unw_accessors_t (libunwind-common.h): stable
 * since libunwind 0.99; access_mem is its fourth member. */
struct unw_accessors_head {
	void *find_proc_info;
	void *put_unwind_info;
	void *get_dyn_info_list_addr;
	access_mem_fn access_mem;
};
typedef struct unw_accessors_head *(*get_accessors_fn)(void *as);

/* Set once by unwind_init() in the constructor, read-only afterwards. */
backtrace_fn unwind_backtrace_fn;
backtrace_fn unwind_step_fn;
__attribute__((tls_model("initial-exec"))) __thread unsigned unwind_step_walks;

/* libunwind's step-by-step walk (libunwind.h, local only). */
static int (*getcontext_p)(unw_context_t *);
static int (*init_local_p)(unw_cursor_t *, unw_context_t *);
static int (*step_p)(unw_cursor_t *);
static int (*get_reg_p)(unw_cursor_t *, unw_regnum_t, unw_word_t *);

/* unw_backtrace's result without its per-thread cache: the return address
 * into each caller, the first into this function's own caller (as
 * unw_backtrace's first is into its caller).  libunwind's own fallback
 * when its fast trace fails walks the same way. */
static __attribute__((noinline)) int step_backtrace(void **buffer, int size)
{
	unw_context_t uc;
	unw_cursor_t cursor;
	int n = 0;

	unwind_step_walks++;
	if (getcontext_p(&uc) < 0 || init_local_p(&cursor, &uc) < 0)
		return 0;
	while (n < size && step_p(&cursor) > 0) {
		unw_word_t ip;
		/* Where unw_backtrace's fast trace stops too: a return address
		 * below 0x4000 is no code.  unw_step goes on guessing from rbp
		 * (through code without unwind info, an entry hook's stub), and
		 * the fallback walk would keep what it guessed (a review found
		 * gst-launch's stacks ending in 0x246 and stack garbage). */
		if (get_reg_p(&cursor, UNW_REG_IP, &ip) < 0 || ip < 0x4000)
			break;
		buffer[n++] = (void *)(uintptr_t)ip;
	}
	return n;
}

void unwind_check_step(void *const *raw, int n, int ask)
{
	void *again[TALLY_DEPTH_CAPTURE + 40];
	static const char msg[] =
		"tally: TALLY_REPLAY_CHECK: the step-by-step walk differs from unw_backtrace's\n";

	if (ask + 1 > (int)(sizeof(again) / sizeof(again[0])))
		return;
	/* One frame more: this function's own comes first. */
	forkwalk_begin();
	int m = unwind_backtrace_fn(again, ask + 1);
	forkwalk_end();
	/* Where its fast trace fails, unw_backtrace walks step by step again
	 * and keeps what lies past a return address below 0x4000: not a
	 * difference of the step walk's. */
	for (int i = 1; i < m; i++)
		if ((uintptr_t)again[i] < 0x4000) {
			m = i;
			break;
		}
	int same = m == n + 1;
	for (int i = 1; same && i < n; i++)
		same = again[i + 1] == raw[i];
	if (!same) {
		ssize_t w = write(2, msg, sizeof(msg) - 1);
		(void)w;
		abort();
	}
}
static flush_fn unw_flush_p;
static void **unw_local_as_p;
uintptr_t unwind_self_lo, unwind_self_hi;
static uintptr_t unwinder_lo, unwinder_hi; /* libunwind's mapped range */

/* Replaces libunwind's local access_mem: every read is validated (cheap:
 * this runs only when libunwind fills its cache for a new call site). */
__attribute__((tls_model("initial-exec"))) __thread uintptr_t unwind_stack_hi;

static int checked_access_mem(void *as, uintptr_t addr, uintptr_t *val, int write, void *arg)
{
	(void)as, (void)arg;
	if (write) {
		*(uintptr_t *)addr = *val;
		return 0;
	}
	/* Reads of the context unw_backtrace keeps in its own frame (about four
	 * per capture): between this frame and the capturing wrapper's, on the
	 * stack in use, so readable; no check needed.  The 16 KiB bound (the
	 * capture's frames take ~4 KiB) keeps a signal handler running on an
	 * alternate stack during a capture, and using this libunwind itself,
	 * from taking memory between two stacks for this one. */
	uintptr_t here = (uintptr_t)__builtin_frame_address(0), hi = unwind_stack_hi;
	if (hi - here <= 16384 && addr >= here && addr < hi && hi - addr >= sizeof(uintptr_t)) {
		*val = *(const uintptr_t *)addr;
		return 0;
	}
	/* Without an fd, unlike libunwind's own check (MEASURED.md, hazard 1). */
	if (!memcheck_word(addr))
		return -1;
	*val = *(const uintptr_t *)addr;
	return 0;
}

struct range_query {
	uintptr_t addr, lo, hi;
	int found;
};

static int range_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct range_query *q = data;
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (q->addr >= lo && q->addr < hi) {
		q->lo = lo, q->hi = hi, q->found = 1;
		return 1;
	}
	return 0;
}

/* The mapped range of the object containing `addr`. */
static int range_of(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
	struct range_query q = { (uintptr_t)addr, 0, 0, 0 };

	dl_iterate_phdr(range_cb, &q);
	*lo = q.lo, *hi = q.hi;
	return q.found ? 0 : -1;
}

int unwind_init(void)
{
	void *lib;

	range_of((const void *)unwind_init, &unwind_self_lo, &unwind_self_hi);
	if (unwind_backtrace_fn)
		return 0;
	lib = real.dlopen ? real.dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!lib)
		return -1;
	*(void **)&unwind_backtrace_fn = dlsym(lib, "unw_backtrace");
	*(void **)&unw_flush_p = dlsym(lib, "_Ux86_64_flush_cache");
	unw_local_as_p = dlsym(lib, "_ULx86_64_local_addr_space");
	if (!unwind_backtrace_fn)
		return -1;
	range_of((const void *)unwind_backtrace_fn, &unwinder_lo, &unwinder_hi);

	/* Initialises libunwind (whose pipe2 is refused: unwinder range is
	 * known now) and swaps in a memory check that needs no fd. */
	get_accessors_fn get_accessors = (get_accessors_fn)dlsym(lib, "_Ux86_64_get_accessors");
	struct unw_accessors_head *acc =
		get_accessors && unw_local_as_p ? get_accessors(*unw_local_as_p) : NULL;
	if (!acc) {
		unwind_backtrace_fn = NULL;   /* would need the pipe: no stacks */
		return -1;
	}
	acc->access_mem = checked_access_mem;

	*(void **)&getcontext_p = dlsym(lib, "_Ux86_64_getcontext");
	*(void **)&init_local_p = dlsym(lib, "_ULx86_64_init_local");
	*(void **)&step_p = dlsym(lib, "_ULx86_64_step");
	*(void **)&get_reg_p = dlsym(lib, "_ULx86_64_get_reg");
	if (getcontext_p && init_local_p && step_p && get_reg_p)
		unwind_step_fn = step_backtrace;

	uint64_t warm[4];
	unwind_capture(warm, 4);
	return 0;
}

int unwind_refuses_pipe(const void *caller)
{
	uintptr_t c = (uintptr_t)caller;
	return unwinder_hi && c >= unwinder_lo && c < unwinder_hi;
}

void unwind_flush(void)
{
	replay_forget();
	if (unw_flush_p && unw_local_as_p) {
		forkwalk_begin();   /* libunwind takes its lock: forkwalk.h */
		unw_flush_p(*unw_local_as_p, 0, 0);
		forkwalk_end();
	}
}

void unwind_self_range(uintptr_t *lo, uintptr_t *hi)
{
	*lo = unwind_self_lo, *hi = unwind_self_hi;
}
