/*
 * Unit test of shim/tallies.c, the counts of failed calls and anomalies,
 * over a log in plain memory, read back through analyzer/logread.c's
 * logread_tally.  Known answers: one entry per (kind, detail, stack) with
 * its exact count and first/last times; keys that hash alike share a
 * window; a full window counts the overflow as lost, never overwrites;
 * 8 threads counting the same keys at once lose nothing; the key and the
 * violation detail encode and decode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "logread.h"
#include "memlog.h"
#include "tallies.h"

static struct tally_log mem;

static int setup(void **state)
{
	struct tally_settings s = memlog_settings(64, 8, 1u << 20);

	memlog_open(&mem, &s);
	return 0;
}

static int teardown(void **state)
{
	memlog_close(&mem);
	return 0;
}

/* The reader's view of the in-memory log: enough of a struct logread for
 * logread_tally. */
static struct logread reader(void)
{
	struct logread lr;

	memset(&lr, 0, sizeof(lr));
	lr.base = mem.base;
	lr.size = mem.size;
	lr.hdr = *mem.hdr;
	lr.tallies = mem.tallies;
	return lr;
}

/* The entry of `key`, copied; fails the test when there is none. */
static struct tally_tally find(uint64_t key)
{
	struct logread lr = reader();
	struct tally_tally t;

	for (uint32_t i = 0; i < lr.hdr.max_tallies; i++)
		if (logread_tally(&lr, i, &t) && t.key == key)
			return t;
	fail_msg("no tally for key %#llx", (unsigned long long)key);
	memset(&t, 0, sizeof(t));
	return t;
}

static unsigned entries_in_use(void)
{
	struct logread lr = reader();
	struct tally_tally t;
	unsigned n = 0;

	for (uint32_t i = 0; i < lr.hdr.max_tallies; i++)
		n += logread_tally(&lr, i, &t);
	return n;
}

static void keys_encode_and_decode(void **state)
{
	uint64_t k = TALLY_TALLY_KEY(TALLY_EV_BIND, EADDRINUSE, 0xfffffffdu);

	assert_true(k >> 63);
	assert_int_equal(TALLY_TALLY_KIND(k), TALLY_EV_BIND);
	assert_int_equal(TALLY_TALLY_DETAIL(k), EADDRINUSE);
	assert_int_equal(TALLY_TALLY_STACK(k), 0xfffffffdu);
	/* stack 0 (none) and every field 0 still make a key, never 0 */
	assert_true(TALLY_TALLY_KEY(0, 0, 0) != 0);

	uint16_t d = TALLY_VIOL_DETAIL(TALLY_VIOL_AFTER_RELEASE, 1, 63);
	assert_int_equal(TALLY_VIOL_KIND(d), TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(TALLY_VIOL_CERTAIN(d), 1);
	assert_int_equal(TALLY_VIOL_TYPE(d), 63);
	d = TALLY_VIOL_DETAIL(TALLY_VIOL_DOUBLE_CLOSE, 0, -1);
	assert_int_equal(TALLY_VIOL_KIND(d), TALLY_VIOL_DOUBLE_CLOSE);
	assert_int_equal(TALLY_VIOL_CERTAIN(d), 0);
	assert_int_equal(TALLY_VIOL_TYPE(d), -1);
}

static void each_key_is_counted_apart(void **state)
{
	for (int i = 0; i < 5; i++)
		tallies_add(&mem, TALLY_EV_BIND, EADDRINUSE, 7, 1000 + i);
	tallies_add(&mem, TALLY_EV_BIND, EACCES, 7, 2000);
	tallies_add(&mem, TALLY_EV_BIND, EADDRINUSE, 8, 3000);
	tallies_add(&mem, TALLY_EV_CLOSE, EBADF, TALLY_STACK_NONE, 4000);

	assert_int_equal(entries_in_use(), 4);
	struct tally_tally t = find(TALLY_TALLY_KEY(TALLY_EV_BIND, EADDRINUSE, 7));
	assert_int_equal(t.count, 5);
	assert_int_equal(t.first_ns, 1000);
	assert_int_equal(t.last_ns, 1004);
	assert_int_equal(find(TALLY_TALLY_KEY(TALLY_EV_BIND, EACCES, 7)).count, 1);
	assert_int_equal(find(TALLY_TALLY_KEY(TALLY_EV_BIND, EADDRINUSE, 8)).count, 1);
	assert_int_equal(find(TALLY_TALLY_KEY(TALLY_EV_CLOSE, EBADF, 0)).count, 1);
	assert_int_equal(mem.hdr->tallies_lost, 0);
}

/* Fills the table until keys are lost: every key counted is found again
 * with its count, and nothing is counted twice or overwritten. */
static void a_full_window_loses_counts_but_keeps_the_rest(void **state)
{
	uint32_t max = mem.hdr->max_tallies, stored = 0;

	for (uint32_t stack = 1; stack <= 2 * max; stack++) {
		uint64_t lost = mem.hdr->tallies_lost;
		tallies_add(&mem, TALLY_EV_CONNECT, ECONNREFUSED, stack, stack);
		tallies_add(&mem, TALLY_EV_CONNECT, ECONNREFUSED, stack, stack + 1);
		stored += mem.hdr->tallies_lost == lost;
	}
	assert_true(stored <= max);
	assert_true(stored > max / 2);   /* the windows fill the table well */
	assert_int_equal(mem.hdr->tallies_lost, 2 * (2 * max - stored));
	assert_int_equal(entries_in_use(), stored);
	struct logread lr = reader();
	for (uint32_t i = 0; i < max; i++) {
		struct tally_tally t;
		if (!logread_tally(&lr, i, &t))
			continue;
		assert_int_equal(t.count, 2);
		assert_int_equal(t.first_ns, TALLY_TALLY_STACK(t.key));
		assert_int_equal(t.last_ns, TALLY_TALLY_STACK(t.key) + 1);
	}
}

#define THREADS 8
#define ADDS 20000
#define KEYS 16

static void *count_keys(void *arg)
{
	(void)arg;
	for (int i = 0; i < ADDS; i++)
		tallies_add(&mem, TALLY_EV_SOCKET, EMFILE, 1 + i % KEYS, i);
	return NULL;
}

/* Threads claiming the same new keys at the same time: one entry per key,
 * every occurrence counted. */
static void concurrent_counts_are_exact(void **state)
{
	pthread_t th[THREADS];

	for (int t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, count_keys, NULL), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	assert_int_equal(entries_in_use(), KEYS);
	for (uint32_t k = 1; k <= KEYS; k++)
		assert_int_equal(find(TALLY_TALLY_KEY(TALLY_EV_SOCKET, EMFILE, k)).count,
		                 THREADS * ADDS / KEYS);
	assert_int_equal(mem.hdr->tallies_lost, 0);
}

/* A log without a tallies section (max_tallies 0) counts nothing and does
 * not crash. */
static void no_table_no_count(void **state)
{
	uint32_t max = mem.hdr->max_tallies;

	mem.hdr->max_tallies = 0;
	tallies_add(&mem, TALLY_EV_BIND, EADDRINUSE, 1, 1);
	mem.hdr->max_tallies = max;
	assert_int_equal(entries_in_use(), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_encode_and_decode),
		T(each_key_is_counted_apart),
		T(a_full_window_loses_counts_but_keeps_the_rest),
		T(concurrent_counts_are_exact),
		T(no_table_no_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
