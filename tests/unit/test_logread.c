/*
 * Unit test of the two ends of a log: shim/record.h writes events into a
 * real log made by log_create in a private directory, analyzer/logread.c
 * reads them back.  Known answers: every field of every event, in claim
 * order; exactly the damaged record skipped (a flipped byte, a zero check
 * word, a record moved to another slot); exactly the events past a full
 * area counted as dropped; and for each kind of bad file one error line
 * that says what is wrong, never a crash or a hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "depot.h"
#include "fdstate.h"
#include "logfile.h"
#include "logread.h"
#include "memlog.h"
#include "record.h"

/* ---- a private directory and a recording shim ----------------------------- */

static char dir[64];
static char log_path[TALLY_PATH_MAX];
static char err[512];

/* Points g_shim at a new log (small tables, depth 8, `log_size` bytes) in
 * dir, as the shim's constructor would. */
static void shim_start(uint64_t log_size)
{
	assert_int_equal(memlog_shim_start(dir, log_size), 0);
	snprintf(log_path, sizeof(log_path), "%s", g_shim.log.path);
}

/* Drops the current log and starts another. */
static void shim_restart(uint64_t log_size)
{
	g_shim.active = 0;
	log_unmap(&g_shim.log);
	shim_start(log_size);
}

static int setup(void **state)
{
	if (memlog_mkdir(dir, sizeof(dir)) != 0)
		return -1;
	shim_start(1u << 20);
	return 0;
}

/* Leaves the shim as a process without a log finds it. */
static int teardown(void **state)
{
	return memlog_shim_stop(dir);
}

/* Records one event the way a wrapper does; returns its sequence number. */
static uint64_t record(uint16_t kind, int fd, int result, int err_no, int arg)
{
	struct rec r;

	assert_int_equal(rec_begin(&r, kind, fd, result, err_no), 1);
	r.ev.arg = arg;
	if (kind == TALLY_EV_SOCKET) {
		r.ev.u.sock.type = SOCK_DGRAM;
		r.ev.u.sock.protocol = 17;
	}
	rec_stack(&r);
	uint64_t seq = rec_claim(&r);
	rec_commit(&r);
	rec_end(&r);
	return seq;
}

static void open_ok(struct logread *lr, const char *path)
{
	if (logread_open(lr, path, err, sizeof(err)) != 0)
		fail_msg("logread_open: %s", err);
}

/* ---- events round trip --------------------------------------------------- */

static void events_read_back_exactly_in_claim_order(void **state)
{
	struct logread lr;
	struct tally_event ev;
	int64_t before = rec_mono_ns();

	assert_int_equal(record(TALLY_EV_SOCKET, 3, 3, 0, AF_INET), 0);
	assert_int_equal(record(TALLY_EV_CONNECT, 3, -1, ECONNREFUSED, 0), 1);
	assert_int_equal(record(TALLY_EV_CLOSE, 3, 0, EBADF, 0), 2);   /* success: no errno */
	assert_int_equal(record(TALLY_EV_CLOSE, 3, -1, EBADF, 0), 3);
	int64_t after = rec_mono_ns();
	assert_int_equal(rec_depth, 0);

	open_ok(&lr, log_path);
	assert_int_equal(lr.hdr.events_claimed, 4);
	assert_int_equal(lr.events_readable, 4);

	const struct { uint16_t kind; int fd, result, err, arg; } want[] = {
		{ TALLY_EV_SOCKET, 3, 3, 0, AF_INET },
		{ TALLY_EV_CONNECT, 3, -1, ECONNREFUSED, 0 },
		{ TALLY_EV_CLOSE, 3, 0, 0, 0 },
		{ TALLY_EV_CLOSE, 3, -1, EBADF, 0 },
	};
	int64_t last = before;
	for (uint64_t seq = 0; seq < 4; seq++) {
		assert_true(logread_event(&lr, seq, &ev));
		assert_int_equal(ev.kind, want[seq].kind);
		assert_int_equal(ev.fd, want[seq].fd);
		assert_int_equal(ev.result, want[seq].result);
		assert_int_equal(ev.err, want[seq].err);
		assert_int_equal(ev.arg, want[seq].arg);
		assert_int_equal(ev.tid, (uint32_t)gettid());
		assert_int_equal(ev.stack_id, TALLY_STACK_NONE);   /* no unwinder loaded */
		assert_int_equal(ev.flags, 0);
		assert_true(ev.time_ns >= last && ev.time_ns <= after);
		last = ev.time_ns;
	}
	assert_true(logread_event(&lr, 0, &ev));
	assert_int_equal(ev.u.sock.type, SOCK_DGRAM);
	assert_int_equal(ev.u.sock.protocol, 17);
	assert_false(logread_event(&lr, 4, &ev));       /* never claimed */
	assert_false(logread_event(&lr, UINT64_MAX, &ev));
	logread_close(&lr);
}

/* A socket event takes the monotonic clock to the nanosecond in rec_begin;
 * a reference event's time is left to its hook (hooks_ref.c: the tick, and
 * only when an event is written; test_gotpatch checks it). */
static void reference_events_leave_their_time_to_the_hook(void **state)
{
	struct logread lr;
	struct tally_event ev;
	struct rec r;

	memset(&r, 0xff, sizeof(r));
	assert_int_equal(rec_begin(&r, TALLY_EV_OBJ, -1, 0, 0), 1);
	assert_int_equal(r.ev.time_ns, 0);
	rec_end(&r);
	int64_t fine_before = rec_mono_ns();
	assert_int_equal(record(TALLY_EV_SOCKET, 5, 5, 0, AF_INET), 0);
	int64_t fine_after = rec_mono_ns();

	open_ok(&lr, log_path);
	assert_true(logread_event(&lr, 0, &ev));
	assert_int_equal(ev.kind, TALLY_EV_SOCKET);
	assert_true(ev.time_ns >= fine_before && ev.time_ns <= fine_after);
	logread_close(&lr);
}

static void nothing_is_recorded_while_inactive(void **state)
{
	struct rec r;
	struct logread lr;

	g_shim.active = 0;
	assert_int_equal(rec_begin(&r, TALLY_EV_SOCKET, 3, 3, 0), 0);
	assert_int_equal(rec_depth, 0);
	g_shim.active = 1;
	open_ok(&lr, log_path);
	assert_int_equal(lr.events_readable, 0);
	logread_close(&lr);
}

/* An event committed without an explicit claim takes the next number. */
static void commit_claims_when_the_caller_did_not(void **state)
{
	struct rec r;
	struct logread lr;
	struct tally_event ev;

	record(TALLY_EV_LISTEN, 4, 0, 0, 128);
	if (!rec_begin(&r, TALLY_EV_BIND, 4, 0, 0))
		fail_msg("rec_begin refused while active");
	else {
		rec_commit(&r);
		rec_end(&r);
	}
	assert_int_equal(r.seq, 1);
	open_ok(&lr, log_path);
	assert_true(logread_event(&lr, 1, &ev));
	assert_int_equal(ev.kind, TALLY_EV_BIND);
	logread_close(&lr);
}

/* ---- damaged records ------------------------------------------------------ */

static void patch_file(const char *path, uint64_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void read_file_at(const char *path, uint64_t off, void *bytes, size_t n)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static uint64_t event_off(uint64_t seq)
{
	return g_shim.log.hdr->events_off + seq * sizeof(struct tally_event);
}

/* Only the records named in `bad` (a bit per seq) fail; the rest read. */
static void assert_only_bad(uint64_t n, uint32_t bad)
{
	struct logread lr;
	struct tally_event ev;

	open_ok(&lr, log_path);
	assert_int_equal(lr.events_readable, n);
	for (uint64_t seq = 0; seq < n; seq++) {
		bool ok = logread_event(&lr, seq, &ev);
		if (ok != !(bad & (1u << seq)))
			fail_msg("event %llu: read %s, expected %s", (unsigned long long)seq,
			         ok ? "valid" : "invalid", ok ? "invalid" : "valid");
		if (ok)
			assert_int_equal(ev.fd, 100 + (int)seq);
	}
	logread_close(&lr);
}

static void write_ten(void)
{
	for (int i = 0; i < 10; i++)
		record(TALLY_EV_CLOSE, 100 + i, 0, 0, 0);
}

static void a_flipped_byte_fails_exactly_that_record(void **state)
{
	uint8_t b;

	write_ten();
	read_file_at(log_path, event_off(3) + offsetof(struct tally_event, fd), &b, 1);
	b ^= 0x40;
	patch_file(log_path, event_off(3) + offsetof(struct tally_event, fd), &b, 1);
	assert_only_bad(10, 1u << 3);
}

static void a_flip_in_the_last_byte_is_seen_too(void **state)
{
	uint8_t b;

	write_ten();
	read_file_at(log_path, event_off(9) + 63, &b, 1);
	b ^= 1;
	patch_file(log_path, event_off(9) + 63, &b, 1);
	assert_only_bad(10, 1u << 9);
}

static void a_zero_check_word_is_an_unfinished_record(void **state)
{
	const uint32_t zero = 0;

	write_ten();
	patch_file(log_path, event_off(6), &zero, sizeof(zero));
	patch_file(log_path, event_off(0), &zero, sizeof(zero));
	assert_only_bad(10, 1u << 6 | 1u << 0);
}

/* The sequence number is in the check: a whole, valid record copied into
 * another slot (a stale lap of a ring, a misdirected write) fails there. */
static void a_record_moved_to_another_slot_fails(void **state)
{
	struct tally_event ev;

	write_ten();
	read_file_at(log_path, event_off(2), &ev, sizeof(ev));
	patch_file(log_path, event_off(4), &ev, sizeof(ev));
	assert_only_bad(10, 1u << 4);
}

/* A record with a valid check but a kind the reader does not know. */
static void an_unknown_kind_is_not_interpreted(void **state)
{
	struct logread lr;
	struct tally_event ev;

	record(TALLY_EV_KIND_MAX, 5, 0, 0, 0);
	record(0, 6, 0, 0, 0);
	record(TALLY_EV_DLOPEN, 7, 0, 0, 0);
	open_ok(&lr, log_path);
	assert_false(logread_event(&lr, 0, &ev));
	assert_false(logread_event(&lr, 1, &ev));
	assert_true(logread_event(&lr, 2, &ev));
	logread_close(&lr);
}

/* ---- a full event area ----------------------------------------------------- */

/* A 64K log with small tables holds the minimum, 1024 events: the next
 * five are counted as dropped, and the reader sees exactly 1024. */
static void events_past_a_full_area_are_counted_dropped(void **state)
{
	struct logread lr;
	struct tally_event ev;

	shim_restart(64 << 10);
	uint64_t max = g_shim.log.hdr->max_events;
	assert_int_equal(max, 1024);

	for (uint64_t i = 0; i < max + 5; i++)
		record(TALLY_EV_CLOSE, (int)(i % 1000), 0, 0, 0);
	assert_int_equal(g_shim.log.hdr->events_claimed, max + 5);
	assert_int_equal(g_shim.log.hdr->dropped[TALLY_DROP_FULL], 5);
	assert_int_equal(rec_depth, 0);

	open_ok(&lr, log_path);
	assert_int_equal(lr.events_readable, 1024);
	assert_int_equal(lr.hdr.dropped[TALLY_DROP_FULL], 5);
	for (uint64_t seq = 0; seq < max; seq++) {
		assert_true(logread_event(&lr, seq, &ev));
		assert_int_equal(ev.fd, (int)(seq % 1000));
	}
	assert_false(logread_event(&lr, max, &ev));
	logread_close(&lr);
}

/* ---- stacks and state through the reader ----------------------------------- */

static void a_stored_stack_reads_back_and_a_damaged_one_does_not(void **state)
{
	struct logread lr;
	const uint64_t frames[3] = { 0x401234, 0x402345, 0x7f0000001000 };
	const uint64_t *got;

	uint32_t id = depot_intern(&g_shim.log, 2, frames, 3);
	uint32_t id2 = depot_intern(&g_shim.log, 2, frames, 2);
	open_ok(&lr, log_path);
	const struct tally_stack *st = logread_stack(&lr, id, &got);
	assert_non_null(st);
	assert_int_equal(st->depth, 3);
	assert_int_equal(st->generation, 2);
	assert_memory_equal(got, frames, sizeof(frames));
	assert_null(logread_stack(&lr, TALLY_STACK_NONE, &got));
	assert_null(logread_stack(&lr, TALLY_STACK_LOST, &got));
	assert_null(logread_stack(&lr, 3, &got));           /* never stored */
	/* a damaged frame no longer matches the entry's hash */
	g_shim.log.frames[g_shim.log.stacks[id2 - 1].frames_index + 1] ^= 0x10;
	assert_null(logread_stack(&lr, id2, &got));
	assert_non_null(logread_stack(&lr, id, &got));
	logread_close(&lr);
}

static void an_open_socket_reads_back_from_the_state_table(void **state)
{
	struct logread lr;
	struct tally_fd_slot init, out;

	memset(&init, 0, sizeof(init));
	init.serial = 5;
	init.domain = AF_INET6;
	init.type = SOCK_STREAM;
	init.local.port = 443;
	fdstate_open(&g_shim.log, 9, &init);
	open_ok(&lr, log_path);
	assert_true(logread_slot(&lr, 9, &out));
	assert_memory_equal(&out, &init, sizeof(init));
	assert_false(logread_slot(&lr, 8, &out));
	assert_false(logread_slot(&lr, 64, &out));
	/* the reader maps the live file: a close shows at once */
	fdstate_close(&g_shim.log, 9, 5);
	assert_false(logread_slot(&lr, 9, &out));
	logread_close(&lr);
}

static void the_writer_is_this_process_until_it_exits(void **state)
{
	struct logread lr;

	open_ok(&lr, log_path);
	assert_int_equal(lr.hdr.pid, getpid());
	assert_true(logread_process_running(&lr));
	__atomic_store_n(&g_shim.log.hdr->exit_state, TALLY_EXITED, __ATOMIC_RELEASE);
	assert_false(logread_process_running(&lr));
	assert_int_equal(logread_wall_ns(&lr, lr.hdr.start_mono_ns + 5), lr.hdr.start_wall_ns + 5);
	logread_close(&lr);
}

/* ---- files that are not (whole) logs ---------------------------------------- */

/* Expects logread_open to refuse `path` with a message naming it and
 * containing `why`. */
static void assert_refused(const char *path, const char *why)
{
	struct logread lr;

	memset(err, 0, sizeof(err));
	assert_int_equal(logread_open(&lr, path, err, sizeof(err)), -1);
	if (!strstr(err, why))
		fail_msg("error \"%s\" does not say \"%s\"", err, why);
	if (strncmp(err, path, strlen(path)) != 0)
		fail_msg("error \"%s\" does not name the file", err);
	assert_null(strchr(err, '\n'));
	assert_null(lr.base);
}

static void make_file(const char *name, size_t size, char *path)
{
	snprintf(path, TALLY_PATH_MAX, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void a_missing_path_is_refused(void **state)
{
	char path[TALLY_PATH_MAX];
	snprintf(path, sizeof(path), "%s/nope", dir);
	assert_refused(path, "No such file or directory");
}

static void a_directory_is_refused(void **state)
{
	assert_refused(dir, "directory");
}

static void a_device_is_refused(void **state)
{
	assert_refused("/dev/null", "not a regular file");
}

static void an_empty_file_is_refused(void **state)
{
	char path[TALLY_PATH_MAX];
	make_file("empty", 0, path);
	assert_refused(path, "empty");
}

/* Shorter than a header: a log cut short if it starts with the magic,
 * else no log at all. */
static void a_100_byte_file_is_refused(void **state)
{
	char path[TALLY_PATH_MAX];
	make_file("short", 100, path);
	assert_refused(path, "not a tally log (bad magic)");
	make_file("shortlog", 100, path);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, TALLY_MAGIC, 8), 8);
	close(fd);
	assert_refused(path, "truncated tally log (shorter than a header)");
}

static void a_file_of_zeros_is_not_a_log(void **state)
{
	char path[TALLY_PATH_MAX];
	make_file("zeros", 1u << 20, path);
	assert_refused(path, "not a tally log");
}

/* A named pipe must be refused, not waited on: `tally report` given a
 * FIFO would otherwise hang until something writes to it.  Run in a child
 * with an alarm so a hang fails the test instead of stopping the suite. */
static void a_fifo_is_refused_without_blocking(void **state)
{
	char path[TALLY_PATH_MAX];
	int status;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct logread lr;
		char e[256] = "";
		alarm(2);
		int rc = logread_open(&lr, path, e, sizeof(e));
		_exit(rc == -1 && strstr(e, "not a regular file") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail_msg("logread_open(\"%s\") blocked on a FIFO", path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Replaces one header field of the log the shim wrote. */
static void patch_header(size_t field_off, const void *value, size_t n)
{
	patch_file(log_path, field_off, value, n);
}

static void wrong_magic_is_refused(void **state)
{
	patch_header(0, "TALLYLOF", 8);
	assert_refused(log_path, "magic");
}

static void another_version_is_refused_by_number(void **state)
{
	const uint32_t v = 99;
	patch_header(offsetof(struct tally_header, version), &v, sizeof(v));
	assert_refused(log_path, "version 99");
}

static void another_header_size_is_refused(void **state)
{
	const uint32_t size = sizeof(struct tally_header) + 8;
	patch_header(offsetof(struct tally_header, header_size), &size, sizeof(size));
	assert_refused(log_path, "header size");
}

/* Cut before its events (in the tables): refused. */
static void a_log_cut_in_its_tables_is_refused_as_truncated(void **state)
{
	g_shim.active = 0;   /* no writes into the part that is gone */
	assert_int_equal(truncate(log_path, (off_t)(g_shim.log.hdr->events_off - 4096)), 0);
	assert_refused(log_path, "truncated tally log (cut short before its events)");
	/* the writer's mapping is now partly beyond the file: drop it here */
	log_unmap(&g_shim.log);
}

/* Cut inside its events (a copy that did not finish): the tables and the
 * events before the cut are read, the rest is counted cut off. */
static void a_log_cut_in_its_events_gives_the_events_before_the_cut(void **state)
{
	struct logread lr;
	struct tally_event ev;

	for (int i = 0; i < 10; i++)
		assert_int_equal(record(TALLY_EV_SOCKET, 3 + i, 3 + i, 0, AF_INET), (uint64_t)i);
	g_shim.active = 0;
	uint64_t cut = g_shim.log.hdr->events_off + 6 * sizeof(struct tally_event) + 10;
	assert_int_equal(truncate(log_path, (off_t)cut), 0);
	log_unmap(&g_shim.log);

	open_ok(&lr, log_path);
	assert_int_equal(lr.hdr.events_claimed, 10);
	assert_int_equal(lr.events_in_file, 6);
	assert_int_equal(lr.events_readable, 6);
	assert_int_equal(lr.events_cut, 4);
	for (uint64_t i = 0; i < 6; i++) {
		assert_true(logread_event(&lr, i, &ev));
		assert_int_equal(ev.fd, 3 + (int)i);
	}
	assert_false(logread_event(&lr, 6, &ev));
	logread_close(&lr);
}

static void events_outside_the_file_are_refused(void **state)
{
	const uint64_t size = g_shim.log.hdr->file_size;
	const uint64_t offs[] = { size, size - 4096, UINT64_MAX - 4095, 100, 0 };

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		patch_header(offsetof(struct tally_header, events_off), &offs[i], sizeof(offs[i]));
		assert_refused(log_path, "outside the file");
	}
}

static void too_many_events_for_the_file_are_refused(void **state)
{
	const uint64_t counts[] = { g_shim.log.hdr->max_events + 1, UINT64_MAX,
	                            UINT64_MAX / 64 + 1 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		patch_header(offsetof(struct tally_header, max_events), &counts[i],
		             sizeof(counts[i]));
		assert_refused(log_path, "outside the file");
	}
}

static void other_sections_outside_the_file_are_refused(void **state)
{
	const uint64_t far = UINT64_MAX / 2;
	const size_t fields[] = {
		offsetof(struct tally_header, modules_off), offsetof(struct tally_header, stacks_off),
		offsetof(struct tally_header, index_off), offsetof(struct tally_header, frames_off),
		offsetof(struct tally_header, state_off),
	};
	uint64_t keep;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		read_file_at(log_path, fields[i], &keep, sizeof(keep));
		patch_header(fields[i], &far, sizeof(far));
		assert_refused(log_path, "outside the file");
		patch_header(fields[i], &keep, sizeof(keep));
	}
	const uint32_t fds = 1u << 30;
	patch_header(offsetof(struct tally_header, max_fds), &fds, sizeof(fds));
	assert_refused(log_path, "outside the file");
}

static void impossible_settings_are_refused(void **state)
{
	const uint32_t three = 3, zero = 0, deep = 65;

	patch_header(offsetof(struct tally_header, stack_buckets), &three, sizeof(three));
	assert_refused(log_path, "corrupt");
	shim_restart(1u << 20);
	patch_header(offsetof(struct tally_header, depth), &deep, sizeof(deep));
	assert_refused(log_path, "corrupt");
	shim_restart(1u << 20);
	patch_header(offsetof(struct tally_header, max_stacks), &zero, sizeof(zero));
	assert_refused(log_path, "corrupt");
}

static void the_untouched_log_opens(void **state)
{
	struct logread lr;

	open_ok(&lr, log_path);
	assert_int_equal(lr.size, g_shim.log.hdr->file_size);
	assert_memory_equal(&lr.hdr, g_shim.log.hdr, sizeof(lr.hdr));
	assert_int_equal(lr.events_readable, 0);
	logread_close(&lr);
	assert_null(lr.base);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(events_read_back_exactly_in_claim_order),
		T(reference_events_leave_their_time_to_the_hook),
		T(nothing_is_recorded_while_inactive),
		T(commit_claims_when_the_caller_did_not),
		T(a_flipped_byte_fails_exactly_that_record),
		T(a_flip_in_the_last_byte_is_seen_too),
		T(a_zero_check_word_is_an_unfinished_record),
		T(a_record_moved_to_another_slot_fails),
		T(an_unknown_kind_is_not_interpreted),
		T(events_past_a_full_area_are_counted_dropped),
		T(a_stored_stack_reads_back_and_a_damaged_one_does_not),
		T(an_open_socket_reads_back_from_the_state_table),
		T(the_writer_is_this_process_until_it_exits),
		T(a_missing_path_is_refused),
		T(a_directory_is_refused),
		T(a_device_is_refused),
		T(an_empty_file_is_refused),
		T(a_100_byte_file_is_refused),
		T(a_file_of_zeros_is_not_a_log),
		T(a_fifo_is_refused_without_blocking),
		T(wrong_magic_is_refused),
		T(another_version_is_refused_by_number),
		T(another_header_size_is_refused),
		T(a_log_cut_in_its_tables_is_refused_as_truncated),
		T(a_log_cut_in_its_events_gives_the_events_before_the_cut),
		T(events_outside_the_file_are_refused),
		T(too_many_events_for_the_file_are_refused),
		T(other_sections_outside_the_file_are_refused),
		T(impossible_settings_are_refused),
		T(the_untouched_log_opens),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
