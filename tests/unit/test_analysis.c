/*
 * Unit test of analyzer/analysis.c on a log written the way the wrappers
 * write one (rec_* for the events, track_open/track_close for the state
 * table), with hand-made stacks standing for three creation sites.
 * Known answers: open sockets grouped by site, most first, with their
 * ports and fds; exact created/closed per site; failed calls grouped by
 * call, errno and stack, expected failures (EINPROGRESS, EAGAIN) left out;
 * double closes and sockets closed unseen; torn records counted; failures
 * and anomalies exact when the event area is full (the tallies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "analysis.h"
#include "depot.h"
#include "fdstate.h"
#include "logfile.h"
#include "logread.h"
#include "memlog.h"
#include "record.h"
#include "track.h"

static char dir[64];

static int setup(void **state)
{
	if (memlog_mkdir(dir, sizeof(dir)) != 0 || memlog_shim_start(dir, 1u << 20) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return memlog_shim_stop(dir);
}

/* ---- a program, as the wrappers would record it ------------------------ */

static uint32_t site(unsigned n)
{
	const uint64_t frames[3] = { 0x401000 + n * 0x100, 0x402000, 0x403000 };
	return depot_intern(&g_shim.log, 0, frames, 3);
}

static void event(uint16_t kind, int fd, int result, int err_no, uint32_t stack)
{
	struct rec r;

	if (!rec_begin(&r, kind, fd, result, err_no))
	{
		fail_msg("not recording");
		return;
	}
	r.ev.stack_id = stack;
	rec_commit(&r);
	rec_end(&r);
}

/* socket() at `stack` returning fd, then bind() to `port` unless 0. */
static void open_udp(uint32_t stack, int fd, uint16_t port)
{
	struct rec r;

	if (!rec_begin(&r, TALLY_EV_SOCKET, fd, fd, 0))
	{
		fail_msg("not recording");
		return;
	}
	r.ev.arg = AF_INET;
	r.ev.stack_id = stack;
	r.ev.u.sock.type = SOCK_DGRAM;
	uint64_t serial = track_open(&r, fd, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, NULL);
	rec_commit(&r);
	rec_end(&r);
	if (!port)
		return;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct tally_addr a;
	track_addr((const struct sockaddr *)&sin, sizeof(sin), &a);
	event(TALLY_EV_BIND, fd, 0, 0, stack);
	fdstate_set_addr(&g_shim.log, fd, serial, &a, 0);
}

static void close_fd(int fd, uint32_t stack)
{
	uint64_t serial = fdstate_serial(&g_shim.log, fd);
	event(TALLY_EV_CLOSE, fd, 0, 0, stack);
	track_close(fd, serial);
}

/* Site 1 opens four sockets and keeps them, site 2 opens three on ports
 * 20000, 20001, 20003 and closes the one on 20001, site 3 opens one and
 * closes it.  Two binds fail with EADDRINUSE at site 2, a connect is
 * refused at site 3, and a non-blocking connect and accept say
 * EINPROGRESS and EAGAIN. */
static uint32_t s1, s2, s3;

static void run_program(void)
{
	s1 = site(1), s2 = site(2), s3 = site(3);
	for (int fd = 10; fd < 14; fd++)
		open_udp(s1, fd, 0);
	open_udp(s2, 20, 20000);
	open_udp(s2, 21, 20001);
	open_udp(s2, 22, 20003);
	close_fd(21, s2);
	open_udp(s3, 30, 0);
	event(TALLY_EV_BIND, 30, -1, EADDRINUSE, s2);
	event(TALLY_EV_BIND, 30, -1, EADDRINUSE, s2);
	event(TALLY_EV_CONNECT, 30, -1, ECONNREFUSED, s3);
	event(TALLY_EV_CONNECT, 30, -1, EINPROGRESS, s3);
	event(TALLY_EV_ACCEPT, 30, -1, EAGAIN, s3);
	close_fd(30, s3);
}

/* ---- tests --------------------------------------------------------------- */

static void open_sockets_are_grouped_by_site_most_first(void **state)
{
	struct logread lr;
	struct analysis a;
	char err[256];

	run_program();
	assert_int_equal(logread_open(&lr, g_shim.log.path, err, sizeof(err)), 0);
	analysis_build(&a, &lr);

	assert_true(a.running);
	assert_int_equal(a.created, 8);
	assert_int_equal(a.closed, 2);
	assert_int_equal(a.open, 6);
	assert_int_equal(a.groups->len, 2);

	const struct site *g0 = a.groups->pdata[0], *g1 = a.groups->pdata[1];
	assert_int_equal(g0->stack_id, s1);
	assert_int_equal(g0->open, 4);
	assert_int_equal(g0->created, 4);
	assert_int_equal(g0->closed, 0);
	assert_int_equal(g0->domain, AF_INET);
	assert_int_equal(g0->type, SOCK_DGRAM);   /* without SOCK_CLOEXEC */
	assert_int_equal(g0->fds->len, 4);
	assert_int_equal(g_array_index(g0->fds, int, 0), 10);
	assert_int_equal(g_array_index(g0->fds, int, 3), 13);
	assert_int_equal(g0->ports->len, 0);
	assert_true(g0->first_ns <= g0->last_ns);

	assert_int_equal(g1->stack_id, s2);
	assert_int_equal(g1->open, 2);
	assert_int_equal(g1->created, 3);
	assert_int_equal(g1->closed, 1);
	assert_int_equal(g1->fds->len, 2);
	assert_int_equal(g_array_index(g1->fds, int, 0), 20);
	assert_int_equal(g_array_index(g1->fds, int, 1), 22);
	assert_int_equal(g1->ports->len, 2);
	assert_int_equal(g_array_index(g1->ports, uint16_t, 0), 20000);
	assert_int_equal(g_array_index(g1->ports, uint16_t, 1), 20003);

	/* every creation site, the closed-out one last */
	assert_int_equal(a.sites->len, 3);
	const struct site *s = a.sites->pdata[2];
	assert_int_equal(s->stack_id, s3);
	assert_int_equal(s->created, 1);
	assert_int_equal(s->closed, 1);
	assert_int_equal(s->open, 0);

	analysis_free(&a);
	logread_close(&lr);
}

static void failures_are_grouped_and_expected_ones_left_out(void **state)
{
	struct logread lr;
	struct analysis a;
	char err[256];

	run_program();
	assert_int_equal(logread_open(&lr, g_shim.log.path, err, sizeof(err)), 0);
	analysis_build(&a, &lr);

	assert_int_equal(a.failures->len, 2);
	const struct failure *f0 = a.failures->pdata[0], *f1 = a.failures->pdata[1];
	assert_int_equal(f0->kind, TALLY_EV_BIND);
	assert_int_equal(f0->err, EADDRINUSE);
	assert_int_equal(f0->stack_id, s2);
	assert_int_equal(f0->count, 2);
	assert_true(f0->first_ns <= f0->last_ns);
	assert_int_equal(f1->kind, TALLY_EV_CONNECT);
	assert_int_equal(f1->err, ECONNREFUSED);
	assert_int_equal(f1->stack_id, s3);
	assert_int_equal(f1->count, 1);
	assert_int_equal(a.anomalies->len, 0);

	analysis_free(&a);
	logread_close(&lr);
}

static void double_close_and_unseen_close_are_anomalies(void **state)
{
	struct logread lr;
	struct analysis a;
	char err[256];
	uint32_t s4 = site(4);

	open_udp(s4, 40, 0);
	open_udp(s4, 41, 0);
	close_fd(40, s4);
	event(TALLY_EV_CLOSE, 40, -1, EBADF, s4);   /* closed twice */
	event(TALLY_EV_CLOSE, 42, -1, EBADF, s4);   /* never open */
	track_reused(41);   /* fd 41 came back from pipe(): closed unseen */

	assert_int_equal(logread_open(&lr, g_shim.log.path, err, sizeof(err)), 0);
	analysis_build(&a, &lr);
	assert_int_equal(a.created, 2);
	assert_int_equal(a.closed, 2);
	assert_int_equal(a.open, 0);
	assert_int_equal(a.groups->len, 0);
	assert_int_equal(a.anomalies->len, 2);
	const struct anomaly *an0 = a.anomalies->pdata[0], *an1 = a.anomalies->pdata[1];
	assert_string_equal(an0->kind, "double-close");
	assert_int_equal(an0->count, 2);
	assert_int_equal(an0->stack_id, s4);
	assert_int_equal(g_array_index(an0->fds, int, 0), 40);
	assert_int_equal(g_array_index(an0->fds, int, 1), 42);
	assert_string_equal(an1->kind, "closed-unseen");
	assert_int_equal(an1->count, 1);
	assert_int_equal(g_array_index(an1->fds, int, 0), 41);
	/* a close that failed with EBADF is not a failed call to report */
	assert_int_equal(a.failures->len, 0);

	analysis_free(&a);
	logread_close(&lr);
}

static void torn_and_dropped_records_are_counted(void **state)
{
	struct logread lr;
	struct analysis a;
	char err[256];

	run_program();
	uint64_t claimed = g_shim.log.hdr->events_claimed;
	/* the first bind failure was never finished */
	for (uint64_t seq = 0; seq < claimed; seq++) {
		struct tally_event *ev = &g_shim.log.events[seq];
		if (ev->kind == TALLY_EV_BIND && ev->result < 0) {
			ev->check = 0;
			break;
		}
	}
	assert_int_equal(logread_open(&lr, g_shim.log.path, err, sizeof(err)), 0);
	analysis_build(&a, &lr);
	assert_int_equal(a.events_claimed, claimed);
	assert_int_equal(a.events_torn, 1);
	assert_int_equal(a.events_recorded, claimed - 1);
	assert_int_equal(a.dropped, 0);
	/* the torn bind is not read, but the tallies counted it */
	assert_int_equal(a.failures->len, 2);
	assert_int_equal(((const struct failure *)a.failures->pdata[0])->count, 2);
	assert_int_equal(((const struct failure *)a.failures->pdata[1])->count, 1);
	analysis_free(&a);
	logread_close(&lr);
}

/* Weeks into a run the event area is full; the failed binds of the night
 * the port range ran out, and the double closes, must still be there. */
static void failures_stay_exact_when_the_event_area_is_full(void **state)
{
	struct logread lr;
	struct analysis a;
	char err[256];
	uint32_t s5 = site(5), s6 = site(6);

	while (g_shim.log.hdr->events_claimed <= g_shim.log.hdr->max_events)
		event(TALLY_EV_CLOSE, 5, 0, 0, 0);   /* closes of files: fill the area */
	for (int i = 0; i < 300; i++)
		event(TALLY_EV_BIND, 50, -1, EADDRINUSE, s5);
	event(TALLY_EV_SOCKET, -1, -1, EMFILE, s6);
	for (int i = 0; i < 7; i++)
		event(TALLY_EV_CLOSE, 51, -1, EBADF, s6);

	assert_int_equal(logread_open(&lr, g_shim.log.path, err, sizeof(err)), 0);
	analysis_build(&a, &lr);
	assert_true(a.dropped >= 308);
	assert_int_equal(a.tallies_lost, 0);
	assert_int_equal(a.failures->len, 2);
	const struct failure *f0 = a.failures->pdata[0], *f1 = a.failures->pdata[1];
	assert_int_equal(f0->kind, TALLY_EV_BIND);
	assert_int_equal(f0->err, EADDRINUSE);
	assert_int_equal(f0->stack_id, s5);
	assert_int_equal(f0->count, 300);
	assert_true(f0->first_ns > 0 && f0->first_ns <= f0->last_ns);
	assert_int_equal(f1->kind, TALLY_EV_SOCKET);
	assert_int_equal(f1->err, EMFILE);
	assert_int_equal(f1->count, 1);
	assert_int_equal(a.anomalies->len, 1);
	const struct anomaly *an = a.anomalies->pdata[0];
	assert_string_equal(an->kind, "double-close");
	assert_int_equal(an->count, 7);
	assert_int_equal(an->stack_id, s6);
	assert_int_equal(an->fds->len, 0);   /* their events were dropped */
	analysis_free(&a);
	logread_close(&lr);
}

static void call_names(void **state)
{
	assert_string_equal(analysis_call_name(TALLY_EV_SOCKET), "socket");
	assert_string_equal(analysis_call_name(TALLY_EV_CLOSE_RANGE), "close_range");
	assert_string_equal(analysis_call_name(TALLY_EV_DLOPEN), "dlopen");
	assert_string_equal(analysis_call_name(0), "unknown");
	assert_string_equal(analysis_call_name(TALLY_EV_KIND_MAX), "unknown");
	assert_string_equal(analysis_call_name(0xffff), "unknown");
}

/* A rate needs two things and a tenth of a second: one socket is none. */
static void rates_need_two_and_a_tenth_of_a_second(void **state)
{
	const int64_t hour = 3600000000000ll;

	assert_true(analysis_per_hour(1, 0, hour) == 0);
	assert_true(analysis_per_hour(2, 0, hour) == 2);
	assert_true(analysis_per_hour(90, hour, 2 * hour) == 90);
	assert_true(analysis_per_hour(5, 0, 99999999) == 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open_sockets_are_grouped_by_site_most_first),
		T(failures_are_grouped_and_expected_ones_left_out),
		T(double_close_and_unseen_close_are_anomalies),
		T(torn_and_dropped_records_are_counted),
		T(failures_stay_exact_when_the_event_area_is_full),
		cmocka_unit_test(call_names),
		cmocka_unit_test(rates_need_two_and_a_tenth_of_a_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
