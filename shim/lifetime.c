/*
 * lifetime — objects kept alive on purpose, found at exit.
 *
 * The books say an object is alive; its memory may still have been freed
 * by a path no rule names.  So every read of it is checked first
 * (memcheck), and the GType check, which follows pointers inside the
 * object, runs under a SIGSEGV/SIGBUS guard that only this thread's fault
 * trips: a fault of another thread in that window restores the program's
 * own handler and happens again as it would have.
 */
#include "lifetime.h"
#include "books.h"
#include "memcheck.h"
#include "real.h"
#include "settings.h"
#include "unwind.h"

#include <dlfcn.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*instance_is_a_fn)(void *instance, uintptr_t gtype);
typedef uintptr_t (*get_type_fn)(void);

static sigjmp_buf guard_env;
static volatile pid_t guard_tid;
static struct sigaction saved_segv, saved_bus;

static void guard_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)si, (void)ctx;
	if ((pid_t)syscall(SYS_gettid) == guard_tid)
		real.siglongjmp(guard_env, 1);
	/* Not ours: the program's own handler takes the fault when the
	 * instruction runs again. */
	sigaction(sig, sig == SIGSEGV ? &saved_segv : &saved_bus, NULL);
}

static int guard_on(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	/* SA_ONSTACK: another thread's stack overflow in this window still
	 * reaches the program's handler on its alternate stack. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	guard_tid = (pid_t)syscall(SYS_gettid);
	if (sigaction(SIGSEGV, &sa, &saved_segv) != 0)
		return -1;
	if (sigaction(SIGBUS, &sa, &saved_bus) != 0) {
		sigaction(SIGSEGV, &saved_segv, NULL);
		return -1;
	}
	return 0;
}

static void guard_off(void)
{
	sigaction(SIGSEGV, &saved_segv, NULL);
	sigaction(SIGBUS, &saved_bus, NULL);
	guard_tid = 0;
}

/* Whether the object at addr is a GObject instance of the GType that
 * `get_type` returns, asked of GLib under the guard, which is on only
 * around that call: set anew each time (another thread's fault in the
 * window puts the program's handler back). */
static int is_instance_of(uintptr_t addr, get_type_fn get_type, instance_is_a_fn is_a)
{
	volatile int yes = 0;

	/* GTypeInstance: its class pointer first; a class starts with its GType. */
	if (!memcheck_range((const void *)addr, sizeof(void *)))
		return 0;
	uintptr_t klass = *(const uintptr_t *)addr;
	if (!klass || !memcheck_range((const void *)klass, sizeof(uintptr_t)))
		return 0;
	if (guard_on() != 0)
		return 0;
	if (!sigsetjmp(guard_env, 1))
		yes = is_a((void *)addr, get_type()) != 0;
	/* else: faulted, not a live instance */
	guard_off();
	return yes;
}

void lifetime_mark_kept(struct tally_log *log)
{
	struct tally_header *hdr = log->hdr;
	uint32_t ntypes = hdr->types_used < hdr->max_types ? hdr->types_used : hdr->max_types;
	get_type_fn get_type[TALLY_MAX_TYPES] = { 0 };
	instance_is_a_fn is_a = NULL;
	int any = 0;

	for (uint32_t t = 0; t < ntypes && t < TALLY_MAX_TYPES; t++) {
		if (!log->types[t].kept_mask)
			continue;
		any = 1;
		if (log->types[t].kept_gtype[0]) {
			char name[sizeof(log->types[t].kept_gtype) + 1];
			memcpy(name, log->types[t].kept_gtype, sizeof(log->types[t].kept_gtype));
			name[sizeof(name) - 1] = 0;
			*(void **)&get_type[t] = dlsym(RTLD_DEFAULT, name);
			if (!is_a)
				*(void **)&is_a = dlsym(RTLD_DEFAULT, "g_type_check_instance_is_a");
		}
	}
	(void)dlerror();   /* failed lookups are not the program's */
	if (!any)
		return;
	memcheck_forget();   /* threads may have unmapped memory since */
	for (uint32_t i = 0; i < hdr->max_objects; i++) {
		struct tally_object *o = &log->objects[i];
		if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != TALLY_OBJ_LIVE ||
		    o->type >= ntypes || o->type >= TALLY_MAX_TYPES)
			continue;
		const struct tally_type *ty = &log->types[o->type];
		uintptr_t addr = (uintptr_t)__atomic_load_n(&log->objkeys[i], __ATOMIC_RELAXED);
		if (!ty->kept_mask || addr > UINTPTR_MAX - ty->kept_offset - 4 ||
		    !memcheck_range((const void *)(addr + ty->kept_offset), 4))
			continue;
		uint32_t flags;
		memcpy(&flags, (const void *)(addr + ty->kept_offset), 4);
		if (!(flags & ty->kept_mask))
			continue;
		if (ty->kept_gtype[0]) {
			if (!get_type[o->type] || !is_a)
				continue;   /* the GType is not in this process */
			if (!is_instance_of(addr, get_type[o->type], is_a))
				continue;
		}
		__atomic_fetch_or(&o->flags, TALLY_OBJF_KEPT, __ATOMIC_RELAXED);
		__atomic_fetch_add(&log->types[o->type].kept, 1, __ATOMIC_RELAXED);
	}
}

/* ---- still reachable from a global --------------------------------------- */

/* Segments larger than this are not scanned (none is, in practice). */
#define GLOBAL_SCAN_MAX (256u << 20)

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tally_log *log = arg;
	uintptr_t self_lo, self_hi;

	(void)size;
	unwind_self_range(&self_lo, &self_hi);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz ||
		    ph->p_memsz > GLOBAL_SCAN_MAX)
			continue;
		uintptr_t lo = (info->dlpi_addr + ph->p_vaddr + 7) & ~(uintptr_t)7;
		uintptr_t hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(uintptr_t)7;
		if (lo >= self_lo && lo < self_hi)
			return 0;   /* the shim's own data */
		for (uintptr_t a = lo; a < hi; a += 8) {
			/* Each page checked before it is read: a program may have
			 * unmapped or protected part of its own data. */
			if (a == lo || (a & 4095) == 0) {
				uintptr_t page_end = (a | 4095) + 1;
				if (!memcheck_word(a)) {
					a = page_end - 8;
					continue;
				}
			}
			uint64_t word = *(const volatile uint64_t *)a;
			if (word < 4096 || (word & 7))
				continue;
			int slot = books_find(log, word);
			if (slot < 0 ||
			    __atomic_load_n(&log->objects[slot].state, __ATOMIC_ACQUIRE) != TALLY_OBJ_LIVE)
				continue;
			__atomic_fetch_or(&log->objects[slot].flags, TALLY_OBJF_GLOBAL, __ATOMIC_RELAXED);
		}
	}
	return 0;
}

void lifetime_mark_global(struct tally_log *log)
{
	if (!log->hdr || !__atomic_load_n(&log->hdr->objects_live, __ATOMIC_RELAXED))
		return;
	dl_iterate_phdr(scan_module, log);
}
