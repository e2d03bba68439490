/*
 * Unit test of shim/runs.c: a thread's repeated reference calls as one
 * record (TALLY_EVF_RUN).  Known answers on a log in heap memory: every
 * call is counted in its run's record, whose check word stays valid while
 * its count, time and net change; a different object, books (serial),
 * stack or rule opens another run; a fifth run replaces the oldest; a run
 * ends when its span has passed (at its tick read, or at the thread's next
 * opening) and writes how long it lasted; a full area counts the call as a
 * dropped event; a run ends before its count could wrap; runs_end_all
 * writes the latest net; runs_forget leaves no run open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>
#include <unistd.h>

#include "memlog.h"
#include "runs.h"

static struct tally_log lg;

static int setup(void **state)
{
	struct tally_settings s = memlog_settings(64, 16, 1u << 20);

	(void)state;
	memlog_open(&lg, &s);
	g_shim.settings.run_span_ms = 1000;
	runs_forget();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	memlog_close(&lg);
	runs_forget();
	return 0;
}

static struct run_call call(uint64_t addr, uint64_t serial, uint32_t stack, uint16_t rule,
                            int32_t net)
{
	return (struct run_call){ .addr = addr, .serial = serial, .stack = stack, .tid = 77,
	                          .rule = rule, .type = 3, .role = TALLY_ROLE_INC, .net = net };
}

static uint64_t claimed(void)
{
	return lg.hdr->events_claimed;
}

/* Record seq, which must be a run with a valid check word. */
static const struct tally_event *run_record(uint64_t seq)
{
	const struct tally_event *ev = &lg.events[seq];

	assert_true(seq < claimed());
	assert_int_equal(ev->kind, TALLY_EV_OBJ);
	assert_true(ev->flags & TALLY_EVF_RUN);
	assert_int_equal(ev->check, tally_event_check(ev, seq));
	return ev;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void test_every_call_in_one_record(void **state)
{
	(void)state;
	for (int i = 1; i <= 1000; i++) {
		struct run_call c = call(0x1000, 5, 9, 2, i);
		assert_int_equal(run_add(&lg, &c), 1);
	}
	assert_int_equal(claimed(), 1);
	const struct tally_event *ev = run_record(0);
	assert_int_equal(ev->result, 1000);
	assert_int_equal(ev->u.obj.addr, 0x1000);
	assert_int_equal(ev->stack_id, 9);
	assert_int_equal(ev->u.obj.rule, 2);
	assert_int_equal(ev->u.obj.type, 3);
	assert_int_equal(ev->arg, TALLY_ROLE_INC);
	assert_int_equal(ev->tid, 77);
	assert_int_equal(ev->fd, -1);
	assert_int_equal(ev->u.obj.detail, TALLY_OBJD_BOOKED);
	assert_true(ev->time_ns > 0);
	/* The net of the latest call at a tick: the run reads it at its 2nd,
	 * 4th, 8th ... 64th call (busy: twice as many calls take no time
	 * to speak of), then every 64 (128, 192, ... 960). */
	assert_int_equal(ev->u.obj.net, 960);
	assert_true(ev->err >= 0 && ev->err < 1000000);
}

static void test_check_covers_the_rest(void **state)
{
	(void)state;
	struct run_call c = call(0x2000, 1, 4, 0, 1);
	run_add(&lg, &c);
	run_add(&lg, &c);
	struct tally_event copy = *run_record(0);
	copy.u.obj.addr ^= 8;
	assert_int_not_equal(copy.check, tally_event_check(&copy, 0));
	copy = *run_record(0);
	copy.stack_id++;
	assert_int_not_equal(copy.check, tally_event_check(&copy, 0));
	/* Without the flag, the count is covered too. */
	copy = *run_record(0);
	copy.flags &= (uint16_t)~TALLY_EVF_RUN;
	assert_int_not_equal(copy.check, tally_event_check(&copy, 0));
}

static void test_any_difference_opens_another(void **state)
{
	(void)state;
	struct run_call calls[] = {
		call(0x3000, 1, 4, 0, 1),
		call(0x3008, 1, 4, 0, 1),   /* another object */
		call(0x3000, 2, 4, 0, 1),   /* same address, new books */
		call(0x3000, 1, 5, 0, 1),   /* another stack */
	};
	for (int round = 0; round < 3; round++)
		for (unsigned i = 0; i < 4; i++)
			run_add(&lg, &calls[i]);
	assert_int_equal(claimed(), 4);
	for (uint64_t seq = 0; seq < 4; seq++)
		assert_int_equal(run_record(seq)->result, 3);
	/* Another rule at the same stack and object: a fifth run. */
	struct run_call other = call(0x3000, 1, 4, 1, 1);
	run_add(&lg, &other);
	assert_int_equal(claimed(), 5);
}

static void test_fifth_run_replaces_oldest(void **state)
{
	(void)state;
	for (uint64_t a = 1; a <= 5; a++) {
		struct run_call c = call(a << 12, 1, 4, 0, 1);
		run_add(&lg, &c);
	}
	assert_int_equal(claimed(), 5);
	/* The first was replaced by the fifth: it opens again. */
	struct run_call first = call(1 << 12, 1, 4, 0, 1);
	run_add(&lg, &first);
	assert_int_equal(claimed(), 6);
	/* The third is still open. */
	struct run_call third = call(3 << 12, 1, 4, 0, 1);
	run_add(&lg, &third);
	assert_int_equal(claimed(), 6);
	assert_int_equal(run_record(2)->result, 2);
}

static void test_span_ends_at_tick(void **state)
{
	(void)state;
	g_shim.settings.run_span_ms = 5;
	struct run_call c = call(0x4000, 1, 4, 0, 1);
	run_add(&lg, &c);
	sleep_ms(30);
	/* A new run reads the tick at its next call: past the span, it ends. */
	run_add(&lg, &c);
	assert_int_equal(claimed(), 1);
	assert_int_equal(run_record(0)->result, 2);
	assert_true(run_record(0)->err >= 25000);
	run_add(&lg, &c);
	assert_int_equal(claimed(), 2);
	assert_int_equal(run_record(1)->result, 1);
}

/* The run's slot in run_tls holding addr. */
static const struct run *open_run(uint64_t addr)
{
	for (unsigned i = 0; i < RUNS_PER_THREAD; i++)
		if (run_tls[i].rec && run_tls[i].addr == addr)
			return &run_tls[i];
	fail_msg("no run open for %#lx", (unsigned long)addr);
	return NULL;
}

static void test_tick_reads_follow_the_rate(void **state)
{
	(void)state;
	struct run_call busy = call(0x4100, 1, 4, 0, 1), slow = call(0x4200, 1, 4, 0, 1);
	for (int i = 0; i < 200; i++)
		run_add(&lg, &busy);
	assert_int_equal(open_run(0x4100)->tick_every, RUN_TICK_EVERY);
	/* Calls 100 ms apart with a 400 ms span: each one reads the tick, so
	 * the record says when the latest call was.  (The span leaves room
	 * for a loaded host to deschedule this thread: with 40 ms, a run
	 * ended early now and then under make test beside other work.) */
	g_shim.settings.run_span_ms = 400;
	for (int i = 0; i < 3; i++) {
		run_add(&lg, &slow);
		sleep_ms(100);
	}
	run_add(&lg, &slow);
	assert_int_equal(open_run(0x4200)->tick_every, 1);
	const struct tally_event *ev = run_record(1);
	assert_int_equal(ev->result, 4);
	assert_true(ev->err >= 250000);
	/* ... and it ends once its span has passed, at its next call. */
	sleep_ms(400);
	run_add(&lg, &slow);
	assert_int_equal(claimed(), 2);
	assert_int_equal(run_record(1)->result, 5);
	run_add(&lg, &slow);
	assert_int_equal(claimed(), 3);
}

static void test_span_ends_at_next_opening(void **state)
{
	(void)state;
	g_shim.settings.run_span_ms = 5;
	struct run_call a = call(0x5000, 1, 4, 0, 1), b = call(0x6000, 1, 4, 0, 1);
	run_add(&lg, &a);
	run_add(&lg, &a);
	sleep_ms(30);
	run_add(&lg, &b);   /* opens: a's span has passed, a ends */
	assert_int_equal(claimed(), 2);
	/* Its record keeps the time of its latest call (read at that call),
	 * not the time it ended. */
	assert_true(run_record(0)->err < 25000);
	run_add(&lg, &a);
	assert_int_equal(claimed(), 3);
	assert_int_equal(run_record(0)->result, 2);
}

static void test_full_area_counts_drop(void **state)
{
	(void)state;
	lg.hdr->events_claimed = lg.hdr->max_events;
	struct run_call c = call(0x7000, 1, 4, 0, 1);
	assert_int_equal(run_add(&lg, &c), 1);
	assert_int_equal(lg.hdr->dropped[TALLY_DROP_FULL], 1);
	assert_int_equal(lg.hdr->events_claimed, lg.hdr->max_events + 1);
}

static void test_end_all_writes_the_latest_net(void **state)
{
	(void)state;
	for (int i = 1; i <= 200; i++) {
		struct run_call c = call(0x9000, 1, 4, 0, i);
		run_add(&lg, &c);
	}
	assert_int_equal(run_record(0)->u.obj.net, 192);   /* its last tick */
	runs_end_all();
	assert_int_equal(run_record(0)->u.obj.net, 200);
	assert_int_equal(run_record(0)->result, 200);
	struct run_call c = call(0x9000, 1, 4, 0, 1);
	run_add(&lg, &c);
	assert_int_equal(claimed(), 2);
}

static void test_count_never_wraps(void **state)
{
	(void)state;
	struct run_call c = call(0xa000, 1, 4, 0, 1);
	run_add(&lg, &c);
	lg.events[0].result = RUN_CALLS_MAX - 1;   /* as after 2^30 calls */
	run_add(&lg, &c);   /* reaches the cap: the tick read ends the run */
	assert_int_equal(run_record(0)->result, RUN_CALLS_MAX);
	run_add(&lg, &c);
	assert_int_equal(claimed(), 2);
	assert_int_equal(run_record(1)->result, 1);
}

static void test_forget(void **state)
{
	(void)state;
	struct run_call c = call(0x8000, 1, 4, 0, 1);
	run_add(&lg, &c);
	runs_forget();
	run_add(&lg, &c);
	assert_int_equal(claimed(), 2);
	assert_int_equal(run_record(0)->result, 1);
	assert_int_equal(run_record(1)->result, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_call_in_one_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_covers_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_difference_opens_another, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifth_run_replaces_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_span_ends_at_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick_reads_follow_the_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_span_ends_at_next_opening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_area_counts_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_all_writes_the_latest_net, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_never_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
