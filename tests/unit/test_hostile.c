/*
 * Unit test of how the analyzer takes a hostile or damaged log: module
 * paths that name a FIFO, a directory, a device or a file that is not ELF
 * (the symbolizer must neither block nor leak the fd, and gives module +
 * offset only), and an exe field without its NUL, with bytes that are not
 * UTF-8 or with control characters (both reports stay within the field,
 * print valid UTF-8 and escape what could drive a terminal).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis.h"
#include "logread.h"
#include "memlog.h"
#include "report.h"
#include "symbolize.h"
#include "modules.h"

/* cmocka 1.1's assert_string_equal crashes on NULL: fail cleanly instead. */
#define assert_str(a, b) do { assert_non_null(a); assert_string_equal(a, b); } while (0)

/* A lookup that blocks would hang `make test`: end the test instead. */
#define HANG_SECONDS 10

static char dir[64];

static int setup(void **state)
{
	(void)state;
	alarm(HANG_SECONDS);
	return memlog_mkdir(dir, sizeof(dir));
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	return nftw(dir, memlog_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Open file descriptors of this process (the directory's own included,
 * the same in every count). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* ---- symbolizer: module paths that are not ELF files ------------------- */

/* A module entry at [0x10000, 0x20000) with bias 0x10000, named path. */
static struct tally_module module_at(const char *path)
{
	struct tally_module m;

	memset(&m, 0, sizeof(m));
	m.committed = 1;
	m.bias = 0x10000;
	m.lo = 0x10000;
	m.hi = 0x20000;
	snprintf(m.path, sizeof(m.path), "%s", path);
	return m;
}

/* Looks up an address of a module named path: it must come back (not
 * block), name the module and its offset, and nothing more, and leave no
 * fd open behind. */
static void expect_module_only(const char *path)
{
	struct tally_module m = module_at(path);
	struct tally_frame_info fi;
	int before = count_fds();

	struct symbolizer *s = symbolizer_new(&m, 1);
	assert_non_null(s);
	symbolizer_lookup(s, 0, 0x10234, true, &fi);
	assert_str(fi.module, path);
	assert_int_equal(fi.offset, 0x234);
	assert_null(fi.function);
	assert_null(fi.file);
	assert_int_equal(fi.func_start, 0);
	assert_false(fi.build_id_mismatch);
	symbolizer_frame_clear(&fi);
	/* the failure is remembered: no second open, same answer */
	symbolizer_lookup(s, 0, 0x10234, true, &fi);
	assert_str(fi.module, path);
	assert_null(fi.function);
	symbolizer_frame_clear(&fi);
	assert_int_equal(count_fds(), before);
	symbolizer_free(s);
	assert_int_equal(count_fds(), before);
}

/* A FIFO without a writer: open(2) without O_NONBLOCK waits forever. */
static void test_module_fifo(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_module_only(path);
}

static void test_module_directory(void **state)
{
	(void)state;
	expect_module_only(dir);
}

static void test_module_devices(void **state)
{
	(void)state;
	expect_module_only("/dev/null");
	expect_module_only("/dev/zero");
}

/* A regular file that is not ELF: libdwfl refuses it, and the fd we gave
 * it is ours to close. */
static void test_module_not_elf(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/not-elf.so", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 1000; i++)
		fputs("not an ELF file\n", f);
	fclose(f);
	expect_module_only(path);
}

static void test_module_missing(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such.so", dir);
	expect_module_only(path);
}

/* The main program's entry, as the shim records it. */
static int main_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct tally_module *m = arg;

	(void)size;
	modules_describe(info, m);
	m->committed = 1;
	return 1;  /* the first entry is the program */
}

__attribute__((noinline)) int hostile_known_function(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3 + 1;
}

/* A real ELF file still resolves through the fd we open, and libdwfl
 * closes that fd with the session: none is left after symbolizer_free. */
static void test_module_regular_elf(void **state)
{
	struct tally_module m;
	struct tally_frame_info fi;
	char exe[PATH_MAX];

	(void)state;
	assert_int_equal(hostile_known_function(1), 4);
	dl_iterate_phdr(main_module, &m);
	assert_non_null(realpath("/proc/self/exe", exe));
	assert_true(strlen(exe) < sizeof(m.path));
	memcpy(m.path, exe, strlen(exe) + 1);

	int before = count_fds();
	struct symbolizer *s = symbolizer_new(&m, 1);
	assert_non_null(s);
	uint64_t addr = (uint64_t)(uintptr_t)&hostile_known_function;
	symbolizer_lookup(s, 0, addr + 1, false, &fi);
	assert_str(fi.module, exe);
	assert_str(fi.function, "hostile_known_function");
	assert_int_equal(fi.func_start, addr - m.bias);
	symbolizer_frame_clear(&fi);
	symbolizer_free(s);
	assert_int_equal(count_fds(), before);
}

/* ---- reports: the exe field -------------------------------------------- */

/* A log with no socket, exe set to the exe_len bytes of exe (the rest of
 * the field zero), and a marker right after the field that must never
 * show. */
static struct logread *hostile_log(const char *exe, size_t exe_len)
{
	struct logread *lr = g_new0(struct logread, 1);

	assert_true(exe_len <= sizeof(lr->hdr.exe));
	memcpy(lr->hdr.exe, exe, exe_len);
	/* cmdline_len follows exe directly; the command line itself is
	 * reported (JSON process.cmdline), so it is no marker. */
	memcpy(&lr->hdr.cmdline_len, "AAAA", 4);
	memcpy(lr->hdr.magic, TALLY_MAGIC, 8);
	lr->hdr.pid = 42;
	lr->hdr.exit_state = TALLY_EXITED;
	snprintf(lr->path, sizeof(lr->path), "/tmp/t.log");
	return lr;
}

enum report_kind { JSON, TEXT };

/* The report of lr, as a string to g_free. */
static char *report(const struct logread *lr, enum report_kind kind)
{
	struct analysis a;
	struct report_opts o = { 20, 16 };
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	memset(&a, 0, sizeof(a));
	a.lr = lr;
	a.groups = g_ptr_array_new();
	a.sites = g_ptr_array_new();
	a.failures = g_ptr_array_new();
	a.anomalies = g_ptr_array_new();
	struct symbolizer *sym = symbolizer_new(NULL, 0);
	if (kind == JSON)
		report_json(out, &a, sym, NULL);
	else
		report_text(out, &a, sym, &o, NULL);
	fclose(out);
	symbolizer_free(sym);
	g_ptr_array_free(a.groups, TRUE);
	g_ptr_array_free(a.sites, TRUE);
	g_ptr_array_free(a.failures, TRUE);
	g_ptr_array_free(a.anomalies, TRUE);

	/* whatever the log held: UTF-8, and no control byte but the newlines */
	assert_true(g_utf8_validate(buf, (gssize)size, NULL));
	for (size_t i = 0; i < size; i++)
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n') || buf[i] == 0x7f)
			fail_msg("control byte 0x%02x at %zu of the report", buf[i], i);
	char *copy = g_strndup(buf, size);
	free(buf);
	return copy;
}

/* want, with every "~" replaced by U+FFFD. */
static char *with_fffd(const char *want)
{
	GString *s = g_string_new(NULL);

	for (const char *p = want; *p; p++) {
		if (*p == '~')
			g_string_append(s, "\xef\xbf\xbd");
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

/* The report of an exe field holding exe[0..exe_len) contains want ("~"
 * standing for U+FFFD). */
static void expect_exe(const char *exe, size_t exe_len, enum report_kind kind,
                       const char *want)
{
	struct logread *lr = hostile_log(exe, exe_len);
	char *out = report(lr, kind);
	char *w = with_fffd(want);

	if (strstr(out, w) == NULL)
		fail_msg("report lacks\n  %s\nit was:\n%s", w, out);
	assert_null(strstr(out, "AAAA"));
	g_free(w);
	g_free(out);
	g_free(lr);
}

/* head, n copies of c, then tail; g_free it. */
static char *repeat(const char *head, char c, size_t n, const char *tail)
{
	char *run = g_malloc(n + 1);

	memset(run, c, n);
	run[n] = '\0';
	char *s = g_strconcat(head, run, tail, NULL);
	g_free(run);
	return s;
}

/* 256 bytes of 0xff, no NUL: 256 replacement characters, nothing after. */
static void test_exe_no_nul_not_utf8(void **state)
{
	char exe[TALLY_EXE_MAX];
	char *want;

	(void)state;
	memset(exe, 0xff, sizeof(exe));
	want = repeat("\"exe\":\"", '~', TALLY_EXE_MAX, "\",\"running\":");
	expect_exe(exe, sizeof(exe), JSON, want);
	g_free(want);
	want = repeat("process 42 (", '~', TALLY_EXE_MAX, "), exited;");
	expect_exe(exe, sizeof(exe), TEXT, want);
	g_free(want);
}

/* Printable ASCII without a NUL: every byte, up to the field's end. */
static void test_exe_no_nul_ascii(void **state)
{
	char exe[TALLY_EXE_MAX];
	char *want;

	(void)state;
	memset(exe, 'x', sizeof(exe));
	want = repeat("\"exe\":\"", 'x', TALLY_EXE_MAX, "\",\"running\":");
	expect_exe(exe, sizeof(exe), JSON, want);
	g_free(want);
	want = repeat("process 42 (", 'x', TALLY_EXE_MAX, "), exited;");
	expect_exe(exe, sizeof(exe), TEXT, want);
	g_free(want);
}

/* A multibyte character cut by the end of the field. */
static void test_exe_cut_character(void **state)
{
	char exe[TALLY_EXE_MAX];
	char *want;

	(void)state;
	memset(exe, 'y', sizeof(exe));
	exe[TALLY_EXE_MAX - 1] = '\xc3';
	want = repeat("\"exe\":\"", 'y', TALLY_EXE_MAX - 1, "~\",\"running\":");
	expect_exe(exe, sizeof(exe), JSON, want);
	g_free(want);
	want = repeat("process 42 (", 'y', TALLY_EXE_MAX - 1, "~), exited;");
	expect_exe(exe, sizeof(exe), TEXT, want);
	g_free(want);
}

/* Only what comes before the field's NUL, not the stale bytes after it. */
static void test_exe_stops_at_nul(void **state)
{
	static const char exe[] = "/bin/ok\0\xff\xff\x1b[2J";

	(void)state;
	expect_exe(exe, sizeof(exe) - 1, JSON, "\"exe\":\"/bin/ok\",");
	expect_exe(exe, sizeof(exe) - 1, TEXT, "process 42 (/bin/ok), exited;");
}

/* Quotes, backslashes, C0 controls, an ANSI escape, DEL, a C1 control
 * (U+009B, CSI in some terminals), a valid multibyte character and an
 * overlong encoding of '/' (0xc0 0xaf, not UTF-8). */
static void test_exe_controls(void **state)
{
	static const char exe[] = "a\"b\\c\td\x1b[1m\x7f\xc2\x9b\xc3\xa9\n\r\xc0\xafz";

	(void)state;
	expect_exe(exe, sizeof(exe) - 1, JSON,
	           "\"exe\":\"a\\\"b\\\\c\\td\\u001b[1m\\u007f\\u009b\xc3\xa9\\n\\r~~z\",");
	expect_exe(exe, sizeof(exe) - 1, TEXT,
	           "process 42 (a\"b\\c\\x09d\\x1b[1m\\x7f\\u009b\xc3\xa9\\x0a\\x0d~~z), exited;");
}

/* A log path (from the command line) that is not UTF-8 either. */
static void test_log_path_not_utf8(void **state)
{
	struct logread *lr = hostile_log("/bin/ok", 7);

	(void)state;
	snprintf(lr->path, sizeof(lr->path), "/tmp/\xff\x01.log");
	char *out = report(lr, JSON);
	char *w = with_fffd("\"log\":\"/tmp/~\\u0001.log\"");
	assert_non_null(strstr(out, w));
	g_free(w);
	g_free(out);
	out = report(lr, TEXT);
	w = with_fffd("tally report: /tmp/~\\x01.log\n");
	assert_non_null(strstr(out, w));
	g_free(w);
	g_free(out);
	g_free(lr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_module_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_not_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_regular_elf, setup, teardown),
		cmocka_unit_test(test_exe_no_nul_not_utf8),
		cmocka_unit_test(test_exe_no_nul_ascii),
		cmocka_unit_test(test_exe_cut_character),
		cmocka_unit_test(test_exe_stops_at_nul),
		cmocka_unit_test(test_exe_controls),
		cmocka_unit_test(test_log_path_not_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
