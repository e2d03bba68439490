/*
 * Unit test of shim/logfile.c: the log's layout (known offsets for the
 * default settings, page-aligned non-overlapping sections, at least 1024
 * events), the expansion of TALLY_LOG patterns, and log_create in a private
 * temporary directory: mode 0600, fully allocated, header filled, and an
 * existing file or symlink at the target never truncated or followed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "depot.h"
#include "fdstate.h"
#include "logfile.h"
#include "settings.h"

/* ---- helpers ------------------------------------------------------------- */

static const char *no_env(const char *name)
{
	return NULL;
}

static void no_warn(const char *line)
{
	fail_msg("unexpected warning: %s", line);
}

static struct tally_settings defaults(void)
{
	struct tally_settings s;
	settings_read(&s, no_env, no_warn);
	return s;
}

/* The smallest tables the settings allow, and a 1M log. */
static struct tally_settings small(void)
{
	struct tally_settings s = defaults();
	s.max_fds = 64;
	s.max_stacks = 64;
	s.max_modules = 16;
	s.max_objects = 64;
	s.depth = 8;
	s.log_size = 1u << 20;
	return s;
}

/* A private directory per test, removed afterwards with all it holds. */
static char dir[64];

static int setup_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tally-unit-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown_dir(void **state)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void file_text(const char *path, char *out, size_t size)
{
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, out, size - 1);
	assert_true(n >= 0);
	out[n] = 0;
	close(fd);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* ---- layout -------------------------------------------------------------- */

/* Every section page aligned, in file order, not overlapping the next. */
static void assert_layout_sound(const struct tally_settings *s)
{
	struct tally_header h;
	memset(&h, 0, sizeof(h));
	uint64_t size = log_layout(s, &h);

	assert_int_equal(size, h.file_size);
	assert_int_equal(size % TALLY_PAGE, 0);
	const uint64_t off[] = { h.modules_off, h.stacks_off, h.index_off, h.frames_off,
	                         h.state_off, h.rules_off, h.types_off, h.objkeys_off,
	                         h.objects_off, h.tallies_off, h.events_off };
	const uint64_t len[] = {
		(uint64_t)h.max_modules * sizeof(struct tally_module),
		(uint64_t)h.max_stacks * sizeof(struct tally_stack),
		(uint64_t)h.stack_buckets * sizeof(uint32_t),
		(uint64_t)h.max_frames * sizeof(uint64_t),
		(uint64_t)h.max_fds * sizeof(struct tally_fd_slot),
		(uint64_t)h.max_rules * sizeof(struct tally_rule),
		(uint64_t)h.max_types * sizeof(struct tally_type),
		(uint64_t)h.max_objects * sizeof(uint64_t),
		(uint64_t)h.max_objects * sizeof(struct tally_object),
		(uint64_t)h.max_tallies * sizeof(struct tally_tally),
		h.max_events * sizeof(struct tally_event),
	};
	assert_int_equal(off[0], TALLY_PAGE);   /* the header has the first page */
	for (int i = 0; i < 11; i++) {
		assert_int_equal(off[i] % TALLY_PAGE, 0);
		if (i < 10)
			assert_true(off[i] + len[i] <= off[i + 1]);
		else
			assert_true(off[i] + len[i] <= h.file_size);
	}
	/* max_events is every whole event that fits, and at least 1024. */
	assert_int_equal(h.max_events, (h.file_size - h.events_off) / sizeof(struct tally_event));
	assert_true(h.max_events >= 1024);
	assert_true(h.file_size >= s->log_size);
	/* the settings travel in the header */
	assert_int_equal(h.depth, s->depth);
	assert_int_equal(h.max_fds, s->max_fds);
	assert_int_equal(h.max_stacks, s->max_stacks);
	assert_int_equal(h.max_modules, s->max_modules);
	assert_int_equal(h.max_objects, s->max_objects);
	assert_true(h.stack_buckets >= 2 * s->max_stacks);
	assert_int_equal(h.stack_buckets & (h.stack_buckets - 1), 0);
}

static void default_layout_known_offsets(void **state)
{
	struct tally_settings s = defaults();
	struct tally_header h;
	memset(&h, 0, sizeof(h));

	assert_int_equal(log_layout(&s, &h), 64ull << 20);
	assert_int_equal(h.modules_off, 4096);
	assert_int_equal(h.stacks_off, 172032);     /* 4096 + 512 * 328 */
	assert_int_equal(h.index_off, 958464);      /* + 16384 * 48 */
	assert_int_equal(h.stack_buckets, 32768);
	assert_int_equal(h.frames_off, 1089536);    /* + 32768 * 4 */
	assert_int_equal(h.max_frames, 524288);     /* 16384 stacks * depth 32 */
	assert_int_equal(h.state_off, 5283840);     /* + 524288 * 8 */
	assert_int_equal(h.rules_off, 13672448);    /* + 65536 * 128 */
	assert_int_equal(h.types_off, 13709312);    /* + 256 * 136, page rounded */
	assert_int_equal(h.objkeys_off, 13721600);  /* + 64 * 144, page rounded */
	assert_int_equal(h.objects_off, 14245888);  /* + 65536 * 8 */
	assert_int_equal(h.spill_off, 22634496);    /* + 65536 * 128 */
	assert_int_equal(h.max_spill, 131072);      /* 2 per object */
	assert_int_equal(h.tallies_off, 25780224);  /* + 131072 * 24 */
	assert_int_equal(h.max_tallies, 4096);
	assert_int_equal(h.events_off, 25911296);   /* + 4096 * 32 */
	assert_int_equal(h.max_events, 643712);     /* (64M - events_off) / 64 */
	assert_layout_sound(&s);
}

static void layouts_are_sound_for_many_settings(void **state)
{
	struct tally_settings s = small();
	assert_layout_sound(&s);
	s.depth = 64;
	assert_layout_sound(&s);
	s = defaults();
	s.max_fds = 1u << 24;
	s.max_stacks = 1u << 22;
	s.max_modules = 65536;
	s.depth = 64;
	assert_layout_sound(&s);
	s = defaults();
	s.log_size = 64ull << 30;
	assert_layout_sound(&s);
	s = small();
	s.log_size = (1u << 20) + 100;   /* not a page multiple */
	assert_layout_sound(&s);
}

static void small_tables_known_offsets(void **state)
{
	struct tally_settings s = small();
	struct tally_header h;
	memset(&h, 0, sizeof(h));

	assert_int_equal(log_layout(&s, &h), 1u << 20);
	assert_int_equal(h.stacks_off, 12288);
	assert_int_equal(h.index_off, 16384);
	assert_int_equal(h.frames_off, 20480);
	assert_int_equal(h.max_frames, 512);        /* 64 stacks * depth 8 */
	assert_int_equal(h.state_off, 24576);
	assert_int_equal(h.rules_off, 32768);       /* + 64 * 128 */
	assert_int_equal(h.types_off, 69632);       /* + 256 * 136, page rounded */
	assert_int_equal(h.objkeys_off, 81920);     /* + 64 * 144, page rounded */
	assert_int_equal(h.objects_off, 86016);     /* + 64 * 8, page rounded */
	assert_int_equal(h.spill_off, 94208);       /* + 64 * 128 */
	assert_int_equal(h.tallies_off, 98304);     /* + 128 * 24, page rounded */
	assert_int_equal(h.events_off, 229376);     /* + 4096 * 32 */
	assert_int_equal(h.max_events, 12800);
}

/* TALLY_LOG_SIZE=1M with the default tables: the tables alone are 24.7M,
 * so the file grows to hold 1024 events. */
static void tiny_log_size_still_holds_1024_events(void **state)
{
	struct tally_settings s = defaults();
	struct tally_header h;
	memset(&h, 0, sizeof(h));

	s.log_size = 1u << 20;
	assert_int_equal(log_layout(&s, &h), 25911296 + 1024 * 64);
	assert_int_equal(h.max_events, 1024);
	assert_layout_sound(&s);
}

static void view_points_into_the_sections(void **state)
{
	struct tally_settings s = small();
	struct tally_header h;
	struct tally_log log;
	memset(&h, 0, sizeof(h));
	uint64_t size = log_layout(&s, &h);
	char *buf = calloc(1, size);
	memcpy(buf, &h, sizeof(h));

	log_view(&log, buf, size);
	assert_ptr_equal(log.base, buf);
	assert_int_equal(log.size, size);
	assert_ptr_equal(log.hdr, buf);
	assert_ptr_equal(log.modules, buf + h.modules_off);
	assert_ptr_equal(log.stacks, buf + h.stacks_off);
	assert_ptr_equal(log.index, buf + h.index_off);
	assert_ptr_equal(log.frames, buf + h.frames_off);
	assert_ptr_equal(log.state, buf + h.state_off);
	assert_ptr_equal(log.spill, (void *)(buf + h.spill_off));
	assert_ptr_equal(log.tallies, (void *)(buf + h.tallies_off));
	assert_ptr_equal(log.events, buf + h.events_off);
	free(buf);
}

/* ---- path patterns ------------------------------------------------------- */

static void expand(const char *pattern, pid_t pid, const char *exe, const char *want)
{
	char out[256];
	memset(out, 'x', sizeof(out));
	assert_int_equal(log_expand_path(pattern, pid, exe, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void patterns_expand_pid_exe_and_percent(void **state)
{
	expand("/dev/shm/tally.%e.%p", 1234, "/usr/bin/nginx", "/dev/shm/tally.nginx.1234");
	expand("/tmp/t.%p", 7, "/bin/x", "/tmp/t.7");
	expand("/tmp/100%%.%p", 42, "x", "/tmp/100%.42");
	expand("/tmp/%e", 1, "prog", "/tmp/prog");             /* no slash in exe */
	expand("/tmp/%e", 1, "", "/tmp/unknown");
	expand("/tmp/%e", 1, "/usr/bin/", "/tmp/unknown");
	expand("/tmp/plain", 1, "x", "/tmp/plain");
	expand("/tmp/%x%", 1, "x", "/tmp/%x%");                /* unknown: kept */
	expand("%p%p", 2147483647, "x", "21474836472147483647");
	expand("", 1, "x", "");
}

static void a_result_that_does_not_fit_is_refused(void **state)
{
	char out[8];

	assert_int_equal(log_expand_path("abcdefg", 1, "x", out, 8), 0);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(log_expand_path("abcdefgh", 1, "x", out, 8), -ENAMETOOLONG);
	assert_int_equal(log_expand_path("/t.%p", 123, "x", out, 8), 0);
	assert_string_equal(out, "/t.123");
	assert_int_equal(log_expand_path("/t.%p", 1234567, "x", out, 8), -ENAMETOOLONG);
	assert_int_equal(log_expand_path("/%e", 1, "/bin/verylongname", out, 8),
	                 -ENAMETOOLONG);
}

/* ---- log_create ------------------------------------------------------------ */

static void path_for(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void a_new_log_is_private_allocated_and_stamped(void **state)
{
	struct tally_settings s = small();
	struct tally_log log;
	char pattern[128], want[128], exe[256];
	struct stat st;

	snprintf(s.run_id, sizeof(s.run_id), "run-7");
	path_for(pattern, sizeof(pattern), "t.%p");
	snprintf(want, sizeof(want), "%s/t.%d", dir, (int)getpid());

	assert_int_equal(log_create(&log, &s, pattern), 0);
	assert_string_equal(log.path, want);
	assert_int_equal(stat(want, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal((uint64_t)st.st_size, log.hdr->file_size);
	assert_int_equal(log.size, log.hdr->file_size);
	assert_int_equal(log.hdr->file_size, 1u << 20);
	assert_true((uint64_t)st.st_blocks * 512 >= log.hdr->file_size);  /* no holes */

	const struct tally_header *h = log.hdr;
	assert_memory_equal(h->magic, "TALLYLOG", 8);
	assert_int_equal(h->version, TALLY_FORMAT_VERSION);
	assert_int_equal(h->header_size, sizeof(struct tally_header));
	assert_int_equal(h->pid, getpid());
	assert_int_equal(h->ppid, getppid());
	assert_true(h->proc_start_ticks > 0);
	assert_true(h->start_mono_ns > 0);
	assert_true(h->start_wall_ns > 1600000000ll * 1000000000ll);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_string_equal(h->exe, exe);
	assert_true(h->cmdline_len > 0);
	assert_non_null(strstr(h->cmdline, "test_logfile"));
	assert_string_equal(h->run_id, "run-7");
	assert_int_equal(h->depth, 8);
	assert_int_equal(h->max_fds, 64);
	assert_int_equal(h->events_off, 229376);
	assert_int_equal(h->events_claimed, 0);
	assert_int_equal(h->exit_state, TALLY_RUNNING);
	assert_ptr_equal(log.events, (char *)log.base + h->events_off);

	log_unmap(&log);
	assert_null(log.base);
	assert_null(log.hdr);
}

static void a_second_log_goes_beside_the_first_without_touching_it(void **state)
{
	struct tally_settings s = small();
	struct tally_log first, second, third;
	struct tally_header on_disk;
	char pattern[128], want[300];

	path_for(pattern, sizeof(pattern), "t.%p");
	assert_int_equal(log_create(&first, &s, pattern), 0);
	first.hdr->exit_status = 0x5eed5eed;   /* a mark the second create must keep */
	first.events[0].tid = 77;

	assert_int_equal(log_create(&second, &s, pattern), 0);
	snprintf(want, sizeof(want), "%s.1", first.path);
	assert_string_equal(second.path, want);
	assert_int_equal(log_create(&third, &s, pattern), 0);
	snprintf(want, sizeof(want), "%s.2", first.path);
	assert_string_equal(third.path, want);

	int fd = open(first.path, O_RDONLY);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, 1u << 20);
	assert_int_equal(pread(fd, &on_disk, sizeof(on_disk), 0), (ssize_t)sizeof(on_disk));
	struct tally_event ev;
	assert_int_equal(pread(fd, &ev, sizeof(ev), (off_t)on_disk.events_off), (ssize_t)sizeof(ev));
	close(fd);
	assert_memory_equal(on_disk.magic, "TALLYLOG", 8);
	assert_int_equal(on_disk.exit_status, 0x5eed5eed);
	assert_int_equal(ev.tid, 77);
	assert_int_equal(second.hdr->exit_status, 0);

	log_unmap(&first);
	log_unmap(&second);
	log_unmap(&third);
}

static void a_symlink_at_the_target_is_never_followed(void **state)
{
	struct tally_settings s = small();
	struct tally_log log;
	char pattern[128], target[128], victim[128], want[300], text[64];
	struct stat st;

	path_for(pattern, sizeof(pattern), "t.%p");
	snprintf(target, sizeof(target), "%s/t.%d", dir, (int)getpid());
	path_for(victim, sizeof(victim), "victim");
	write_file(victim, "keep");
	assert_int_equal(symlink(victim, target), 0);

	assert_int_equal(log_create(&log, &s, pattern), 0);
	snprintf(want, sizeof(want), "%s.1", target);
	assert_string_equal(log.path, want);

	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 4);
	file_text(victim, text, sizeof(text));
	assert_string_equal(text, "keep");
	log_unmap(&log);
}

static void a_dangling_symlink_does_not_create_its_target(void **state)
{
	struct tally_settings s = small();
	struct tally_log log;
	char pattern[128], ghost[128];

	path_for(pattern, sizeof(pattern), "fixed");
	path_for(ghost, sizeof(ghost), "ghost");
	assert_int_equal(symlink(ghost, pattern), 0);

	assert_int_equal(log_create(&log, &s, pattern), 0);
	assert_non_null(strstr(log.path, "/fixed.1"));
	assert_int_equal(access(ghost, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	log_unmap(&log);
}

static void a_missing_directory_fails_with_enoent(void **state)
{
	struct tally_settings s = small();
	struct tally_log log;
	char pattern[128];

	path_for(pattern, sizeof(pattern), "no/such/dir/t.%p");
	memset(&log, 0xab, sizeof(log));
	assert_int_equal(log_create(&log, &s, pattern), -ENOENT);
	assert_null(log.base);
	assert_null(log.hdr);
}

/* Names up to 251 bytes fit, with room for ".N" after a clash; 252 do not. */
static void the_longest_path_that_fits(void **state)
{
	struct tally_settings s = small();
	struct tally_log a, b;
	char pattern[300];
	size_t dirlen = strlen(dir);

	memset(pattern, 'n', sizeof(pattern));
	memcpy(pattern, dir, dirlen);
	pattern[dirlen] = '/';
	pattern[251] = 0;
	assert_int_equal(log_create(&a, &s, pattern), 0);
	assert_string_equal(a.path, pattern);
	assert_int_equal(log_create(&b, &s, pattern), 0);
	assert_int_equal(strlen(b.path), 253);
	assert_string_equal(b.path + 251, ".1");
	log_unmap(&a);
	log_unmap(&b);

	pattern[251] = 'n';
	pattern[252] = 0;
	assert_int_equal(log_create(&a, &s, pattern), -ENAMETOOLONG);
	assert_null(a.base);
}

/* t, t.1 ... t.99 all taken (a program that forked a hundred children
 * under one fixed name): the log goes to t.PID, then t.PID.1 ...; with
 * those taken too, log_create gives up rather than overwrite. */
static void a_hundred_clashes_go_on_by_pid_then_give_up(void **state)
{
	struct tally_settings s = small();
	struct tally_log log;
	char path[160], want[300];
	int pid = (int)getpid();

	for (int n = 0; n < 100; n++) {
		if (n)
			snprintf(path, sizeof(path), "%s/t.%d", dir, n);
		else
			snprintf(path, sizeof(path), "%s/t", dir);
		if (n != pid)
			write_file(path, "x");
	}
	path_for(path, sizeof(path), "t");
	assert_int_equal(log_create(&log, &s, path), 0);
	snprintf(want, sizeof(want), "%s/t.%d", dir, pid);
	assert_string_equal(log.path, want);
	log_unmap(&log);
	assert_int_equal(log_create(&log, &s, path), 0);
	snprintf(want, sizeof(want), "%s/t.%d.1", dir, pid);
	assert_string_equal(log.path, want);
	log_unmap(&log);

	for (int n = 2; n < 100; n++) {
		snprintf(path, sizeof(path), "%s/t.%d.%d", dir, pid, n);
		write_file(path, "x");
	}
	path_for(path, sizeof(path), "t");
	assert_int_equal(log_create(&log, &s, path), -EEXIST);
	assert_null(log.base);
	snprintf(path, sizeof(path), "%s/t.100", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/t.%d.100", dir, pid);
	assert_int_equal(access(path, F_OK), -1);
	struct stat st;
	path_for(path, sizeof(path), "t.5");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1);
}

/* ---- log_fork_child ------------------------------------------------------- */

/* Runs log_fork_child in a forked child, then `then` on the child's log if
 * given; returns the child's pid after it exited 0, failing the test
 * otherwise. */
static pid_t fork_child_log(struct tally_log *log, const struct tally_settings *s,
                            int want, void (*then)(struct tally_log *))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int r = log_fork_child(log, s, 0);
		if (r != want)
			_exit(100 + (r < 0 ? -r : r) % 100);
		if (r != 0 && log->base)
			_exit(99);   /* a failed copy must leave the log unmapped */
		if (r == 0 && then)
			then(log);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("child: log_fork_child exit code %d", WEXITSTATUS(status));
	return pid;
}

/* A parent log at s->log_pattern with one creation stack and three
 * sockets made there: fd 5 and fd 7 (bound) open, fd 9 closed. */
static uint32_t parent_with_sockets(struct tally_log *parent, struct tally_settings *s,
                                    const uint64_t frames[2])
{
	path_for(s->log_pattern, sizeof(s->log_pattern), "t.%p");
	assert_int_equal(log_create(parent, s, s->log_pattern), 0);
	uint32_t id = depot_intern(parent, 0, frames, 2);
	struct tally_fd_slot slot;
	int pipefd[2];
	memset(&slot, 0, sizeof(slot));
	/* The child keeps a slot only if its fd really is a socket there: make
	 * 5 and 7 sockets, and 11 a pipe the table wrongly calls a socket. */
	assert_int_equal(dup2(socket(AF_INET, SOCK_DGRAM, 0), 5), 5);
	assert_int_equal(dup2(socket(AF_INET, SOCK_DGRAM, 0), 7), 7);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(dup2(pipefd[0], 11), 11);
	slot.serial = 8;
	fdstate_open(parent, 11, &slot);
	slot.stack_id = id;
	slot.serial = 3;
	fdstate_open(parent, 5, &slot);
	slot.serial = 4;
	slot.flags = TALLY_FD_BOUND;
	fdstate_open(parent, 7, &slot);
	slot.serial = 6;
	fdstate_open(parent, 9, &slot);
	fdstate_close(parent, 9, 6);
	parent->hdr->events_claimed = 10;
	parent->hdr->dropped[TALLY_DROP_FULL] = 2;
	return id;
}

/* Maps the log the child `pid` made, read-only, after checking its file. */
static void *map_child_log(pid_t pid, size_t size, struct tally_log *child)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/t.%d", dir, (int)pid);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal((uint64_t)st.st_size, size);
	void *base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(base != MAP_FAILED);
	log_view(child, base, size);
	return base;
}

/* A live object's books go to the child with its spilled cells, under
 * the serial the child gives it; stale entries do not. */
static void a_forked_child_keeps_the_spilled_cells_of_live_objects(void **state)
{
	struct tally_settings s = small();
	struct tally_log parent, child;

	path_for(s.log_pattern, sizeof(s.log_pattern), "t.%p");
	assert_int_equal(log_create(&parent, &s, s.log_pattern), 0);
	assert_true(parent.hdr->max_spill >= 8);
	parent.objkeys[3] = 0x5000;
	parent.objects[3] = (struct tally_object){ .serial = 42, .net = 1,
	                                           .state = TALLY_OBJ_LIVE,
	                                           .flags = TALLY_OBJF_SPILLED };
	parent.objects[4] = (struct tally_object){ .serial = 43, .state = TALLY_OBJ_RELEASED };
	parent.spill[1] = (struct tally_spill){ .serial = 42, .slot = 3, .cell = TALLY_CELL(7, 1) };
	parent.spill[2] = (struct tally_spill){ .serial = 41, .slot = 3, .cell = TALLY_CELL(8, 1) };
	parent.spill[5] = (struct tally_spill){ .serial = 43, .slot = 4, .cell = TALLY_CELL(9, 1) };
	pid_t pid = fork_child_log(&parent, &s, 0, NULL);
	void *base = map_child_log(pid, parent.size, &child);

	assert_int_equal(child.objects[3].serial, 42 | TALLY_SERIAL_INHERITED);
	assert_int_equal(child.spill[1].serial, 42 | TALLY_SERIAL_INHERITED);
	assert_int_equal(child.spill[1].slot, 3);
	assert_int_equal(child.spill[1].cell, TALLY_CELL(7, 1));
	assert_int_equal(child.spill[2].serial, 0);   /* an older object's */
	assert_int_equal(child.spill[5].serial, 0);   /* a released one's */
	munmap(base, parent.size);
	log_unmap(&parent);
}

/* The child's log carries the parent's stacks and open sockets (marked
 * inherited, serials tagged) and starts its own event books from zero. */
static void a_forked_child_gets_its_own_log_with_the_parents_tables(void **state)
{
	struct tally_settings s = small();
	struct tally_log parent, child;
	const uint64_t frames[2] = { 0x401000, 0x402000 };

	parent_with_sockets(&parent, &s, frames);
	pid_t pid = fork_child_log(&parent, &s, 0, NULL);
	void *base = map_child_log(pid, parent.size, &child);
	const struct tally_header *h = child.hdr;

	assert_memory_equal(h->magic, "TALLYLOG", 8);
	assert_int_equal(h->pid, pid);
	assert_int_equal(h->ppid, getpid());
	assert_string_equal(h->parent_log, parent.path);
	assert_int_equal(h->events_off, parent.hdr->events_off);
	assert_int_equal(h->events_claimed, 0);
	for (int i = 0; i < TALLY_DROP_CAUSES; i++)
		assert_int_equal(h->dropped[i], 0);
	assert_int_equal(h->sockets_created, 2);   /* the two still open */
	assert_int_equal(h->sockets_closed, 0);
	assert_int_equal(h->stacks_used, 1);
	assert_int_equal(child.state[5].serial, 3 | TALLY_SERIAL_INHERITED);
	assert_int_equal(child.state[5].flags, TALLY_FD_INHERITED);
	assert_int_equal(child.state[7].serial, 4 | TALLY_SERIAL_INHERITED);
	assert_int_equal(child.state[7].flags, TALLY_FD_BOUND | TALLY_FD_INHERITED);
	assert_int_equal(child.state[9].serial, 0);
	assert_int_equal(child.state[11].serial, 0);   /* a pipe in the child: dropped */
	assert_int_equal(child.stacks[0].committed, 1);
	assert_int_equal(child.stacks[0].created, 2);   /* the two it inherited */
	assert_int_equal(child.stacks[0].closed, 0);
	assert_memory_equal(&child.frames[child.stacks[0].frames_index], frames, sizeof(frames));
	assert_memory_equal(child.index, parent.index,
	                    parent.hdr->stack_buckets * sizeof(uint32_t));

	/* the parent's log is the parent's alone */
	assert_int_equal(parent.hdr->events_claimed, 10);
	assert_int_equal(parent.stacks[0].created, 3);
	assert_int_equal(parent.state[5].serial, 3);
	munmap(base, parent.size);
	log_unmap(&parent);
}

static void close_inherited_fd_5(struct tally_log *log)
{
	if (fdstate_close(log, 5, 3 | TALLY_SERIAL_INHERITED) != 1)
		_exit(98);
}

/* The child counts its inherited sockets as created (they came in open),
 * in the header and — so that "closed" stays "of those, closed" — at the
 * site that made them.  After the child closes one of the two, the site
 * must read created - closed = 1, the one still open. */
static void in_the_child_a_site_keeps_books_of_its_inherited_sockets(void **state)
{
	struct tally_settings s = small();
	struct tally_log parent, child;
	const uint64_t frames[2] = { 0x401000, 0x402000 };

	parent_with_sockets(&parent, &s, frames);
	pid_t pid = fork_child_log(&parent, &s, 0, close_inherited_fd_5);
	void *base = map_child_log(pid, parent.size, &child);

	assert_int_equal(child.hdr->sockets_created, 2);
	assert_int_equal(child.hdr->sockets_closed, 1);
	assert_int_equal(child.state[7].serial, 4 | TALLY_SERIAL_INHERITED);
	const struct tally_stack *st = &child.stacks[0];
	assert_int_equal(st->closed, 1);
	if (st->created < st->closed || st->created - st->closed != 1)
		fail_msg("child's site books: created %llu, closed %llu, with 1 socket "
		         "still open there", (unsigned long long)st->created,
		         (unsigned long long)st->closed);
	munmap(base, parent.size);
	log_unmap(&parent);
}

static void a_failed_child_copy_leaves_the_child_without_a_log(void **state)
{
	struct tally_settings s = small();
	struct tally_log parent;
	char where[128];

	path_for(where, sizeof(where), "t.%p");
	assert_int_equal(log_create(&parent, &s, where), 0);
	path_for(s.log_pattern, sizeof(s.log_pattern), "gone/t.%p");
	fork_child_log(&parent, &s, -ENOENT, NULL);
	assert_memory_equal(parent.hdr->magic, "TALLYLOG", 8);
	log_unmap(&parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_layout_known_offsets),
		cmocka_unit_test(layouts_are_sound_for_many_settings),
		cmocka_unit_test(small_tables_known_offsets),
		cmocka_unit_test(tiny_log_size_still_holds_1024_events),
		cmocka_unit_test(view_points_into_the_sections),
		cmocka_unit_test(patterns_expand_pid_exe_and_percent),
		cmocka_unit_test(a_result_that_does_not_fit_is_refused),
		cmocka_unit_test_setup_teardown(a_new_log_is_private_allocated_and_stamped,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_second_log_goes_beside_the_first_without_touching_it,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_symlink_at_the_target_is_never_followed,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_dangling_symlink_does_not_create_its_target,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_missing_directory_fails_with_enoent,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(the_longest_path_that_fits,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_forked_child_gets_its_own_log_with_the_parents_tables,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_forked_child_keeps_the_spilled_cells_of_live_objects,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(in_the_child_a_site_keeps_books_of_its_inherited_sockets,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_failed_child_copy_leaves_the_child_without_a_log,
		                                setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(a_hundred_clashes_go_on_by_pid_then_give_up,
		                                setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
