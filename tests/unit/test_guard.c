/*
 * Unit test of shim/guard.c, the fault guard the shim reads the program's
 * memory under at exit, and of shim/gtype.c and shim/procinfo.c's map
 * reader it relies on.  Known answers: a read of an unmapped page lands
 * back at the jump point, even with SIGSEGV blocked in the thread's mask
 * (which would otherwise kill the process whatever the handler); the
 * program's own handler and mask are back after disarming; a GObject's
 * extent runs from its private part to the end of its instance, and a
 * fake instance whose class pointer leads to garbage is no GObject; smaps
 * gives a mapping its VmFlags; the fd walker sees each open fd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib-object.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gtype.h"
#include "guard.h"
#include "procinfo.h"
#include "real.h"

static void programs_handler(int sig)
{
	(void)sig;
}

/* A page that faults when read. */
static volatile const int *unmapped_page(void)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* Reads *p under the guard; 1 when the read faulted. */
static int read_faults(volatile const int *p)
{
	volatile int faulted = 0;

	if (sigsetjmp(guard_env, 0))
		faulted = 1;
	else
		(void)*p;
	return faulted;
}

static void a_fault_lands_back_and_the_programs_handler_returns(void **state)
{
	struct sigaction mine, now;
	volatile const int *bad = unmapped_page();

	(void)state;
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = programs_handler;
	assert_int_equal(sigaction(SIGSEGV, &mine, NULL), 0);
	assert_int_equal(guard_arm(), 0);
	assert_int_equal(read_faults(bad), 1);
	assert_int_equal(read_faults(bad), 1);   /* again: still armed */
	assert_false(guard_lost());
	guard_disarm();
	assert_int_equal(sigaction(SIGSEGV, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, programs_handler);
	signal(SIGSEGV, SIG_DFL);
	munmap((void *)bad, (size_t)sysconf(_SC_PAGESIZE));
}

static void a_fault_with_sigsegv_blocked_still_lands_back(void **state)
{
	sigset_t block, now;
	volatile const int *bad = unmapped_page();

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGSEGV);
	sigaddset(&block, SIGBUS);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, NULL), 0);
	assert_int_equal(guard_arm(), 0);
	assert_int_equal(read_faults(bad), 1);
	guard_disarm();
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &now), 0);
	assert_true(sigismember(&now, SIGSEGV));   /* the thread's mask back */
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &block, NULL), 0);
	munmap((void *)bad, (size_t)sysconf(_SC_PAGESIZE));
}

static void disarming_unarmed_changes_no_handler(void **state)
{
	struct sigaction mine, now;

	(void)state;
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = programs_handler;
	assert_int_equal(sigaction(SIGSEGV, &mine, NULL), 0);
	guard_disarm();
	assert_int_equal(sigaction(SIGSEGV, NULL, &now), 0);
	assert_ptr_equal(now.sa_handler, programs_handler);
	signal(SIGSEGV, SIG_DFL);
}

static volatile int programs_handler_ran;

static void counting_handler(int sig)
{
	(void)sig;
	programs_handler_ran++;
}

static void a_pending_sigsegv_keeps_the_guard_off(void **state)
{
	sigset_t block, pending;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGSEGV);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, NULL), 0);
	raise(SIGSEGV);   /* pending: the program blocks it and never takes it */
	assert_int_equal(guard_arm(), -1);   /* unblocking would deliver it */
	assert_int_equal(sigpending(&pending), 0);
	assert_true(sigismember(&pending, SIGSEGV));   /* still pending, still blocked */
	/* discard it */
	signal(SIGSEGV, SIG_IGN);
	assert_int_equal(pthread_sigmask(SIG_UNBLOCK, &block, NULL), 0);
	signal(SIGSEGV, SIG_DFL);
}

static void a_sigsegv_someone_sends_goes_to_the_programs_handler(void **state)
{
	struct sigaction mine;
	volatile int landed = 0;

	(void)state;
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = counting_handler;
	assert_int_equal(sigaction(SIGSEGV, &mine, NULL), 0);
	programs_handler_ran = 0;
	assert_int_equal(guard_arm(), 0);
	if (sigsetjmp(guard_env, 0))
		landed = 1;
	else
		raise(SIGSEGV);   /* sent, not a fault: not the walk's */
	assert_int_equal(landed, 0);
	assert_int_equal(programs_handler_ran, 1);
	assert_false(guard_lost());   /* called from the guard's, which stays */
	guard_disarm();
	signal(SIGSEGV, SIG_DFL);
}

/* The program's own fault recovery, per thread. */
static __thread sigjmp_buf programs_env;
static volatile const int *fault_page;

static void recovering_handler(int sig)
{
	(void)sig;
	siglongjmp(programs_env, 1);
}

static void *fault_and_recover(void *arg)
{
	volatile int recovered = 0;

	(void)arg;
	for (int i = 0; i < 100; i++) {
		if (!sigsetjmp(programs_env, 1))
			(void)*fault_page;
		else
			recovered++;
	}
	return (void *)(intptr_t)recovered;
}

static void another_threads_fault_recovery_leaves_the_guard_in_place(void **state)
{
	struct sigaction mine;
	pthread_t t;
	void *recovered;

	(void)state;
	fault_page = unmapped_page();
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = recovering_handler;
	assert_int_equal(sigaction(SIGSEGV, &mine, NULL), 0);
	assert_int_equal(guard_arm(), 0);
	/* another thread faults on purpose and recovers with the program's
	 * handler, called from the guard's */
	assert_int_equal(pthread_create(&t, NULL, fault_and_recover, NULL), 0);
	assert_int_equal(pthread_join(t, &recovered), 0);
	assert_true((intptr_t)recovered > 0);   /* the program recovered, by its handler */
	assert_false(guard_lost());
	/* the walk's fault still lands at guard_env, not in the program's
	 * handler (whose jump buffer this thread never set) */
	assert_int_equal(read_faults(fault_page), 1);
	guard_disarm();
	signal(SIGSEGV, SIG_DFL);
	munmap((void *)fault_page, (size_t)sysconf(_SC_PAGESIZE));
}

typedef struct {
	GObject parent;
	char pad[200];
} TgBox;
typedef struct {
	GObjectClass parent;
} TgBoxClass;
typedef struct {
	void *a, *b, *c;
} TgBoxPrivate;
G_DEFINE_TYPE_WITH_PRIVATE(TgBox, tg_box, G_TYPE_OBJECT)
static void tg_box_class_init(TgBoxClass *k)
{
	(void)k;
}
static void tg_box_init(TgBox *b)
{
	(void)b;
}

static void a_gobjects_extent_covers_its_private_part_and_instance(void **state)
{
	struct gtype_api api = { 0 };
	uintptr_t lo = 0, hi = 0;
	TgBox *box = g_object_new(tg_box_get_type(), NULL);
	GObject *plain = g_object_new(G_TYPE_OBJECT, NULL);

	(void)state;
	gtype_api_lookup(&api);
	assert_int_equal(guard_arm(), 0);
	assert_int_equal(gtype_object_extent(&api, (uintptr_t)box, &lo, &hi), 1);
	assert_int_equal(lo, (uintptr_t)tg_box_get_instance_private(box));
	assert_int_equal(hi, (uintptr_t)box + sizeof(TgBox));
	/* a class with no private part of its own: GLib would g_error() on
	 * g_type_class_get_instance_private_offset */
	assert_int_equal(gtype_object_extent(&api, (uintptr_t)plain, &lo, &hi), 1);
	assert_int_equal(lo, (uintptr_t)plain);
	assert_int_equal(hi, (uintptr_t)plain + sizeof(GObject));
	/* a fake: its class pointer leads to garbage */
	static uintptr_t garbage_class[4] = { 0x7ff0deadbeef0000u, 1, 2, 3 };
	static void *fake[4] = { garbage_class, 0, 0, 0 };
	assert_int_equal(gtype_object_extent(&api, (uintptr_t)fake, &lo, &hi), 0);
	guard_disarm();
	g_object_unref(box);
	g_object_unref(plain);
}

static int find_page(const struct procinfo_mapping *m, void *arg)
{
	uintptr_t want = *(uintptr_t *)arg;
	return want >= m->lo && want < m->hi && strcmp(m->perms, "rw-p") == 0 && m->name_len == 0;
}

static int find_heap(const struct procinfo_mapping *m, void *arg)
{
	(void)arg;
	return m->name_len == 6 && memcmp(m->name, "[heap]", 6) == 0;
}

static void the_map_reader_sees_anonymous_and_named_mappings(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);
	uintptr_t addr = (uintptr_t)p;
	void *small = g_malloc(32);   /* a [heap] exists */

	(void)state;
	assert_true(p != MAP_FAILED);
	assert_int_equal(procinfo_each_mapping(find_page, &addr), 1);
	assert_int_equal(procinfo_each_mapping(find_heap, NULL), 1);
	char path[4096];
	assert_int_equal(procinfo_mapped_path((uintptr_t)&find_heap, path, sizeof(path)), 0);
	assert_non_null(strstr(path, "test_guard"));
	assert_int_equal(procinfo_mapped_path(addr, path, sizeof(path)), -1);   /* no file */
	g_free(small);
	munmap(p, (size_t)page);
}

struct flags_probe {
	uintptr_t addr;
	int seen;
	char flags[256];
};

static int find_flags(const struct procinfo_mapping *m, void *arg)
{
	struct flags_probe *f = arg;

	if (f->addr < m->lo || f->addr >= m->hi)
		return 0;
	size_t n = m->vmflags_len < sizeof(f->flags) - 1 ? m->vmflags_len : sizeof(f->flags) - 1;
	memcpy(f->flags, m->vmflags, n);
	f->flags[n] = 0;
	f->seen = 1;
	return 1;
}

static void smaps_gives_each_mapping_its_vmflags(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	               -1, 0);
	struct flags_probe f = { (uintptr_t)p, 0, "" };

	(void)state;
	assert_true(p != MAP_FAILED);
	assert_int_equal(procinfo_each_mapping_flags(find_flags, &f), 1);
	assert_true(f.seen);
	assert_non_null(strstr(f.flags, " rd"));
	assert_non_null(strstr(f.flags, " wr"));
	assert_null(strstr(f.flags, " um"));
	/* the plain maps reader has no flags */
	f.seen = 0;
	assert_int_equal(procinfo_each_mapping(find_flags, &f), 1);
	assert_string_equal(f.flags, "");
	munmap(p, (size_t)page);
}

static int count_fd(int fd, void *arg)
{
	(void)fd;
	++*(int *)arg;
	return 0;
}

static void the_fd_walker_sees_a_new_fd_and_no_userfaultfd(void **state)
{
	int before = 0, after = 0;

	(void)state;
	assert_int_equal(procinfo_each_fd(count_fd, &before), 0);
	int fd = dup(2);
	assert_true(fd >= 0);
	assert_int_equal(procinfo_each_fd(count_fd, &after), 0);
	assert_int_equal(after, before + 1);
	close(fd);
	assert_false(procinfo_has_userfaultfd());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_fault_lands_back_and_the_programs_handler_returns),
		cmocka_unit_test(a_fault_with_sigsegv_blocked_still_lands_back),
		cmocka_unit_test(disarming_unarmed_changes_no_handler),
		cmocka_unit_test(a_pending_sigsegv_keeps_the_guard_off),
		cmocka_unit_test(a_sigsegv_someone_sends_goes_to_the_programs_handler),
		cmocka_unit_test(another_threads_fault_recovery_leaves_the_guard_in_place),
		cmocka_unit_test(a_gobjects_extent_covers_its_private_part_and_instance),
		cmocka_unit_test(the_map_reader_sees_anonymous_and_named_mappings),
		cmocka_unit_test(smaps_gives_each_mapping_its_vmflags),
		cmocka_unit_test(the_fd_walker_sees_a_new_fd_and_no_userfaultfd),
	};

	real_resolve();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
