/*
 * Unit test of shim/fdstate.c, the table of open socket fds, over a log in
 * plain memory.  Known answers: a slot holds exactly what was opened, a
 * close with another serial (a racing re-open) leaves it alone, an open
 * over a slot still set reports the stale socket, and every count — per
 * stack, per log, and the untracked fds beyond the table — is exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "depot.h"
#include "fdstate.h"
#include "logfile.h"
#include "memlog.h"

static struct tally_log mem;
static uint32_t stack_a, stack_b;   /* two interned creation stacks */

static int setup(void **state)
{
	struct tally_settings s = memlog_settings(64, 8, 1u << 20);

	memlog_open(&mem, &s);

	const uint64_t fa[] = { 0x401000, 0x402000 }, fb[] = { 0x401000, 0x403000 };
	stack_a = depot_intern(&mem, 0, fa, 2);
	stack_b = depot_intern(&mem, 0, fb, 2);
	assert_int_equal(stack_a, 1);
	assert_int_equal(stack_b, 2);
	return 0;
}

static int teardown(void **state)
{
	memlog_close(&mem);
	return 0;
}

static struct tally_fd_slot socket_slot(uint64_t serial, uint32_t stack_id)
{
	struct tally_fd_slot s;

	memset(&s, 0, sizeof(s));
	s.serial = serial;
	s.time_ns = 1000 + (int64_t)serial;
	s.stack_id = stack_id;
	s.tid = 4242;
	s.domain = AF_INET;
	s.type = SOCK_DGRAM;
	s.protocol = 17;
	return s;
}

/* ---- open ---------------------------------------------------------------- */

static void open_publishes_the_slot_and_counts_it(void **state)
{
	struct tally_fd_slot init = socket_slot(7, stack_a);

	assert_int_equal(fdstate_open(&mem, 5, &init), 0);
	assert_int_equal(fdstate_serial(&mem, 5), 7);
	assert_memory_equal(&mem.state[5], &init, sizeof(init));
	assert_int_equal(mem.hdr->sockets_created, 1);
	assert_int_equal(mem.hdr->sockets_closed, 0);
	assert_int_equal(depot_entry(&mem, stack_a)->created, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->closed, 0);
	assert_int_equal(depot_entry(&mem, stack_b)->created, 0);
	/* neighbours untouched */
	assert_int_equal(fdstate_serial(&mem, 4), 0);
	assert_int_equal(fdstate_serial(&mem, 6), 0);
}

static void open_over_a_set_slot_returns_the_stale_serial(void **state)
{
	struct tally_fd_slot first = socket_slot(7, stack_a);
	struct tally_fd_slot second = socket_slot(9, stack_b);

	assert_int_equal(fdstate_open(&mem, 5, &first), 0);
	assert_int_equal(fdstate_open(&mem, 5, &second), 7);
	assert_memory_equal(&mem.state[5], &second, sizeof(second));
	/* the stale socket is closed in the books of the stack that made it */
	assert_int_equal(mem.hdr->sockets_created, 2);
	assert_int_equal(mem.hdr->sockets_closed, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->created, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->closed, 1);
	assert_int_equal(depot_entry(&mem, stack_b)->created, 1);
	assert_int_equal(depot_entry(&mem, stack_b)->closed, 0);
}

/* ---- close --------------------------------------------------------------- */

static void close_with_the_serial_clears_and_counts_once(void **state)
{
	struct tally_fd_slot init = socket_slot(7, stack_a);

	fdstate_open(&mem, 5, &init);
	assert_int_equal(fdstate_close(&mem, 5, 7), 1);
	assert_int_equal(fdstate_serial(&mem, 5), 0);
	assert_int_equal(mem.hdr->sockets_closed, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->closed, 1);

	assert_int_equal(fdstate_close(&mem, 5, 7), 0);   /* again: nothing */
	assert_int_equal(mem.hdr->sockets_closed, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->closed, 1);
}

/* Another thread re-opened the number: its socket must survive a late
 * close of the old one. */
static void close_with_another_serial_leaves_the_slot(void **state)
{
	struct tally_fd_slot init = socket_slot(9, stack_b);

	fdstate_open(&mem, 5, &init);
	assert_int_equal(fdstate_close(&mem, 5, 7), 0);
	assert_int_equal(fdstate_close(&mem, 5, 0), 0);
	assert_int_equal(fdstate_serial(&mem, 5), 9);
	assert_memory_equal(&mem.state[5], &init, sizeof(init));
	assert_int_equal(mem.hdr->sockets_closed, 0);
	assert_int_equal(depot_entry(&mem, stack_b)->closed, 0);
}

static void close_of_an_empty_or_foreign_fd_does_nothing(void **state)
{
	assert_int_equal(fdstate_close(&mem, 3, 1), 0);
	assert_int_equal(fdstate_close(&mem, -1, 1), 0);
	assert_int_equal(fdstate_close(&mem, 64, 1), 0);
	assert_int_equal(fdstate_close(&mem, 1 << 30, 1), 0);
	assert_int_equal(mem.hdr->sockets_closed, 0);
}

static void sockets_without_a_stack_count_in_the_header_only(void **state)
{
	struct tally_fd_slot lost = socket_slot(3, TALLY_STACK_LOST);
	struct tally_fd_slot none = socket_slot(4, TALLY_STACK_NONE);

	assert_int_equal(fdstate_open(&mem, 10, &lost), 0);
	assert_int_equal(fdstate_open(&mem, 11, &none), 0);
	assert_int_equal(fdstate_close(&mem, 10, 3), 1);
	assert_int_equal(mem.hdr->sockets_created, 2);
	assert_int_equal(mem.hdr->sockets_closed, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->created, 0);
	assert_int_equal(depot_entry(&mem, stack_b)->created, 0);
}

/* close() marks the socket before the kernel frees the number; the closer
 * then clears it with the marked serial. */
static void mark_closing_then_close(void **state)
{
	struct tally_fd_slot init = socket_slot(7, stack_a);
	uint64_t marked;

	fdstate_open(&mem, 5, &init);
	marked = fdstate_mark_closing(&mem, 5);
	assert_int_equal(marked, 7 | TALLY_SERIAL_CLOSING);
	assert_int_equal(fdstate_serial(&mem, 5), marked);   /* still open */
	assert_int_equal(mem.hdr->sockets_closed, 0);
	/* marking again (a close that was cancelled, then retried) */
	assert_int_equal(fdstate_mark_closing(&mem, 5), marked);
	assert_int_equal(fdstate_close(&mem, 5, marked), 1);
	assert_int_equal(fdstate_serial(&mem, 5), 0);
	assert_int_equal(mem.hdr->sockets_closed, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->closed, 1);
}

/* A socket() that gets the number back while the close is under way finds
 * the marked entry: the close is completed there, once, with no "closed
 * unseen" reported; the closer's clear then finds another socket and
 * leaves it alone. */
static void reopen_during_a_close_is_no_unseen_close(void **state)
{
	struct tally_fd_slot old = socket_slot(7, stack_a), next = socket_slot(9, stack_b);
	uint64_t marked;

	fdstate_open(&mem, 5, &old);
	marked = fdstate_mark_closing(&mem, 5);
	assert_int_equal(fdstate_open(&mem, 5, &next), 0);   /* not stale */
	assert_int_equal(fdstate_close(&mem, 5, marked), 0); /* not ours now */
	assert_int_equal(fdstate_serial(&mem, 5), 9);
	assert_int_equal(mem.hdr->sockets_closed, 1);
	assert_int_equal(depot_entry(&mem, stack_a)->closed, 1);
	assert_int_equal(depot_entry(&mem, stack_b)->closed, 0);
}

/* The same while a close_range is under way. */
static void reopen_during_a_close_range_is_no_unseen_close(void **state)
{
	struct tally_fd_slot old = socket_slot(7, stack_a), next = socket_slot(9, stack_b);

	fdstate_open(&mem, 5, &old);
	mem.closing_ranges = 1;
	assert_int_equal(fdstate_open(&mem, 5, &next), 0);
	mem.closing_ranges = 0;
	assert_int_equal(mem.hdr->sockets_closed, 1);
	/* without one, the same is an unseen close */
	fdstate_open(&mem, 6, &old);
	assert_int_equal(fdstate_open(&mem, 6, &next), 7);
}

static void mark_of_an_empty_or_foreign_fd_is_0(void **state)
{
	assert_int_equal(fdstate_mark_closing(&mem, 6), 0);
	assert_int_equal(fdstate_mark_closing(&mem, -1), 0);
	assert_int_equal(fdstate_mark_closing(&mem, 64), 0);
	assert_int_equal(mem.hdr->sockets_closed, 0);
}

/* ---- beyond the table ---------------------------------------------------- */

static void an_fd_beyond_the_table_is_counted_untracked(void **state)
{
	struct tally_fd_slot init = socket_slot(7, stack_a);

	assert_null(fdstate_slot(&mem, 64));
	assert_null(fdstate_slot(&mem, -1));
	assert_ptr_equal(fdstate_slot(&mem, 63), &mem.state[63]);

	assert_int_equal(fdstate_open(&mem, 64, &init), 0);
	assert_int_equal(fdstate_open(&mem, 1000, &init), 0);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STATE_FULL], 2);
	assert_int_equal(fdstate_serial(&mem, 64), 0);
	/* counted apart, not in the books: its close could never be counted,
	 * and created - closed must stay equal to open */
	assert_int_equal(mem.hdr->sockets_created, 0);
	assert_int_equal(depot_entry(&mem, stack_a)->created, 0);

	/* the last slot inside the table is a normal one */
	assert_int_equal(fdstate_open(&mem, 63, &init), 0);
	assert_int_equal(fdstate_serial(&mem, 63), 7);
	assert_int_equal(mem.hdr->dropped[TALLY_DROP_STATE_FULL], 2);
}

/* ---- addresses and flags -------------------------------------------------- */

static void set_addr_fills_local_or_peer_for_the_same_socket(void **state)
{
	struct tally_fd_slot init = socket_slot(7, stack_a);
	struct tally_addr local = { .family = AF_INET, .port = 20000, .addr = { 127, 0, 0, 1 } };
	struct tally_addr peer = { .family = AF_INET, .port = 5060, .addr = { 10, 1, 2, 3 } };

	fdstate_open(&mem, 5, &init);
	fdstate_set_addr(&mem, 5, 7, &local, 0);
	assert_memory_equal(&mem.state[5].local, &local, sizeof(local));
	assert_int_equal(mem.state[5].flags, TALLY_FD_BOUND);
	fdstate_set_addr(&mem, 5, 7, &peer, 1);
	assert_memory_equal(&mem.state[5].peer, &peer, sizeof(peer));
	assert_memory_equal(&mem.state[5].local, &local, sizeof(local));
	assert_int_equal(mem.state[5].flags, TALLY_FD_BOUND | TALLY_FD_CONNECTED);
	fdstate_add_flags(&mem, 5, 7, TALLY_FD_LISTENING);
	assert_int_equal(mem.state[5].flags,
	                 TALLY_FD_BOUND | TALLY_FD_CONNECTED | TALLY_FD_LISTENING);
	assert_int_equal(fdstate_serial(&mem, 5), 7);
}

static void set_addr_and_flags_with_another_serial_change_nothing(void **state)
{
	struct tally_fd_slot init = socket_slot(9, stack_b);
	struct tally_addr local = { .family = AF_INET, .port = 20000, .addr = { 127, 0, 0, 1 } };

	fdstate_open(&mem, 5, &init);
	fdstate_set_addr(&mem, 5, 7, &local, 0);
	fdstate_set_addr(&mem, 5, 7, &local, 1);
	fdstate_set_addr(&mem, 5, 0, &local, 0);
	fdstate_add_flags(&mem, 5, 7, TALLY_FD_LISTENING);
	fdstate_set_addr(&mem, 6, 9, &local, 0);   /* an empty slot */
	fdstate_set_addr(&mem, 64, 9, &local, 0);  /* beyond the table */
	assert_memory_equal(&mem.state[5], &init, sizeof(init));
	assert_int_equal(fdstate_serial(&mem, 6), 0);
	assert_int_equal(mem.state[6].flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_publishes_the_slot_and_counts_it, setup, teardown),
		cmocka_unit_test_setup_teardown(open_over_a_set_slot_returns_the_stale_serial,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(close_with_the_serial_clears_and_counts_once,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(close_with_another_serial_leaves_the_slot,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(close_of_an_empty_or_foreign_fd_does_nothing,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(sockets_without_a_stack_count_in_the_header_only,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(mark_closing_then_close, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen_during_a_close_is_no_unseen_close, setup, teardown),
		cmocka_unit_test_setup_teardown(reopen_during_a_close_range_is_no_unseen_close,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(mark_of_an_empty_or_foreign_fd_is_0, setup, teardown),
		cmocka_unit_test_setup_teardown(an_fd_beyond_the_table_is_counted_untracked,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(set_addr_fills_local_or_peer_for_the_same_socket,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(set_addr_and_flags_with_another_serial_change_nothing,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
