/*
 * Unit test of analyzer/symbolize.c against a real library loaded into this
 * process: the fixture is built with -g and again stripped to .dynsym, and
 * its module entries are made the way the shim makes them (dl_iterate_phdr).
 * Known answers: the fixture's functions, their starts and the lines of the
 * two calls that hand us return addresses.
 */
#define _GNU_SOURCE  /* dl_iterate_phdr */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <libgen.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize.h"
#include "modules.h"
#include "symfixture/symfix.h"

/* cmocka 1.1's assert_string_equal crashes on NULL: fail cleanly instead. */
#define assert_str(a, b) do { assert_non_null(a); assert_string_equal(a, b); } while (0)

/* One loaded copy of the fixture library. */
struct fixture {
	void *handle;
	struct tally_module mod;     /* as the shim would record it */
	uint64_t exported;           /* address of symfix_exported */
	uint64_t hidden;             /* address of the static symfix_hidden */
	uint64_t before;             /* address of symfix_before */
	uint64_t sizeless;           /* address of symfix_sizeless (no size) */
	uint64_t ra_exported;        /* return address inside symfix_exported */
	uint64_t ra_hidden;          /* return address inside symfix_hidden */
};

static struct fixture debug_fx, stripped_fx, vaddr_fx;

/* Return addresses seen by record_return_address, in call order. */
static uint64_t recorded[2];
static unsigned nrecorded;

static __attribute__((noinline)) void record_return_address(void)
{
	void *ra = __builtin_extract_return_addr(__builtin_return_address(0));
	if (nrecorded < 2)
		recorded[nrecorded] = (uint64_t)(uintptr_t)ra;
	nrecorded++;
}

/* ---- module entries from dl_iterate_phdr ------------------------------- */

struct phdr_query {
	uint64_t addr;               /* an address inside the wanted object */
	struct tally_module *out;
	int found;
};

/* The entry the shim records for the object holding q->addr. */
static int module_from_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct phdr_query *q = arg;
	struct tally_module m;
	(void)size;

	modules_describe(info, &m);
	if (q->addr < m.lo || q->addr >= m.hi)
		return 0;
	m.committed = 1;
	*q->out = m;
	q->found = 1;
	return 1;
}

/* dlopen()s build/unit/<name> (next to this executable), fills fx and
 * calls into it once to collect the two return addresses. */
static int fixture_load(struct fixture *fx, const char *name)
{
	char exe[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(path, sizeof path, "%s/%s", dirname(exe), name);

	fx->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (fx->handle == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	int (*exported)(symfix_cb) = (int (*)(symfix_cb))dlsym(fx->handle, "symfix_exported");
	symfix_fn (*hidden_address)(void) =
		(symfix_fn (*)(void))dlsym(fx->handle, "symfix_hidden_address");
	void *before = dlsym(fx->handle, "symfix_before");
	void *sizeless = dlsym(fx->handle, "symfix_sizeless");
	if (exported == NULL || hidden_address == NULL || before == NULL || sizeless == NULL)
		return -1;
	fx->exported = (uint64_t)(uintptr_t)exported;
	fx->hidden = (uint64_t)(uintptr_t)hidden_address();
	fx->before = (uint64_t)(uintptr_t)before;
	fx->sizeless = (uint64_t)(uintptr_t)sizeless;

	nrecorded = 0;
	exported(record_return_address);
	if (nrecorded != 2)
		return -1;
	fx->ra_exported = recorded[0];
	fx->ra_hidden = recorded[1];

	struct phdr_query q = { .addr = fx->exported, .out = &fx->mod };
	dl_iterate_phdr(module_from_phdr, &q);
	return q.found ? 0 : -1;
}

static int group_setup(void **state)
{
	(void)state;
	/* stay offline whatever the environment says */
	unsetenv("DEBUGINFOD_URLS");
	if (fixture_load(&debug_fx, "libsymfix_debug.so") != 0
	    || fixture_load(&stripped_fx, "libsymfix_stripped.so") != 0
	    || fixture_load(&vaddr_fx, "libsymfix_vaddr.so") != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dlclose(debug_fx.handle);
	dlclose(stripped_fx.handle);
	dlclose(vaddr_fx.handle);
	return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void assert_file_is_fixture(const char *file)
{
	assert_non_null(file);
	assert_true(strlen(file) >= strlen("symfixture/symfix.c"));
	assert_str(file + strlen(file) - strlen("symfixture/symfix.c"), "symfixture/symfix.c");
}

static void test_debug_build(void **state)
{
	(void)state;
	const struct fixture *fx = &debug_fx;
	struct symbolizer *s = symbolizer_new(&fx->mod, 1);
	struct tally_frame_info fi;
	assert_non_null(s);
	assert_true(fx->mod.build_id_len > 0);

	symbolizer_lookup(s, 0, fx->ra_exported, true, &fi);
	assert_str(fi.module, fx->mod.path);
	assert_int_equal(fi.offset, fx->ra_exported - fx->mod.bias);
	assert_str(fi.function, "symfix_exported");  /* not __symfix_exported */
	assert_int_equal(fi.func_start, fx->exported - fx->mod.bias);
	assert_file_is_fixture(fi.file);
	assert_int_equal(fi.line, SYMFIX_EXPORTED_CALL_LINE);
	assert_false(fi.build_id_mismatch);
	symbolizer_frame_clear(&fi);
	symbolizer_frame_clear(&fi);  /* twice is harmless */

	symbolizer_lookup(s, 0, fx->ra_hidden, true, &fi);
	assert_str(fi.function, "symfix_hidden");
	assert_int_equal(fi.func_start, fx->hidden - fx->mod.bias);
	assert_file_is_fixture(fi.file);
	assert_int_equal(fi.line, SYMFIX_HIDDEN_CALL_LINE);
	symbolizer_frame_clear(&fi);

	/* the second answer comes from the cache and is the same */
	symbolizer_lookup(s, 0, fx->ra_hidden, true, &fi);
	assert_str(fi.function, "symfix_hidden");
	assert_int_equal(fi.line, SYMFIX_HIDDEN_CALL_LINE);
	symbolizer_frame_clear(&fi);

	/* an exact address (not a return address): the entry itself */
	symbolizer_lookup(s, 0, fx->exported, false, &fi);
	assert_str(fi.function, "symfix_exported");
	assert_int_equal(fi.offset, fi.func_start);
	symbolizer_frame_clear(&fi);

	symbolizer_free(s);
}

static void test_stripped_build(void **state)
{
	(void)state;
	const struct fixture *fx = &stripped_fx;
	struct symbolizer *s = symbolizer_new(&fx->mod, 1);
	struct tally_frame_info fi;
	/* the trap is armed: exported symbols lie below the static function,
	 * the nearest one without a size */
	assert_true(fx->before < fx->sizeless && fx->sizeless < fx->hidden);

	symbolizer_lookup(s, 0, fx->ra_exported, true, &fi);
	assert_str(fi.function, "symfix_exported");
	assert_int_equal(fi.func_start, fx->exported - fx->mod.bias);
	assert_null(fi.file);
	assert_int_equal(fi.line, 0);
	assert_false(fi.build_id_mismatch);
	symbolizer_frame_clear(&fi);

	/* no symbol covers the static function: no name, start from .eh_frame */
	symbolizer_lookup(s, 0, fx->ra_hidden, true, &fi);
	assert_str(fi.module, fx->mod.path);
	assert_int_equal(fi.offset, fx->ra_hidden - fx->mod.bias);
	assert_null(fi.function);
	assert_int_equal(fi.func_start, fx->hidden - fx->mod.bias);
	assert_null(fi.file);
	symbolizer_frame_clear(&fi);

	/* its entry point groups with it too */
	symbolizer_lookup(s, 0, fx->hidden, false, &fi);
	assert_null(fi.function);
	assert_int_equal(fi.func_start, fx->hidden - fx->mod.bias);
	symbolizer_frame_clear(&fi);

	/* a sizeless symbol names only the FDE that starts at it */
	symbolizer_lookup(s, 0, fx->sizeless, false, &fi);
	assert_str(fi.function, "symfix_sizeless");
	assert_int_equal(fi.func_start, fx->sizeless - fx->mod.bias);
	symbolizer_frame_clear(&fi);

	symbolizer_free(s);
}

/* A library linked at a non-zero address: offsets are address - bias, the
 * link-time addresses, and libdwfl must be told the bias, not the start. */
static void test_nonzero_link_address(void **state)
{
	(void)state;
	const struct fixture *fx = &vaddr_fx;
	struct symbolizer *s = symbolizer_new(&fx->mod, 1);
	struct tally_frame_info fi;
	assert_true(fx->mod.lo - fx->mod.bias >= 0x10000000);

	symbolizer_lookup(s, 0, fx->ra_hidden, true, &fi);
	assert_str(fi.function, "symfix_hidden");
	assert_int_equal(fi.offset, fx->ra_hidden - fx->mod.bias);
	assert_int_equal(fi.func_start, fx->hidden - fx->mod.bias);
	assert_int_equal(fi.line, SYMFIX_HIDDEN_CALL_LINE);
	symbolizer_frame_clear(&fi);
	symbolizer_free(s);
}

static void test_build_id_mismatch(void **state)
{
	(void)state;
	struct tally_module m = debug_fx.mod;
	m.build_id[0] ^= 0xff;
	struct symbolizer *s = symbolizer_new(&m, 1);
	struct tally_frame_info fi;

	symbolizer_lookup(s, 0, debug_fx.ra_exported, true, &fi);
	assert_true(fi.build_id_mismatch);
	assert_str(fi.module, m.path);
	assert_int_equal(fi.offset, debug_fx.ra_exported - m.bias);
	assert_null(fi.function);
	assert_null(fi.file);
	assert_int_equal(fi.line, 0);
	assert_int_equal(fi.func_start, 0);
	symbolizer_frame_clear(&fi);

	/* a different length is a mismatch as well */
	m = debug_fx.mod;
	m.build_id_len = 16;
	symbolizer_free(s);
	s = symbolizer_new(&m, 1);
	symbolizer_lookup(s, 0, debug_fx.ra_exported, true, &fi);
	assert_true(fi.build_id_mismatch);
	assert_null(fi.function);
	symbolizer_frame_clear(&fi);
	symbolizer_free(s);
}

static void test_address_outside_modules(void **state)
{
	(void)state;
	const struct tally_module *m = &debug_fx.mod;
	struct symbolizer *s = symbolizer_new(m, 1);
	struct tally_frame_info fi;

	symbolizer_lookup(s, 0, m->lo - 1, false, &fi);
	assert_null(fi.module);
	assert_null(fi.function);
	assert_int_equal(fi.offset, m->lo - 1);
	symbolizer_frame_clear(&fi);

	/* hi is outside, but a return address at hi is a call at hi - 1 */
	symbolizer_lookup(s, 0, m->hi, false, &fi);
	assert_null(fi.module);
	symbolizer_frame_clear(&fi);
	symbolizer_lookup(s, 0, m->hi, true, &fi);
	assert_str(fi.module, m->path);
	assert_int_equal(fi.offset, m->hi - m->bias);
	symbolizer_frame_clear(&fi);

	symbolizer_free(s);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct tally_module m = debug_fx.mod;
	snprintf(m.path, sizeof m.path, "/nonexistent/tally-test/libsymfix.so");
	struct symbolizer *s = symbolizer_new(&m, 1);
	struct tally_frame_info fi;

	symbolizer_lookup(s, 0, debug_fx.ra_hidden, true, &fi);
	assert_str(fi.module, "/nonexistent/tally-test/libsymfix.so");
	assert_int_equal(fi.offset, debug_fx.ra_hidden - m.bias);
	assert_null(fi.function);
	assert_null(fi.file);
	assert_false(fi.build_id_mismatch);
	symbolizer_frame_clear(&fi);
	symbolizer_free(s);
}

/* Files that exist but are no ELF, or a broken one: module+offset only. */
static void test_unusable_files(void **state)
{
	(void)state;
	char junk[] = "/tmp/tally-symbolize-junk-XXXXXX";
	char cut[] = "/tmp/tally-symbolize-cut-XXXXXX";
	int fd = mkstemp(junk);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	/* the ELF header of the real library, and nothing after it */
	fd = mkstemp(cut);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, (const void *)(uintptr_t)debug_fx.mod.bias, 64), 64);
	close(fd);

	struct tally_module m[2] = { debug_fx.mod, debug_fx.mod };
	snprintf(m[0].path, sizeof m[0].path, "%s", junk);
	m[0].gen_unloaded = 1;
	snprintf(m[1].path, sizeof m[1].path, "%s", cut);
	m[1].gen_loaded = 1;
	struct symbolizer *s = symbolizer_new(m, 2);
	struct tally_frame_info fi;

	for (uint32_t gen = 0; gen < 2; gen++) {
		symbolizer_lookup(s, gen, debug_fx.ra_hidden, true, &fi);
		assert_str(fi.module, m[gen].path);
		assert_int_equal(fi.offset, debug_fx.ra_hidden - debug_fx.mod.bias);
		assert_null(fi.function);
		assert_null(fi.file);
		symbolizer_frame_clear(&fi);
	}
	symbolizer_free(s);
	unlink(junk);
	unlink(cut);
}

/* The same range holds one module, then another after a dlclose/dlopen:
 * the stack's generation picks the entry; uncommitted entries do not count. */
static void test_generations(void **state)
{
	(void)state;
	struct tally_module m[3];
	m[0] = debug_fx.mod;
	m[0].gen_loaded = 2;
	m[0].gen_unloaded = 5;
	m[1] = debug_fx.mod;
	m[1].gen_loaded = 5;
	m[1].gen_unloaded = 0;
	snprintf(m[1].path, sizeof m[1].path, "/nonexistent/tally-test/later.so");
	m[2] = debug_fx.mod;
	m[2].committed = 0;
	m[2].gen_loaded = 0;
	m[2].gen_unloaded = 0;
	snprintf(m[2].path, sizeof m[2].path, "/nonexistent/tally-test/half-written.so");
	struct symbolizer *s = symbolizer_new(m, 3);
	struct tally_frame_info fi;
	uint64_t ra = debug_fx.ra_exported;

	/* A stack stored with a generation older than every module holding
	 * the address was captured while that library was being dlopen'ed:
	 * the earliest module mapped after it is the one. */
	symbolizer_lookup(s, 1, ra, true, &fi);
	assert_str(fi.module, debug_fx.mod.path);
	assert_str(fi.function, "symfix_exported");
	symbolizer_frame_clear(&fi);

	for (uint32_t gen = 2; gen < 5; gen++) {
		symbolizer_lookup(s, gen, ra, true, &fi);
		assert_str(fi.module, debug_fx.mod.path);
		assert_str(fi.function, "symfix_exported");
		symbolizer_frame_clear(&fi);
	}

	symbolizer_lookup(s, 5, ra, true, &fi);
	assert_str(fi.module, "/nonexistent/tally-test/later.so");
	assert_null(fi.function);
	symbolizer_frame_clear(&fi);
	symbolizer_lookup(s, 100, ra, true, &fi);
	assert_str(fi.module, "/nonexistent/tally-test/later.so");
	symbolizer_frame_clear(&fi);

	symbolizer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_build),
		cmocka_unit_test(test_stripped_build),
		cmocka_unit_test(test_nonzero_link_address),
		cmocka_unit_test(test_build_id_mismatch),
		cmocka_unit_test(test_address_outside_modules),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_unusable_files),
		cmocka_unit_test(test_generations),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
