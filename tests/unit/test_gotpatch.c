/*
 * Unit test of the GOT patcher (shim/refhooks.c, TALLY_HOOK=got) on
 * tests/unit/gotlib.  The shim's code is linked into this program, so a scan
 * skips the program as the shim's own module; the calls come from
 * libgotcaller.so instead, linked against libgotlib.so with a RELRO GOT
 * bound at load.  The rules are applied with refhooks_scan as the shim's
 * constructor would, over a log of the test's own (tests/unit/memlog.h).
 *
 * Known answers: after the scan the caller's JUMP_SLOT and GLOB_DAT entries
 * for the rule functions lead to stubs (its gl_ref pointer, read from its
 * GOT, differs from the function), every call through them is booked with
 * the count right, the library's own direct call (gl_use_own -> gl_ref,
 * -Bsymbolic-functions) is not seen, RELRO pages are read-only again, a
 * second scan changes nothing, and a plugin dlopen'ed later (RTLD_NOW: its
 * slot in a RELRO page) is hooked by the next scan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "books.h"
#include "gotlib.h"

/* libgotcaller.so (tests/unit/gotlib/gotcaller.c) */
void *gc_new(void);
void *gc_ref(void *o);
void gc_unref(void *o);
void *(*gc_ref_pointer(void))(void *);
void (*gc_unref_pointer(void))(void *);
#include "memlog.h"
#include "real.h"
#include "record.h"
#include "refhooks.h"
#include "unwind.h"

static char dir[64];
static char plugin[512];

/* The permissions of every mapping of this program, one line each: the
 * scan must leave them as it found them (RELRO read-only again). */
static char *own_mappings(void)
{
	char exe[512], line[1024], *out = g_strdup("");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/maps", "r");

	assert_true(n > 0);
	exe[n] = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, exe) && !strstr(line, "libgotlib.so") &&
		    !strstr(line, "libgotcaller.so"))
			continue;
		char *joined = g_strconcat(out, line, NULL);
		g_free(out);
		out = joined;
	}
	fclose(f);
	return out;
}

static int net_of(void *o)
{
	int slot = books_find(&g_shim.log, (uint64_t)(uintptr_t)o);
	if (slot < 0)
		return -1000;
	return __atomic_load_n(&g_shim.log.objects[slot].net, __ATOMIC_RELAXED);
}

static int setup(void **state)
{
	if (memlog_mkdir(dir, sizeof(dir)) != 0 || memlog_shim_start(dir, 1u << 20) != 0)
		return -1;
	real_resolve();
	unwind_init();
	g_shim.settings.hook_mode = TALLY_HOOK_GOT;
	setenv("TALLY_RULES", "gl: gl_new = new; gl: gl_ref = inc; gl: gl_unref = dec", 1);
	unsetenv("TALLY_RULES_FILE");
	if (refhooks_load_rules(&g_shim.log) != 3)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return memlog_shim_stop(dir);
}

static void calls_through_the_got_are_booked(void **state)
{
	void *lib = dlopen("libgotlib.so", RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(lib);
	void *real_ref = dlsym(lib, "gl_ref");
	assert_non_null(real_ref);
	char *before = own_mappings();

	refhooks_scan(&g_shim.log);

	/* GLOB_DAT: a function pointer taken through the GOT is the stub now. */
	void *(*fp)(void *) = gc_ref_pointer();
	assert_ptr_not_equal((void *)fp, real_ref);
	/* gl_ref: its GLOB_DAT slot (the linker calls through it too, as the
	 * address is taken); gl_new and gl_unref: JUMP_SLOTs */
	assert_int_equal(g_shim.log.rules[1].got_sites, 1);
	assert_int_equal(g_shim.log.rules[0].got_sites, 1);
	assert_int_equal(g_shim.log.rules[2].got_sites, 1);
	assert_int_equal(g_shim.log.rules[1].entries, 0);
	char *after = own_mappings();
	assert_string_equal(after, before);   /* RELRO read-only again */
	g_free(before);
	g_free(after);

	void *o = gc_new();
	assert_int_equal(net_of(o), 1);
	gc_ref(o);
	fp(o);
	assert_int_equal(gl_count(o), 3);
	assert_int_equal(net_of(o), 3);
	/* The library's own call goes straight to gl_ref: not seen here. */
	gl_use_own(o);
	assert_int_equal(gl_count(o), 4);
	assert_int_equal(net_of(o), 3);
	gc_unref(o);
	gc_unref(o);
	assert_int_equal(net_of(o), 1);
	assert_int_equal(gl_count(o), 2);
	gc_unref(o);   /* the books reach 0 here: closed */
	assert_int_equal(gl_count(o), 1);
	assert_int_equal(g_shim.log.types[g_shim.log.rules[2].type].freed, 1);
	gc_unref(o);   /* the one the books never saw taken */
	assert_int_equal(gl_live(), 0);

	/* A second scan finds the slots hooked and changes nothing. */
	uint32_t sites = g_shim.log.rules[1].got_sites;
	refhooks_scan(&g_shim.log);
	assert_int_equal(g_shim.log.rules[1].got_sites, sites);
	assert_ptr_equal((void *)gc_ref_pointer(), (void *)fp);
}

/* The event at `seq`, which the hook just wrote. */
static const struct tally_event *event_at(uint64_t seq)
{
	assert_true(seq < g_shim.log.hdr->events_claimed);
	return &g_shim.log.events[seq];
}

/* A creation keeps nanoseconds, in its event and in the books (the report
 * compares it with its sockets' times); an increment or a decrement, on a
 * relay's hot path, takes the clock as of the last tick. */
static void creations_keep_nanoseconds_references_take_the_tick(void **state)
{
	refhooks_scan(&g_shim.log);

	uint64_t seq = g_shim.log.hdr->events_claimed;
	int64_t before = rec_mono_ns();
	void *o = gc_new();
	int64_t after = rec_mono_ns();
	const struct tally_event *ev = event_at(seq);
	assert_int_equal(ev->kind, TALLY_EV_OBJ);
	assert_int_equal(ev->arg, TALLY_ROLE_NEW);
	assert_true(ev->time_ns >= before && ev->time_ns <= after);
	int slot = books_find(&g_shim.log, (uint64_t)(uintptr_t)o);
	assert_true(slot >= 0);
	assert_int_equal(g_shim.log.objects[slot].time_ns, ev->time_ns);

	seq = g_shim.log.hdr->events_claimed;
	int64_t coarse_before = rec_clock(CLOCK_MONOTONIC_COARSE);
	gc_ref(o);
	int64_t coarse_after = rec_clock(CLOCK_MONOTONIC_COARSE);
	ev = event_at(seq);
	assert_int_equal(ev->arg, TALLY_ROLE_INC);
	assert_true(ev->time_ns >= coarse_before && ev->time_ns <= coarse_after);

	gc_unref(o);
	gc_unref(o);   /* closed */
	assert_int_equal(gl_live(), 0);
}

/* With the event area full, a booked call takes no sequence number and
 * counts its call and its dropped event per thread (batch.h): the log
 * lags by less than BATCH_MAX each, and is exact once the thread flushes.
 * A creation still gets a serial of its own, after every earlier one. */
static void a_full_area_counts_per_thread_and_serials_stay_unique(void **state)
{
	struct tally_header *hdr = g_shim.log.hdr;
	refhooks_scan(&g_shim.log);

	void *o = gc_new();
	while (hdr->events_claimed < hdr->max_events) {
		gc_ref(o);
		gc_unref(o);
	}
	batch_flush(&g_shim.log);   /* as at exit: then every call counts at once */
	uint64_t claimed = hdr->events_claimed;
	uint64_t calls = g_shim.log.rules[1].calls, dropped = hdr->dropped[TALLY_DROP_FULL];
	gc_ref(o);
	assert_int_equal(g_shim.log.rules[1].calls, calls + 1);
	assert_int_equal(hdr->dropped[TALLY_DROP_FULL], dropped + 1);
	batch_resume();             /* as after a failed exec: batches again */
	calls++;
	dropped++;

	for (int i = 0; i < 999; i++)
		gc_ref(o);
	/* live: whole batches only (999 = 15 x 64 + 39) */
	assert_int_equal(g_shim.log.rules[1].calls, calls + 15 * BATCH_MAX);
	assert_int_equal(hdr->dropped[TALLY_DROP_FULL], dropped + 15 * BATCH_MAX);
	assert_int_equal(hdr->events_claimed, claimed);   /* no sequence number taken */
	batch_flush(&g_shim.log);
	calls--;
	dropped--;
	assert_int_equal(g_shim.log.rules[1].calls, calls + 1000);
	assert_int_equal(hdr->dropped[TALLY_DROP_FULL], dropped + 1000);
	assert_int_equal(net_of(o), 1001);

	/* creations: one serial each, taken when the books open */
	void *a = gc_new(), *b = gc_new();
	int sa = books_find(&g_shim.log, (uint64_t)(uintptr_t)a);
	int sb = books_find(&g_shim.log, (uint64_t)(uintptr_t)b);
	int so = books_find(&g_shim.log, (uint64_t)(uintptr_t)o);
	assert_true(sa >= 0 && sb >= 0 && so >= 0);
	assert_true(g_shim.log.objects[sa].serial > claimed);
	assert_true(g_shim.log.objects[sb].serial > g_shim.log.objects[sa].serial);
	assert_true(g_shim.log.objects[so].serial < g_shim.log.objects[sa].serial);
	assert_int_equal(hdr->events_claimed, claimed + 2);

	gc_unref(a);
	gc_unref(b);
	for (int i = 0; i < 1000; i++)
		gc_unref(o);
	/* No event takes a time now: the books read the tick when they close
	 * (made strictly increasing, a few ns past the tick at most here). */
	int64_t coarse_before = rec_clock(CLOCK_MONOTONIC_COARSE);
	gc_unref(o);
	int64_t coarse_after = rec_clock(CLOCK_MONOTONIC_COARSE);
	assert_int_equal(g_shim.log.objects[so].state, TALLY_OBJ_RELEASED);
	assert_true(g_shim.log.objects[so].close_ns >= coarse_before);
	assert_true(g_shim.log.objects[so].close_ns <= coarse_after + 8);
	assert_int_equal(gl_live(), 0);
	batch_flush(&g_shim.log);
	batch_resume();
}

/*
 * calls_keep_registers(fn, o): calls fn(o) with every other register a call
 * may change set to a value of its own, and returns a mask of those the
 * call changed: bit 0 rcx, 1 rdx, 2 rsi, 3 rdi, 4 r8, 5 r9, 6 r10, 7 r11,
 * 8 + n xmm n (2..15), 30 rax != o.  For a leaf fn that touches only rax
 * (gl_ref), none may change: a caller compiled with GCC's -fipa-ra keeps
 * values there across such a call, so a hook must leave them as the
 * function alone would (hooks_tramp.S).
 */
uint64_t calls_keep_registers(void *(*fn)(void *), void *o);
__asm__(
	".text\n"
	".globl calls_keep_registers\n"
	".type calls_keep_registers, @function\n"
	"calls_keep_registers:\n"
	"\tpush %rbx\n\tpush %r12\n\tpush %r13\n"
	"\tmov %rdi, %rbx\n"
	"\tmov %rsi, %r12\n"
	"\tmov $0x2002, %rax\n\tmovq %rax, %xmm2\n"
	"\tmov $0x2003, %rax\n\tmovq %rax, %xmm3\n"
	"\tmov $0x2004, %rax\n\tmovq %rax, %xmm4\n"
	"\tmov $0x2005, %rax\n\tmovq %rax, %xmm5\n"
	"\tmov $0x2006, %rax\n\tmovq %rax, %xmm6\n"
	"\tmov $0x2007, %rax\n\tmovq %rax, %xmm7\n"
	"\tmov $0x2008, %rax\n\tmovq %rax, %xmm8\n"
	"\tmov $0x2009, %rax\n\tmovq %rax, %xmm9\n"
	"\tmov $0x200a, %rax\n\tmovq %rax, %xmm10\n"
	"\tmov $0x200b, %rax\n\tmovq %rax, %xmm11\n"
	"\tmov $0x200c, %rax\n\tmovq %rax, %xmm12\n"
	"\tmov $0x200d, %rax\n\tmovq %rax, %xmm13\n"
	"\tmov $0x200e, %rax\n\tmovq %rax, %xmm14\n"
	"\tmov $0x200f, %rax\n\tmovq %rax, %xmm15\n"
	"\tmov $0x1001, %rcx\n\tmov $0x1002, %rdx\n\tmov $0x1003, %rsi\n"
	"\tmov %r12, %rdi\n"
	"\tmov $0x1005, %r8\n\tmov $0x1006, %r9\n\tmov $0x1007, %r10\n\tmov $0x1008, %r11\n"
	"\tcall *%rbx\n"
	"\txor %r13, %r13\n"
	"\tcmp %r12, %rax\n\tje 1f\n\tor $0x40000000, %r13\n1:\n"
	"\tcmp $0x1001, %rcx\n\tje 1f\n\tor $1, %r13\n1:\n"
	"\tcmp $0x1002, %rdx\n\tje 1f\n\tor $2, %r13\n1:\n"
	"\tcmp $0x1003, %rsi\n\tje 1f\n\tor $4, %r13\n1:\n"
	"\tcmp %r12, %rdi\n\tje 1f\n\tor $8, %r13\n1:\n"
	"\tcmp $0x1005, %r8\n\tje 1f\n\tor $16, %r13\n1:\n"
	"\tcmp $0x1006, %r9\n\tje 1f\n\tor $32, %r13\n1:\n"
	"\tcmp $0x1007, %r10\n\tje 1f\n\tor $64, %r13\n1:\n"
	"\tcmp $0x1008, %r11\n\tje 1f\n\tor $128, %r13\n1:\n"
	"\tmovq %xmm2, %rax\n\tcmp $0x2002, %rax\n\tje 1f\n\tor $1024, %r13\n1:\n"
	"\tmovq %xmm3, %rax\n\tcmp $0x2003, %rax\n\tje 1f\n\tor $2048, %r13\n1:\n"
	"\tmovq %xmm4, %rax\n\tcmp $0x2004, %rax\n\tje 1f\n\tor $4096, %r13\n1:\n"
	"\tmovq %xmm5, %rax\n\tcmp $0x2005, %rax\n\tje 1f\n\tor $8192, %r13\n1:\n"
	"\tmovq %xmm6, %rax\n\tcmp $0x2006, %rax\n\tje 1f\n\tor $16384, %r13\n1:\n"
	"\tmovq %xmm7, %rax\n\tcmp $0x2007, %rax\n\tje 1f\n\tor $32768, %r13\n1:\n"
	"\tmovq %xmm8, %rax\n\tcmp $0x2008, %rax\n\tje 1f\n\tor $65536, %r13\n1:\n"
	"\tmovq %xmm9, %rax\n\tcmp $0x2009, %rax\n\tje 1f\n\tor $131072, %r13\n1:\n"
	"\tmovq %xmm10, %rax\n\tcmp $0x200a, %rax\n\tje 1f\n\tor $262144, %r13\n1:\n"
	"\tmovq %xmm11, %rax\n\tcmp $0x200b, %rax\n\tje 1f\n\tor $524288, %r13\n1:\n"
	"\tmovq %xmm12, %rax\n\tcmp $0x200c, %rax\n\tje 1f\n\tor $1048576, %r13\n1:\n"
	"\tmovq %xmm13, %rax\n\tcmp $0x200d, %rax\n\tje 1f\n\tor $2097152, %r13\n1:\n"
	"\tmovq %xmm14, %rax\n\tcmp $0x200e, %rax\n\tje 1f\n\tor $4194304, %r13\n1:\n"
	"\tmovq %xmm15, %rax\n\tcmp $0x200f, %rax\n\tje 1f\n\tor $8388608, %r13\n1:\n"
	"\tmov %r13, %rax\n"
	"\tpop %r13\n\tpop %r12\n\tpop %rbx\n"
	"\tret\n"
	".size calls_keep_registers, .-calls_keep_registers\n");

static void a_hooked_call_leaves_every_register_as_the_function_does(void **state)
{
	refhooks_scan(&g_shim.log);
	void *(*fp)(void *) = gc_ref_pointer();   /* the stub now */
	void *o = gc_new();

	/* the leaf itself, unhooked, as a control: nothing changes */
	void *lib = dlopen("libgotlib.so", RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(lib);
	void *(*real)(void *) = (void *(*)(void *))dlsym(lib, "gl_ref");
	assert_int_equal(calls_keep_registers(real, o), 0);
	/* through the stub and the trampoline: booked, and nothing changes */
	int before = net_of(o);
	assert_int_equal(calls_keep_registers(fp, o), 0);
	assert_int_equal(net_of(o), before + 1);
	gc_unref(o);
	gc_unref(o);
	gc_unref(o);
	assert_int_equal(gl_live(), 0);
}

/*
 * calls_over_ones(fn, o): calls fn(o) with the 64 bytes of stack above the
 * call (where stack arguments would be) all 0x01.  The trampoline's fast
 * post once left that address in rbx, where the slow post reads the hook:
 * a hook read from there has role 1, "new", and booked garbage.
 */
void calls_over_ones(void (*fn)(void *), void *o);
__asm__(
	".text\n"
	".globl calls_over_ones\n"
	".type calls_over_ones, @function\n"
	"calls_over_ones:\n"
	"\tpush %rbx\n"
	"\tmov %rdi, %rbx\n"
	"\tsub $64, %rsp\n"
	"\tmovabs $0x0101010101010101, %rax\n"
	"\tmov %rax, 0(%rsp)\n\tmov %rax, 8(%rsp)\n\tmov %rax, 16(%rsp)\n\tmov %rax, 24(%rsp)\n"
	"\tmov %rax, 32(%rsp)\n\tmov %rax, 40(%rsp)\n\tmov %rax, 48(%rsp)\n\tmov %rax, 56(%rsp)\n"
	"\tmov %rsi, %rdi\n"
	"\tcall *%rbx\n"
	"\tadd $64, %rsp\n"
	"\tpop %rbx\n"
	"\tret\n"
	".size calls_over_ones, .-calls_over_ones\n");

/* A hook of the test's own, entered through a stub like refhooks.c's:
 * its function leaves an entry deeper than its own in the calls under way
 * (as an exception thrown through a hooked call does), so that the post
 * finds its entry not innermost and takes the slow way. */
struct ref_hook deeper_hook __attribute__((used));

static void *leaves_a_deeper_entry(void *o)
{
	ref_active[ref_nactive++] = (struct active_call){ .sp = 16 };
	return o;
}

void deeper_stub(void *o);
__asm__(
	".text\n"
	".type deeper_stub, @function\n"
	"deeper_stub:\n"
	"\tpush %r11\n"
	"\tlea deeper_hook(%rip), %r11\n"
	"\tjmp tally_ref_trampoline\n"
	".size deeper_stub, .-deeper_stub\n");

/* The trampoline's slow post gets the hook of the call, not whatever the
 * caller's stack holds: an increment whose entry is not the innermost one,
 * and a decrement that releases its object (the books want to know it
 * returned). */
static void the_slow_post_gets_the_hook_of_the_call(void **state)
{
	refhooks_scan(&g_shim.log);
	void *o = gc_new();
	uint64_t opened = g_shim.log.types[0].created;
	int net = net_of(o);

	deeper_hook = (struct ref_hook){ .target = (void *)leaves_a_deeper_entry,
	                                 .function = (void *)leaves_a_deeper_entry,
	                                 .rule = 1, .role = TALLY_ROLE_INC, .arg = 0, .type = 0 };
	calls_over_ones(deeper_stub, o);
	assert_int_equal(ref_nactive, 0);            /* both entries gone */
	assert_int_equal(net_of(o), net + 1);        /* booked as an increment */
	assert_int_equal(g_shim.log.types[0].created, opened);   /* and nothing created */
	gc_unref(o);
}

static void the_slow_post_of_a_release_gets_its_hook(void **state)
{
	refhooks_scan(&g_shim.log);
	void (*unref)(void *) = gc_unref_pointer();   /* the stub now */
	void *o = gc_new();
	int slot = books_find(&g_shim.log, (uint64_t)(uintptr_t)o);
	assert_true(slot >= 0);
	uint64_t opened = g_shim.log.types[0].created;

	calls_over_ones(unref, o);   /* the last reference: released */
	assert_int_equal(gl_live(), 0);
	assert_int_equal(g_shim.log.objects[slot].state, TALLY_OBJ_RELEASED);
	/* the decrement returned: nothing is "releasing" any more */
	assert_false(g_shim.log.objects[slot].flags & TALLY_OBJF_RELEASING);
	/* and nothing else was booked */
	assert_int_equal(g_shim.log.hdr->objects_live, 0);
	for (uint32_t t = 0; t < g_shim.log.hdr->max_types; t++)
		assert_int_equal(g_shim.log.types[t].created, t == 0 ? opened : 0);
}

static void a_plugin_loaded_later_is_hooked_by_the_next_scan(void **state)
{
	refhooks_scan(&g_shim.log);
	uint32_t sites = g_shim.log.rules[1].got_sites;
	void *h = dlopen(plugin, RTLD_NOW);
	assert_non_null(h);
	void *(*plugin_ref)(void *) = (void *(*)(void *))dlsym(h, "gotplugin_ref");
	assert_non_null(plugin_ref);

	void *o = gc_new();
	plugin_ref(o);   /* before the scan: unseen */
	assert_int_equal(net_of(o), 1);
	refhooks_scan(&g_shim.log);
	assert_true(g_shim.log.rules[1].got_sites > sites);
	plugin_ref(o);   /* after it: booked */
	assert_int_equal(net_of(o), 2);
	assert_int_equal(gl_count(o), 3);
	gc_unref(o);
	gc_unref(o);
	gc_unref(o);
	assert_int_equal(gl_live(), 0);
	dlclose(h);
}

int main(int argc, char **argv)
{
	/* The plugin lies beside the test libraries (build/progs). */
	snprintf(plugin, sizeof(plugin), "%s", argc > 1 ? argv[1] : "build/progs/libgotplugin_now.so");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(calls_through_the_got_are_booked, setup, teardown),
		cmocka_unit_test_setup_teardown(creations_keep_nanoseconds_references_take_the_tick,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_full_area_counts_per_thread_and_serials_stay_unique,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_hooked_call_leaves_every_register_as_the_function_does,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(the_slow_post_gets_the_hook_of_the_call, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(the_slow_post_of_a_release_gets_its_hook, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_plugin_loaded_later_is_hooked_by_the_next_scan,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
