/*
 * logfile — create, size and map a tally log; copy it for a forked child.
 * Runs in the constructor and in the child after fork (async-signal-safe
 * calls only there: open, fallocate, mmap, close, memcpy).
 */
#include "clockns.h"
#include "logfile.h"
#include "procinfo.h"
#include "real.h"
#include "replay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIN_EVENTS 1024u
#define CHILD_EVENTS 16384u   /* 1 MiB of events for a forked child */

static uint64_t round_page(uint64_t n)
{
	return (n + TALLY_PAGE - 1) & ~(uint64_t)(TALLY_PAGE - 1);
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

uint64_t log_layout(const struct tally_settings *s, struct tally_header *hdr)
{
	uint64_t off = TALLY_PAGE, size;

	hdr->depth = s->depth;
	hdr->max_modules = s->max_modules;
	hdr->max_stacks = s->max_stacks;
	hdr->stack_buckets = pow2_at_least(s->max_stacks * 2);
	hdr->max_frames = s->max_stacks * s->depth;   /* max_stacks full-depth stacks fit */
	hdr->max_fds = s->max_fds;

	hdr->modules_off = off;
	off = round_page(off + (uint64_t)hdr->max_modules * sizeof(struct tally_module));
	hdr->stacks_off = off;
	off = round_page(off + (uint64_t)hdr->max_stacks * sizeof(struct tally_stack));
	hdr->index_off = off;
	off = round_page(off + (uint64_t)hdr->stack_buckets * sizeof(uint32_t));
	hdr->frames_off = off;
	off = round_page(off + (uint64_t)hdr->max_frames * sizeof(uint64_t));
	hdr->state_off = off;
	off = round_page(off + (uint64_t)hdr->max_fds * sizeof(struct tally_fd_slot));
	hdr->max_rules = TALLY_MAX_RULES;
	hdr->max_types = TALLY_MAX_TYPES;
	hdr->max_objects = s->max_objects;
	hdr->enforce = s->enforce;
	hdr->rules_off = off;
	off = round_page(off + (uint64_t)hdr->max_rules * sizeof(struct tally_rule));
	hdr->types_off = off;
	off = round_page(off + (uint64_t)hdr->max_types * sizeof(struct tally_type));
	hdr->objkeys_off = off;
	off = round_page(off + (uint64_t)hdr->max_objects * sizeof(uint64_t));
	hdr->objects_off = off;
	off = round_page(off + (uint64_t)hdr->max_objects * sizeof(struct tally_object));
	/* Twice as many spilled cells as objects: most objects need none,
	 * a GStreamer element or pad some dozens. */
	hdr->max_spill = s->max_objects * 2;
	hdr->spill_off = off;
	off = round_page(off + (uint64_t)hdr->max_spill * sizeof(struct tally_spill));
	hdr->max_tallies = TALLY_MAX_TALLIES;
	hdr->tallies_off = off;
	off = round_page(off + (uint64_t)hdr->max_tallies * sizeof(struct tally_tally));
	hdr->events_off = off;

	size = s->log_size > off ? s->log_size : off;
	if ((size - off) / sizeof(struct tally_event) < MIN_EVENTS)
		size = off + MIN_EVENTS * sizeof(struct tally_event);
	size = round_page(size);
	hdr->max_events = (size - off) / sizeof(struct tally_event);
	hdr->file_size = size;
	return size;
}

void log_view(struct tally_log *log, void *base, size_t size)
{
	struct tally_header *hdr = base;
	char *b = base;

	log->base = base;
	log->size = size;
	log->hdr = hdr;
	log->modules = (struct tally_module *)(b + hdr->modules_off);
	log->stacks = (struct tally_stack *)(b + hdr->stacks_off);
	log->index = (uint32_t *)(b + hdr->index_off);
	log->frames = (uint64_t *)(b + hdr->frames_off);
	log->state = (struct tally_fd_slot *)(b + hdr->state_off);
	log->rules = (struct tally_rule *)(b + hdr->rules_off);
	log->types = (struct tally_type *)(b + hdr->types_off);
	log->objkeys = (uint64_t *)(b + hdr->objkeys_off);
	log->objects = (struct tally_object *)(b + hdr->objects_off);
	log->spill = (struct tally_spill *)(b + hdr->spill_off);
	log->tallies = (struct tally_tally *)(b + hdr->tallies_off);
	log->events = (struct tally_event *)(b + hdr->events_off);
}

int log_expand_path(const char *pattern, pid_t pid, const char *exe, char *out, size_t outsz)
{
	const char *base = strrchr(exe, '/');
	size_t n = 0;

	base = base ? base + 1 : exe;
	if (!*base)
		base = "unknown";
	for (const char *p = pattern; *p; p++) {
		char piece[32];
		const char *add = piece;

		if (*p == '%' && p[1] == 'p') {
			snprintf(piece, sizeof(piece), "%d", (int)pid);
			p++;
		} else if (*p == '%' && p[1] == 'e') {
			add = base;
			p++;
		} else if (*p == '%' && p[1] == '%') {
			piece[0] = '%', piece[1] = 0;
			p++;
		} else {
			piece[0] = *p, piece[1] = 0;
		}
		size_t len = strlen(add);
		if (n + len + 1 > outsz)
			return -ENAMETOOLONG;
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = 0;
	return 0;
}

/* Opens `path` as a new file: its fd, or -EEXIST when it exists, or -errno. */
static int try_exclusive(const char *path)
{
	int fd = real_open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd >= 0)
		return fd;
	return errno == EEXIST ? -EEXIST : -errno;
}

/* Opens a new file at `path`, or `path.1` … `path.99` when taken, then
 * `path.PID`, `path.PID.1` … `path.PID.99`: a program that forks hundreds
 * of children under one fixed log name gets a log for each of them, and a
 * child does not try every number another one took. */
static int open_exclusive(char *path, size_t pathsz, pid_t pid)
{
	size_t len = strlen(path);

	for (int pass = 0; pass < 2; pass++) {
		for (int n = 0; n < 100; n++) {
			int w = 0;
			if (pass == 0 && n)
				w = snprintf(path + len, pathsz - len, ".%d", n);
			else if (pass == 1)
				w = n ? snprintf(path + len, pathsz - len, ".%d.%d", (int)pid, n)
				      : snprintf(path + len, pathsz - len, ".%d", (int)pid);
			if (w < 0 || (size_t)w >= pathsz - len)
				return -ENAMETOOLONG;
			int fd = try_exclusive(path);
			if (fd != -EEXIST)
				return fd;
		}
	}
	return -EEXIST;
}

/* Creates and maps a file of `size` bytes; fills log->base/size/path. */
static int create_mapped(struct tally_log *log, const char *pattern, pid_t pid,
                         const char *exe, uint64_t size)
{
	void *base;
	int fd, err;

	err = log_expand_path(pattern, pid, exe, log->path, sizeof(log->path) - 4);
	if (err)
		return err;
	fd = open_exclusive(log->path, sizeof(log->path), pid);
	if (fd < 0)
		return fd;
	/* Allocate every block now: writing into a hole of a full tmpfs would
	 * raise SIGBUS in the program, much later and far from here. */
	err = posix_fallocate(fd, 0, (off_t)size);
	if (err == EOPNOTSUPP || err == EINVAL)
		err = ftruncate(fd, (off_t)size) ? errno : 0;
	if (err) {
		unlink(log->path);
		real_close(fd);
		return -err;
	}
	/* No MAP_POPULATE: mapping 64 MiB up front costs ~60 ms per process
	 * start, against ~30 ns per event (one fault per 64 events) later.
	 * The bench's pre-faulted builds (TALLY_BENCH_PREFAULT, bench/run.sh
	 * section 7) measure what that leaves of an event's cost. */
	int populate = 0;
#ifdef TALLY_BENCH_PREFAULT
	populate = MAP_POPULATE;
#endif
	struct stat st;
	if (fstat(fd, &st) == 0) {
		log->dev = st.st_dev;
		log->ino = st.st_ino;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | populate, fd, 0);
	err = base == MAP_FAILED ? -errno : 0;
	real_close(fd);
	if (err) {
		unlink(log->path);
		return err;
	}
	log->base = base;
	log->size = size;
	return 0;
}

static void stamp_identity(struct tally_header *hdr, const struct tally_settings *s)
{
	hdr->pid = getpid();
	hdr->ppid = getppid();
	hdr->proc_start_ticks = procinfo_start_ticks();
	hdr->start_wall_ns = clock_ns(CLOCK_REALTIME);
	hdr->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	memcpy(hdr->run_id, s->run_id, sizeof(hdr->run_id));
	hdr->run_id[sizeof(hdr->run_id) - 1] = 0;
}

int log_create(struct tally_log *log, const struct tally_settings *s, const char *pattern)
{
	struct tally_header layout;
	char path_keep[TALLY_PATH_MAX];
	uint64_t size;
	int err;

	memset(&layout, 0, sizeof(layout));
	size = log_layout(s, &layout);
	memset(log, 0, sizeof(*log));
	procinfo_exe(layout.exe, sizeof(layout.exe));
	err = create_mapped(log, pattern, getpid(), layout.exe, size);
	if (err)
		return err;
	/* Everything but the magic first, so a reader never sees a half-written
	 * header; the view needs the offsets in place. */
	struct tally_header *hdr = log->base;
	memcpy((char *)hdr + sizeof(hdr->magic), (char *)&layout + sizeof(hdr->magic),
	       sizeof(layout) - sizeof(hdr->magic));
	memcpy(path_keep, log->path, sizeof(path_keep));
	log_view(log, log->base, size);
	memcpy(log->path, path_keep, sizeof(path_keep));
	hdr->version = TALLY_FORMAT_VERSION;
	hdr->header_size = sizeof(*hdr);
	stamp_identity(hdr, s);
	hdr->cmdline_len = procinfo_cmdline(hdr->cmdline, sizeof(hdr->cmdline));
	__atomic_store(&hdr->magic, &(char[8]){ 'T', 'A', 'L', 'L', 'Y', 'L', 'O', 'G' },
	               __ATOMIC_RELEASE);
	replay_forget();   /* stack ids of another log */
	return 0;
}

/* Ranges of older logs that show this process's own log (below): a call
 * that two forks from signal handlers interrupted in turn may point into
 * any of them.  Unmapped at the next fork that interrupted nothing. */
#define ALIASES_MAX 4
static struct { void *base; size_t size; } aliases[ALIASES_MAX];
static unsigned naliases;

/* A range of the parent's log (or an alias of it) in a child whose fork
 * interrupted the shim's work (log_fork_child).  That work goes on in the
 * child with pointers into the range (an object's books, a run's record):
 * unmapped, it crashed 1 child in 4 of a review's handler forking at
 * 1 kHz, and zero pages gave it garbage indices.  So the range's tables
 * (`tables` bytes, the same layout in every log of a process tree) show
 * the child's own log's: the interrupted call, which goes on in the child,
 * is booked there.  Its event area is zero pages: a record the call writes
 * there is lost, not written over one of the child's.  Without a child
 * log, the range becomes a private copy of its tables.  If neither can be
 * done it stays as it is: the call is then booked twice in the parent's
 * books rather than crash the child. */
static void redirect_range(void *base, size_t size, const struct tally_log *child, size_t tables)
{
	if (tables > size)
		tables = size;
	/* old size 0: a second mapping of the same shared pages */
	if (child && tables <= child->size &&
	    mremap(child->base, 0, tables, MREMAP_MAYMOVE | MREMAP_FIXED, base) != MAP_FAILED) {
		if (size > tables)
			(void)mmap((char *)base + tables, size - tables, PROT_READ | PROT_WRITE,
			           MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		return;
	}
	void *copy = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (copy == MAP_FAILED)
		return;
	memcpy(copy, base, tables);
	if (mremap(copy, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, base) == MAP_FAILED)
		munmap(copy, size);
}

/* After a fork: the parent's range and the aliases are redirected
 * (interrupted) and the parent's range becomes one, or all are unmapped. */
static void leave_parent_ranges(const struct tally_log *parent, const struct tally_log *child,
                                int interrupted)
{
	size_t tables = parent->hdr->events_off;

	if (!interrupted) {
		munmap(parent->base, parent->size);
		for (unsigned i = 0; i < naliases; i++)
			munmap(aliases[i].base, aliases[i].size);
		naliases = 0;
		return;
	}
	redirect_range(parent->base, parent->size, child, tables);
	for (unsigned i = 0; i < naliases; i++)
		redirect_range(aliases[i].base, aliases[i].size, child, tables);
	/* The parent's range joins them, first; the oldest goes when full. */
	if (naliases == ALIASES_MAX) {
		naliases--;
		munmap(aliases[naliases].base, aliases[naliases].size);
	}
	memmove(&aliases[1], &aliases[0], naliases * sizeof(aliases[0]));
	aliases[0].base = parent->base;
	aliases[0].size = parent->size;
	naliases++;
}

int log_fork_child(struct tally_log *log, const struct tally_settings *s, int interrupted)
{
	struct tally_log parent = *log, child;
	const struct tally_header *ph = parent.hdr;
	int err;

	/* A child gets the parent's tables but a smaller event area: most
	 * children exec or exit soon, and each log is allocated in full. */
	uint64_t child_events = ph->max_events < CHILD_EVENTS ? ph->max_events : CHILD_EVENTS;
	size_t child_size = ph->events_off + child_events * sizeof(struct tally_event);

	memset(&child, 0, sizeof(child));
	err = create_mapped(&child, s->log_pattern, getpid(), ph->exe, child_size);
	if (err) {
		leave_parent_ranges(&parent, NULL, interrupted);
		if (!interrupted)
			memset(log, 0, sizeof(*log));   /* else it points at the copy */
		return err;
	}
	/* The header first, with the parent's layout, then the tables the
	 * child inherits: stack ids and module generations stay valid. */
	memcpy(child.base, parent.base, sizeof(*ph));
	char path_keep[TALLY_PATH_MAX];
	memcpy(path_keep, child.path, sizeof(path_keep));
	log_view(&child, child.base, child_size);
	memcpy(child.path, path_keep, sizeof(path_keep));

	struct tally_header *h = child.hdr;
	/* Only the used part of each table: a fork should not copy megabytes. */
	uint32_t nstacks = ph->stacks_used < ph->max_stacks ? ph->stacks_used : ph->max_stacks;
	uint64_t nframes = ph->frames_used < ph->max_frames ? ph->frames_used : ph->max_frames;
	uint32_t nmods = ph->modules_used < ph->max_modules ? ph->modules_used : ph->max_modules;
	memcpy(child.modules, parent.modules, (size_t)nmods * sizeof(*child.modules));
	memcpy(child.stacks, parent.stacks, (size_t)nstacks * sizeof(*child.stacks));
	memcpy(child.index, parent.index, (size_t)ph->stack_buckets * sizeof(*child.index));
	memcpy(child.frames, parent.frames, (size_t)nframes * sizeof(*child.frames));
	/* The child keeps books of its own: per site, the sockets it holds now
	 * (inherited) and what it does with them from here on. */
	for (uint32_t i = 0; i < nstacks; i++)
		child.stacks[i].created = child.stacks[i].closed = 0;
	/* The parent's other threads go on changing its table while this copy
	 * is taken: copy each slot consistently, and keep it only if the fd is
	 * a socket in this (single-threaded) child, whose fd table is exact. */
	uint64_t inherited = 0;
	for (uint32_t fd = 0; fd < ph->max_fds; fd++) {
		struct tally_fd_slot *slot = &child.state[fd];
		const struct tally_fd_slot *from = &parent.state[fd];
		uint64_t serial = __atomic_load_n(&from->serial, __ATOMIC_ACQUIRE);
		struct stat st;

		if (!serial)
			continue;
		*slot = *from;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		int type;
		socklen_t len = sizeof(type);
		/* getsockopt, not S_ISSOCK: an O_PATH fd of a socket file is none */
		(void)st;
		if (__atomic_load_n(&from->serial, __ATOMIC_RELAXED) != serial ||
		    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
			memset(slot, 0, sizeof(*slot));
			continue;
		}
		/* a close cancelled in the parent is no close under way here */
		slot->serial = serial & ~TALLY_SERIAL_CLOSING;
		inherited++;
		slot->flags |= TALLY_FD_INHERITED;
		/* Serials are per log; mark the parent's so they never
		 * collide with the child's own. */
		slot->serial |= TALLY_SERIAL_INHERITED;
		if (slot->stack_id && slot->stack_id <= ph->max_stacks)
			child.stacks[slot->stack_id - 1].created++;
	}

	/* Rules and types as set up at start; the object books of the objects
	 * alive now, which the child holds references to as much as the
	 * parent.  A claim under way in another parent thread is not copied. */
	memcpy(child.rules, parent.rules, (size_t)ph->max_rules * sizeof(*child.rules));
	for (uint32_t i = 0; i < ph->max_rules; i++)
		child.rules[i].calls = 0;
	for (uint32_t i = 0; i < ph->max_types; i++) {
		memset(&child.types[i], 0, sizeof(child.types[i]));
		memcpy(child.types[i].name, parent.types[i].name, sizeof(child.types[i].name));
		child.types[i].flags = parent.types[i].flags;
	}
	uint64_t live = 0;
	for (uint32_t i = 0; i < ph->max_objects; i++) {
		const struct tally_object *from = &parent.objects[i];
		if (__atomic_load_n(&from->state, __ATOMIC_ACQUIRE) != TALLY_OBJ_LIVE)
			continue;
		child.objects[i] = *from;
		child.objkeys[i] = __atomic_load_n(&parent.objkeys[i], __ATOMIC_RELAXED);
		child.objects[i].flags |= TALLY_OBJF_INHERITED;
		child.objects[i].serial |= TALLY_SERIAL_INHERITED;
		/* no decrement of the parent's is under way in the child */
		child.objects[i].flags &= (uint8_t)~TALLY_OBJF_RELEASING;
		/* Its net now: what the child adds beyond it is its own. */
		child.objects[i].close_ns = child.objects[i].net;
		live++;
	}
	/* Their spilled cells, valid where their serial is, as renamed. */
	for (uint32_t i = 0; i < ph->max_spill; i++) {
		/* The parent's other threads may be rewriting the entry (the
		 * serial is written last, and cleared first): a copy whose
		 * serial changed meanwhile is not kept. */
		uint64_t serial = __atomic_load_n(&parent.spill[i].serial, __ATOMIC_ACQUIRE);
		struct tally_spill e = parent.spill[i];
		e.cell = __atomic_load_n(&parent.spill[i].cell, __ATOMIC_RELAXED);
		if (__atomic_load_n(&parent.spill[i].serial, __ATOMIC_ACQUIRE) != serial)
			continue;
		e.serial = serial;
		if (!e.serial || e.slot >= ph->max_objects ||
		    child.objects[e.slot].state != TALLY_OBJ_LIVE ||
		    child.objects[e.slot].serial != (e.serial | TALLY_SERIAL_INHERITED))
			continue;
		e.serial |= TALLY_SERIAL_INHERITED;
		child.spill[i] = e;
	}
	h->objects_live = live;
	h->objects_untracked = 0;
	h->violations = 0;
	h->object_lock = 0;

	/* The cursors of what was copied, not of the parent's header when it
	 * was copied: entries claimed since must not be handed out twice. */
	h->stacks_used = nstacks;
	h->frames_used = nframes;
	h->modules_used = nmods;
	h->events_claimed = 0;
	memset(h->dropped, 0, sizeof(h->dropped));
	h->exit_state = TALLY_RUNNING;
	h->exit_mono_ns = 0;
	h->closes_not_open = 0;
	h->tallies_lost = 0;   /* the child's tallies section starts empty */
	h->sockets_created = inherited;   /* the child starts with these open */
	h->sockets_inherited = inherited;
	h->max_events = child_events;
	h->file_size = child_size;
	h->sockets_closed = 0;
	snprintf(h->parent_log, sizeof(h->parent_log), "%s", parent.path);
	stamp_identity(h, s);
	/* Half of an interrupted call may be in the parent's books: no
	 * violation of any type is certain in this child. */
	for (uint32_t t = 0; interrupted && t < h->types_used && t < h->max_types; t++)
		__atomic_fetch_add(&child.types[t].nested, 1, __ATOMIC_RELAXED);
	leave_parent_ranges(&parent, &child, interrupted);
	*log = child;
	replay_forget();
	return 0;
}

int log_drop_if_idle_child(struct tally_log *log)
{
	const struct tally_header *h = log->hdr;
	struct stat st;

	if (!h || !h->parent_log[0] || h->types_used > h->max_types)
		return 0;
	/* Another thread could still record something after the look. */
	if (stat("/proc/self/task", &st) != 0 || st.st_nlink != 3)
		return 0;
	uint64_t written = h->events_claimed < h->max_events ? h->events_claimed : h->max_events;
	if (!tally_log_records_nothing(h, log->types, log->tallies, log->events, written))
		return 0;
	/* The same file: a relative path may name another one after a chdir. */
	if (stat(log->path, &st) != 0 || st.st_dev != log->dev || st.st_ino != log->ino)
		return 0;
	return unlink(log->path) == 0;
}

void log_unmap(struct tally_log *log)
{
	if (log->base)
		munmap(log->base, log->size);
	memset(log, 0, sizeof(*log));
}
