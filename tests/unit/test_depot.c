/*
 * Unit test of shim/depot.c, the stack table, over a log in plain memory.
 * Known answers: ids from 1 in the order stacks are first seen, one id per
 * distinct (generation, frames), committed entries that a reader can verify
 * with tally_stack_hash, an exact count of stacks lost when the table or
 * the frame pool is full, and exactly one id per stack when 8 threads
 * intern the same 100 stacks at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "depot.h"
#include "logfile.h"
#include "memlog.h"
#include "settings.h"

/* ---- a log in memory ----------------------------------------------------- */

static struct tally_log mem;

static void mem_log_open(uint32_t max_stacks, uint32_t depth)
{
	struct tally_settings s = memlog_settings(max_stacks, depth, 1u << 20);

	memlog_open(&mem, &s);
}

static int setup_small(void **state)
{
	mem_log_open(64, 8);
	return 0;
}

static int teardown_mem(void **state)
{
	memlog_close(&mem);
	return 0;
}

/* Frames that differ per `n`, like return addresses in a text segment. */
static void frames_for(unsigned n, uint64_t *frames, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		frames[i] = 0x400000 + 0x1000 * n + 8 * i;
}

/* ---- ids ---------------------------------------------------------------- */

static void ids_start_at_1_in_order_of_first_sight(void **state)
{
	uint64_t a[4], b[4], c[4];
	frames_for(1, a, 4);
	frames_for(2, b, 4);
	frames_for(3, c, 4);

	assert_int_equal(depot_intern(&mem, 0, a, 4), 1);
	assert_int_equal(depot_intern(&mem, 0, b, 4), 2);
	assert_int_equal(depot_intern(&mem, 0, c, 4), 3);
	assert_int_equal(mem.hdr->stacks_used, 3);
	assert_int_equal(mem.hdr->frames_used, 12);
}

static void the_same_frames_give_the_same_id(void **state)
{
	uint64_t a[5], copy[5];
	frames_for(9, a, 5);
	memcpy(copy, a, sizeof(a));

	uint32_t id = depot_intern(&mem, 3, a, 5);
	assert_int_equal(id, 1);
	assert_int_equal(depot_intern(&mem, 3, copy, 5), id);
	assert_int_equal(depot_intern(&mem, 3, a, 5), id);
	assert_int_equal(depot_find(&mem, 3, copy, 5), id);
	assert_int_equal(mem.hdr->stacks_used, 1);   /* stored once */
	assert_int_equal(mem.hdr->frames_used, 5);
}

static void different_frames_depth_or_generation_give_different_ids(void **state)
{
	uint64_t a[6], b[6];
	frames_for(1, a, 6);
	memcpy(b, a, sizeof(a));
	b[5] ^= 1;   /* the outermost frame differs */

	uint32_t id_a = depot_intern(&mem, 0, a, 6);
	uint32_t id_b = depot_intern(&mem, 0, b, 6);
	uint32_t id_prefix = depot_intern(&mem, 0, a, 5);
	uint32_t id_gen = depot_intern(&mem, 1, a, 6);

	assert_int_equal(id_a, 1);
	assert_int_equal(id_b, 2);
	assert_int_equal(id_prefix, 3);
	assert_int_equal(id_gen, 4);
	assert_int_equal(depot_find(&mem, 0, a, 6), 1);
	assert_int_equal(depot_find(&mem, 0, b, 6), 2);
	assert_int_equal(depot_find(&mem, 0, a, 5), 3);
	assert_int_equal(depot_find(&mem, 1, a, 6), 4);
	assert_int_equal(depot_find(&mem, 2, a, 6), 0);
}

static void find_never_writes(void **state)
{
	uint64_t a[3];
	frames_for(1, a, 3);

	assert_int_equal(depot_find(&mem, 0, a, 3), 0);
	assert_int_equal(mem.hdr->stacks_used, 0);
	assert_int_equal(mem.hdr->frames_used, 0);
	for (uint32_t b = 0; b < mem.hdr->stack_buckets; b++)
		assert_int_equal(mem.index[b], 0);
}

static void an_entry_is_committed_with_its_frames_and_hash(void **state)
{
	uint64_t a[2], b[7];
	frames_for(1, a, 2);
	frames_for(2, b, 7);

	depot_intern(&mem, 5, a, 2);
	uint32_t id = depot_intern(&mem, 6, b, 7);
	struct tally_stack *st = depot_entry(&mem, id);

	assert_ptr_equal(st, &mem.stacks[1]);
	assert_int_equal(st->committed, 1);
	assert_int_equal(st->depth, 7);
	assert_int_equal(st->generation, 6);
	assert_int_equal(st->frames_index, 2);   /* after the first stack's 2 */
	assert_memory_equal(&mem.frames[st->frames_index], b, sizeof(b));
	assert_int_equal(st->hash, tally_stack_hash(6, b, 7));
	assert_int_equal(st->created, 0);
	assert_int_equal(st->closed, 0);
	/* The index holds the id in exactly one bucket. */
	unsigned seen = 0;
	for (uint32_t i = 0; i < mem.hdr->stack_buckets; i++)
		seen += mem.index[i] == id;
	assert_int_equal(seen, 1);
}

static void entry_of_special_and_out_of_range_ids_is_null(void **state)
{
	assert_null(depot_entry(&mem, TALLY_STACK_NONE));
	assert_null(depot_entry(&mem, TALLY_STACK_LOST));
	assert_null(depot_entry(&mem, TALLY_STACK_NESTED));
	assert_null(depot_entry(&mem, 65));
	assert_ptr_equal(depot_entry(&mem, 1), &mem.stacks[0]);
	assert_ptr_equal(depot_entry(&mem, 64), &mem.stacks[63]);
}

/* ---- full ---------------------------------------------------------------- */

static void a_full_table_returns_lost_and_counts_it(void **state)
{
	uint64_t f[3];

	for (unsigned n = 0; n < 64; n++) {
		frames_for(n, f, 3);
		assert_int_equal(depot_intern(&mem, 0, f, 3), n + 1);
	}
	frames_for(64, f, 3);
	assert_int_equal(depot_intern(&mem, 0, f, 3), TALLY_STACK_LOST);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STACK_FULL], 1);
	frames_for(65, f, 3);
	assert_int_equal(depot_intern(&mem, 0, f, 3), TALLY_STACK_LOST);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STACK_FULL], 2);
	assert_int_equal(depot_find(&mem, 0, f, 3), 0);

	/* Stacks already stored are still found, and cost no loss. */
	frames_for(0, f, 3);
	assert_int_equal(depot_intern(&mem, 0, f, 3), 1);
	frames_for(63, f, 3);
	assert_int_equal(depot_intern(&mem, 0, f, 3), 64);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STACK_FULL], 2);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_FULL], 0);
}

/* The pool holds max_frames frames, enough for every entry at the log's
 * depth (8).  Stacks deeper than that use it up first: exactly
 * max_frames / 64 stacks of 64 frames fit. */
static void a_full_frame_pool_returns_lost_and_counts_it(void **state)
{
	uint64_t f[64];
	unsigned fit = mem.hdr->max_frames / 64;

	assert_true(fit >= 1 && fit < mem.hdr->max_stacks);
	for (unsigned n = 0; n < fit; n++) {
		frames_for(n, f, 64);
		assert_int_equal(depot_intern(&mem, 0, f, 64), n + 1);
	}
	frames_for(fit, f, 64);
	assert_int_equal(depot_intern(&mem, 0, f, 64), TALLY_STACK_LOST);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STACK_FULL], 1);
	frames_for(fit - 1, f, 64);
	assert_int_equal(depot_intern(&mem, 0, f, 64), fit);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STACK_FULL], 1);
}

/* ---- concurrency --------------------------------------------------------- */

#define THREADS 8
#define STACKS 100
#define DEPTH 6

static uint32_t got[THREADS][STACKS];
static unsigned arrived;   /* threads at the start line of the next stack */

/* A spinning barrier: the threads leave it within nanoseconds of each
 * other, where pthread_barrier_wait wakes them one by one.  It yields
 * while waiting, for machines with fewer CPUs than threads. */
static void start_line(unsigned n)
{
	unsigned want = (n + 1) * THREADS;

	__atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < want)
		sched_yield();
}

static void *intern_all(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	uint64_t f[DEPTH];

	/* All threads take the same stack at the same moment, so they race
	 * for its bucket. */
	for (unsigned n = 0; n < STACKS; n++) {
		frames_for(n, f, DEPTH);
		start_line(n);
		got[t][n] = depot_intern(&mem, 0, f, DEPTH);
	}
	return NULL;
}

static void eight_threads_agree_on_one_id_per_stack(void **state)
{
	for (int round = 0; round < 20; round++) {
		pthread_t th[THREADS];

		teardown_mem(state);
		mem_log_open(1024, 8);
		memset(got, 0, sizeof(got));
		arrived = 0;
		for (unsigned t = 0; t < THREADS; t++)
			assert_int_equal(pthread_create(&th[t], NULL, intern_all,
			                                (void *)(uintptr_t)t), 0);
		for (unsigned t = 0; t < THREADS; t++)
			pthread_join(th[t], NULL);

		int seen[1025] = { 0 };
		unsigned distinct = 0;
		for (unsigned n = 0; n < STACKS; n++) {
			uint32_t id = got[0][n];
			uint64_t f[DEPTH];
			assert_true(id >= 1 && id <= 1024);
			for (unsigned t = 1; t < THREADS; t++)
				if (got[t][n] != id)
					fail_msg("round %d stack %u: thread 0 got id %u, thread %u got %u",
					         round, n, id, t, got[t][n]);
			if (!seen[id]++)
				distinct++;
			frames_for(n, f, DEPTH);
			assert_int_equal(depot_find(&mem, 0, f, DEPTH), id);
			struct tally_stack *st = depot_entry(&mem, id);
			assert_int_equal(st->committed, 1);
			assert_memory_equal(&mem.frames[st->frames_index], f, sizeof(f));
		}
		assert_int_equal(distinct, STACKS);
		assert_int_equal(mem.hdr->dropped[TALLY_DROP_STACK_FULL], 0);
		/* A lost race may leave an unused entry behind, never fewer. */
		assert_true(mem.hdr->stacks_used >= STACKS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ids_start_at_1_in_order_of_first_sight,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(the_same_frames_give_the_same_id,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(different_frames_depth_or_generation_give_different_ids,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(find_never_writes, setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(an_entry_is_committed_with_its_frames_and_hash,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(entry_of_special_and_out_of_range_ids_is_null,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(a_full_table_returns_lost_and_counts_it,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(a_full_frame_pool_returns_lost_and_counts_it,
		                                setup_small, teardown_mem),
		cmocka_unit_test_setup_teardown(eight_threads_agree_on_one_id_per_stack,
		                                setup_small, teardown_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
