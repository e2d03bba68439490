/*
 * Tests of shim/entryhook: every call of a hooked function reaches the
 * hook — through the PLT, through a pointer from dlsym, and from inside the
 * library with no relocation — and the original behaves exactly as before
 * (results, errno, stack arguments, varargs).  Refused functions are left
 * byte for byte as they were.  Real GLib and GStreamer ref/unref functions
 * are hooked and called too.
 *
 * Each hook's destination is a counting stub in assembly (COUNTER below):
 * it bumps a counter and jumps to the original, so arguments pass through
 * untouched.  Hooks are never removed, so each test hooks its own functions.
 */
#include "entryhook.h"
#include "entrylib.h"

#include <dlfcn.h>
#include <errno.h>
#include <glib-object.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* count_NAME: `lock incq n_NAME; jmp *orig_NAME` */
#define COUNTER(name)                                                              \
	__attribute__((visibility("hidden"))) unsigned long n_##name;              \
	__attribute__((visibility("hidden"))) void *orig_##name;                   \
	void count_##name(void);                                                   \
	__asm__(".text\n\t.globl count_" #name "\n\t.hidden count_" #name          \
		"\n\t.type count_" #name ", @function\n\t.p2align 4\n"             \
		"count_" #name ":\n\tlock incq n_" #name "(%rip)\n"                \
		"\tjmp *orig_" #name "(%rip)\n\t.size count_" #name ", .-count_" #name "\n")

COUNTER(el_ref);
COUNTER(el_unref);
COUNTER(el_args8);
COUNTER(el_vsum);
COUNTER(el_fail);
COUNTER(el_asm_riprel);
COUNTER(el_asm_call);
COUNTER(el_asm_endbr);
COUNTER(el_asm_tiny);
COUNTER(el_asm_odd);
COUNTER(el_asm_busy);
COUNTER(el_asm_regs);
COUNTER(el_asm_tiny_again);
COUNTER(el2_ref);
COUNTER(g_object_ref);
COUNTER(g_object_unref);
COUNTER(g_hash_table_ref);
COUNTER(g_hash_table_unref);
COUNTER(gst_mini_object_ref);
COUNTER(gst_mini_object_unref);

static unsigned long count(const unsigned long *n) { return __atomic_load_n(n, __ATOMIC_RELAXED); }

/* fn's size from the dynamic symbol table, as the shim's rules will pass. */
static size_t symbol_size(void *fn)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;

	if (!dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return 0;
	return sym->st_size;
}

/* Installs a hook, failing the test with the reason if it is refused. */
static void hook(const char *name, void *fn, void (*dest)(void), void **orig)
{
	char why[200];
	int rc = entryhook_install(fn, symbol_size(fn), (void *)dest, orig, why, sizeof why);

	if (rc != 0)
		fail_msg("entryhook_install(%s): %s", name, why);
	printf("hooked %s (%zu bytes): %s\n", name, symbol_size(fn), why);
	assert_non_null(*orig);
	assert_ptr_not_equal(*orig, fn);
}

#define HOOK(name, fn) hook(#name, (void *)(fn), count_##name, &orig_##name)

static void test_ref_every_path(void **state)
{
	int obj;
	void *(*by_dlsym)(void *) = (void *(*)(void *))dlsym(RTLD_DEFAULT, "el_ref");
	long refs = el_refs();

	(void)state;
	HOOK(el_ref, el_ref);
	assert_ptr_equal(el_ref(&obj), &obj);                   /* PLT */
	assert_int_equal(count(&n_el_ref), 1);
	assert_non_null(by_dlsym);
	assert_ptr_equal(by_dlsym(&obj), &obj);                 /* pointer */
	assert_int_equal(count(&n_el_ref), 2);
	assert_ptr_equal(el_use_own(&obj), &obj);               /* inside the library */
	assert_int_equal(count(&n_el_ref), 3);
	assert_int_equal(el_refs(), refs + 3);
	/* The original itself runs the function without the hook. */
	assert_ptr_equal(((void *(*)(void *))orig_el_ref)(&obj), &obj);
	assert_int_equal(count(&n_el_ref), 3);
	assert_int_equal(el_refs(), refs + 4);
}

static void test_unref_short_branch(void **state)
{
	int obj;
	long unrefs = el_unrefs();

	(void)state;
	HOOK(el_unref, el_unref);
	el_unref(NULL);        /* the relocated je taken */
	el_unref(&obj);        /* not taken */
	el_unref(&obj);
	assert_int_equal(count(&n_el_unref), 3);
	assert_int_equal(el_unrefs(), unrefs + 2);
}

static void test_stack_arguments(void **state)
{
	(void)state;
	HOOK(el_args8, el_args8);
	assert_int_equal(el_args8(1, 10, 100, 1000, 10000, 100000, 1000000, 10000000),
			 1 + 20 + 300 + 4000 + 50000 + 600000 + 7000000 + 80000000);
	assert_int_equal(el_args8(-8, 7, -6, 5, -4, 3, -2, 1),
			 -8 + 14 - 18 + 20 - 20 + 18 - 14 + 8);
	assert_int_equal(count(&n_el_args8), 2);
}

static void test_varargs(void **state)
{
	long v[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	(void)state;
	HOOK(el_vsum, el_vsum);
	/* 9 pointers: some pass on the stack; the double goes in xmm1 with
	 * al = 2, after the NULL. */
	assert_true(el_vsum(2.0, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
			    (long *)NULL, 0.25) == 90.25);
	assert_true(el_vsum(0.5, &v[8], (long *)NULL, -1.5) == 3.0);
	assert_int_equal(count(&n_el_vsum), 2);
}

static void test_errno(void **state)
{
	(void)state;
	HOOK(el_fail, el_fail);
	errno = 0;
	assert_int_equal(el_fail(EADDRINUSE), -1);
	assert_int_equal(errno, EADDRINUSE);
	errno = 0;
	assert_int_equal(el_fail(ENOTSOCK), -1);
	assert_int_equal(errno, ENOTSOCK);
	assert_int_equal(count(&n_el_fail), 2);
}

static void test_hand_written_prologues(void **state)
{
	char why[200];

	(void)state;
	HOOK(el_asm_riprel, el_asm_riprel);
	assert_int_equal(el_asm_riprel(), 0x5eed);
	HOOK(el_asm_call, el_asm_call);
	assert_int_equal(el_asm_call(20), 41);
	HOOK(el_asm_endbr, el_asm_endbr);
	assert_int_equal(el_asm_endbr(35), 42);
	assert_memory_equal(orig_el_asm_endbr, "\xf3\x0f\x1e\xfa", 4);
	HOOK(el_asm_tiny, el_asm_tiny);
	assert_int_equal(el_asm_tiny(43), 42);

	assert_int_equal((uintptr_t)el_asm_odd % 8, 5);
	assert_int_equal(entryhook_install((void *)el_asm_odd, symbol_size((void *)el_asm_odd),
					   (void *)count_el_asm_odd, &orig_el_asm_odd, why,
					   sizeof why), 0);
	printf("hooked el_asm_odd: %s\n", why);
	assert_non_null(strstr(why, "plain write"));
	assert_int_equal(el_asm_odd(0x55 ^ 42), 42);

	assert_int_equal(count(&n_el_asm_riprel), 1);
	assert_int_equal(count(&n_el_asm_call), 1);
	assert_int_equal(count(&n_el_asm_endbr), 1);
	assert_int_equal(count(&n_el_asm_tiny), 1);
	assert_int_equal(count(&n_el_asm_odd), 1);

	/* A second hook on the same function runs first, then the first. */
	HOOK(el_asm_tiny_again, el_asm_tiny);
	assert_int_equal(el_asm_tiny(1), 0);
	assert_int_equal(count(&n_el_asm_tiny_again), 1);
	assert_int_equal(count(&n_el_asm_tiny), 2);
}

/* Calls el_asm_regs through the PLT with al, r10 and r11 set.  The call
 * steps over the red zone, which a call from inline asm would clobber. */
static long call_regs(unsigned char al, long r10, long r11)
{
	register long a10 __asm__("r10") = r10;
	register long a11 __asm__("r11") = r11;
	long ret = al;

	__asm__ volatile("sub $128, %%rsp\n\tcall el_asm_regs@PLT\n\tadd $128, %%rsp"
			 : "+a"(ret), "+r"(a10), "+r"(a11)
			 :
			 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "memory", "cc");
	return ret;
}

static void test_unused_registers(void **state)
{
	(void)state;
	/* Binds the PLT slot first: lazy binding need not keep r10/r11. */
	(void)el_asm_regs();
	HOOK(el_asm_regs, el_asm_regs);
	assert_int_equal(call_regs(3, 1000, 200000), 201003);
	assert_int_equal(call_regs(255, -7, 7), 255);
	assert_int_equal(count(&n_el_asm_regs), 2);
}

/* Each refusal leaves the code and *original as they were. */
static void refused(const char *name, void *fn, size_t size, const char *expect)
{
	uint8_t before[16];
	void *orig = NULL;
	char why[200];

	memcpy(before, fn, sizeof before);
	assert_int_equal(entryhook_install(fn, size, (void *)count_el_ref, &orig, why, sizeof why),
			 -1);
	printf("refused %s: %s\n", name, why);
	assert_non_null(strstr(why, expect));
	assert_null(orig);
	assert_memory_equal(before, fn, sizeof before);
}

static void test_refusals(void **state)
{
	(void)state;
	refused("el_asm_loop", (void *)el_asm_loop, symbol_size((void *)el_asm_loop),
		"into the patched bytes");
	assert_int_equal(el_asm_loop(4), 10);
	refused("el_asm_spin", (void *)el_asm_spin, symbol_size((void *)el_asm_spin),
		"back to the entry");
	assert_int_equal(el_asm_spin(3), 0);
	refused("el_asm_jrcxz", (void *)el_asm_jrcxz, symbol_size((void *)el_asm_jrcxz),
		"cannot relocate");
	assert_int_equal(el_asm_jrcxz(0), -1);
	assert_int_equal(symbol_size((void *)el_asm_ret1), 1);
	refused("el_asm_ret1", (void *)el_asm_ret1, 1, "shorter than");
	refused("el_asm_ret1 (size unknown)", (void *)el_asm_ret1, 0, "unknown size");
	el_asm_ret1();
}

static volatile int busy_stop;
static volatile long busy_wrong, busy_calls;

static void *busy_loop(void *arg)
{
	(void)arg;
	for (long i = 0; !busy_stop; i++) {
		if (el_asm_busy(i) != i + 0x12345)
			busy_wrong++;
		busy_calls++;
	}
	return NULL;
}

/* The jmp goes in with one atomic store while another thread runs fn. */
static void test_install_while_called(void **state)
{
	pthread_t t;

	(void)state;
	assert_int_equal((uintptr_t)el_asm_busy % 8, 0);
	assert_int_equal(pthread_create(&t, NULL, busy_loop, NULL), 0);
	for (int ms = 0; busy_calls < 100000 && ms < 10000; ms++)
		usleep(1000);
	HOOK(el_asm_busy, el_asm_busy);
	for (int ms = 0; count(&n_el_asm_busy) < 100000 && ms < 10000; ms++)
		usleep(1000);
	busy_stop = 1;
	assert_int_equal(pthread_join(t, NULL), 0);
	printf("el_asm_busy: %ld calls, %lu through the hook, %ld wrong results\n", busy_calls,
	       count(&n_el_asm_busy), busy_wrong);
	assert_true(count(&n_el_asm_busy) >= 100000);
	assert_int_equal(busy_wrong, 0);
}

static void test_dlopened_library(void **state)
{
	void *lib = dlopen("libentrylib2.so", RTLD_NOW | RTLD_LOCAL);
	el2_ref_fn ref, use_own;
	long (*refs)(void);
	int obj;

	(void)state;
	if (!lib) {
		/* Not in the search path: next to this test, where make puts it. */
		char path[4096];
		Dl_info self;

		assert_true(dladdr((void *)test_dlopened_library, &self));
		snprintf(path, sizeof path, "%.*s/libentrylib2.so",
			 (int)(strrchr(self.dli_fname, '/') - self.dli_fname), self.dli_fname);
		lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	assert_non_null(lib);
	ref = (el2_ref_fn)dlsym(lib, "el2_ref");
	use_own = (el2_ref_fn)dlsym(lib, "el2_use_own");
	refs = (long (*)(void))dlsym(lib, "el2_refs");
	assert_non_null(ref);
	assert_non_null(use_own);
	assert_non_null(refs);
	HOOK(el2_ref, ref);
	assert_ptr_equal(ref(&obj), &obj);
	assert_ptr_equal(use_own(&obj), &obj);
	assert_int_equal(count(&n_el2_ref), 2);
	assert_int_equal(refs(), 2);
}

static void test_gobject(void **state)
{
	GObject *obj;
	unsigned long refs;

	(void)state;
	HOOK(g_object_ref, g_object_ref);
	HOOK(g_object_unref, g_object_unref);
	obj = g_object_new(G_TYPE_OBJECT, NULL);
	assert_non_null(obj);
	assert_ptr_equal(g_object_ref(obj), obj);
	assert_int_equal(obj->ref_count, 2);
	/* libgobject's own call, with no relocation (MEASURED.md, hazard 3). */
	refs = count(&n_g_object_ref);
	g_object_freeze_notify(obj);
	assert_true(count(&n_g_object_ref) > refs);
	g_object_thaw_notify(obj);
	assert_int_equal(obj->ref_count, 2);
	g_object_unref(obj);
	assert_int_equal(obj->ref_count, 1);
	g_object_unref(obj);
	printf("g_object_ref called %lu times, g_object_unref %lu\n", count(&n_g_object_ref),
	       count(&n_g_object_unref));
	assert_true(count(&n_g_object_ref) >= 1);
	assert_true(count(&n_g_object_unref) >= 3);
}

static void test_hash_table(void **state)
{
	GHashTable *h;

	(void)state;
	HOOK(g_hash_table_ref, g_hash_table_ref);
	HOOK(g_hash_table_unref, g_hash_table_unref);
	h = g_hash_table_new(NULL, NULL);
	g_hash_table_insert(h, h, h);
	assert_ptr_equal(g_hash_table_ref(h), h);
	g_hash_table_unref(h);
	assert_ptr_equal(g_hash_table_lookup(h, h), h);
	g_hash_table_unref(h);
	assert_true(count(&n_g_hash_table_ref) >= 1);
	assert_true(count(&n_g_hash_table_unref) >= 2);
}

/* The head of GstMiniObject (gst/gstminiobject.h): the test has no
 * GStreamer headers, only the runtime library. */
struct mini_object {
	GType type;
	gint refcount;
};

static void test_gstreamer(void **state)
{
	void *lib = dlopen("libgstreamer-1.0.so.0", RTLD_NOW | RTLD_LOCAL);
	void (*init)(int *, char ***);
	struct mini_object *(*buffer_new)(void);
	struct mini_object *(*ref)(struct mini_object *);
	void (*unref)(struct mini_object *);
	void (*replace)(struct mini_object **, struct mini_object *);
	struct mini_object *buf, *held = NULL;
	unsigned long refs, unrefs;

	(void)state;
	if (!lib) {
		printf("note: libgstreamer-1.0.so.0 is not installed (Debian libgstreamer1.0-0); "
		       "gst_mini_object_ref/unref not tested\n");
		skip();
	}
	init = (void (*)(int *, char ***))dlsym(lib, "gst_init");
	buffer_new = (struct mini_object * (*)(void)) dlsym(lib, "gst_buffer_new");
	ref = (struct mini_object * (*)(struct mini_object *)) dlsym(lib, "gst_mini_object_ref");
	unref = (void (*)(struct mini_object *))dlsym(lib, "gst_mini_object_unref");
	assert_non_null(init);
	assert_non_null(buffer_new);
	assert_non_null(ref);
	assert_non_null(unref);
	replace = (void (*)(struct mini_object **, struct mini_object *))dlsym(
		lib, "gst_mini_object_replace");
	assert_non_null(replace);
	HOOK(gst_mini_object_ref, ref);
	HOOK(gst_mini_object_unref, unref);
	init(NULL, NULL);
	buf = buffer_new();
	assert_non_null(buf);
	assert_int_equal(buf->refcount, 1);
	assert_ptr_equal(ref(buf), buf);
	assert_int_equal(buf->refcount, 2);
	unref(buf);
	assert_int_equal(buf->refcount, 1);
	/* libgstreamer's own calls, with no relocation. */
	refs = count(&n_gst_mini_object_ref), unrefs = count(&n_gst_mini_object_unref);
	replace(&held, buf);
	assert_int_equal(buf->refcount, 2);
	replace(&held, NULL);
	assert_int_equal(buf->refcount, 1);
	assert_int_equal(count(&n_gst_mini_object_ref), refs + 1);
	assert_int_equal(count(&n_gst_mini_object_unref), unrefs + 1);
	unref(buf);
	printf("gst_mini_object_ref called %lu times, gst_mini_object_unref %lu\n",
	       count(&n_gst_mini_object_ref), count(&n_gst_mini_object_unref));
	assert_true(count(&n_gst_mini_object_ref) >= 1);
	assert_true(count(&n_gst_mini_object_unref) >= 3);
}

static void test_bad_arguments(void **state)
{
	void *orig = NULL;
	char why[100];

	(void)state;
	assert_int_equal(entryhook_install(NULL, 0, (void *)count_el_ref, &orig, why, sizeof why),
			 -1);
	assert_int_equal(entryhook_install((void *)el_asm_loop, 0, NULL, &orig, NULL, 0), -1);
	assert_null(orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_every_path),
		cmocka_unit_test(test_unref_short_branch),
		cmocka_unit_test(test_stack_arguments),
		cmocka_unit_test(test_varargs),
		cmocka_unit_test(test_errno),
		cmocka_unit_test(test_hand_written_prologues),
		cmocka_unit_test(test_unused_registers),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_install_while_called),
		cmocka_unit_test(test_dlopened_library),
		cmocka_unit_test(test_gobject),
		cmocka_unit_test(test_hash_table),
		cmocka_unit_test(test_gstreamer),
		cmocka_unit_test(test_bad_arguments),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
