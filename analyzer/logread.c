/*
 * logread — validated, read-only access to a tally log.
 */
#include "logread.h"
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errsz, const char *path, const char *why)
{
	snprintf(err, errsz, "%s: %s", path, why);
	return -1;
}

/* True when [off, off + count * size) lies inside the file. */
static bool section_ok(const struct logread *lr, uint64_t off, uint64_t count, size_t size)
{
	if (off < TALLY_PAGE || off > lr->size || off % TALLY_PAGE)
		return false;
	if (count && size > (lr->size - off) / count)
		return false;
	return true;
}

static int check_header(struct logread *lr, char *err, size_t errsz, const char *path)
{
	const struct tally_header *h = &lr->hdr;

	if (memcmp(h->magic, TALLY_MAGIC, 8) != 0)
		return fail(err, errsz, path, "not a tally log (bad magic)");
	/* Version 5 is version 6 without runs (TALLY_EVF_RUN): same layout. */
	if (h->version != TALLY_FORMAT_VERSION && h->version != 5) {
		char why[128];
		snprintf(why, sizeof(why), "tally log format version %u, this tally reads 5 and %u",
		         h->version, TALLY_FORMAT_VERSION);
		return fail(err, errsz, path, why);
	}
	if (h->header_size != sizeof(*h))
		return fail(err, errsz, path, "corrupt tally log (header size)");
	/* Cut short (a copy that did not finish, a full disk): the tables come
	 * before the events, so the events still in the file can be read. */
	lr->events_in_file = h->max_events;
	if (h->file_size > lr->size) {
		if (h->events_off > lr->size || h->events_off % TALLY_PAGE)
			return fail(err, errsz, path,
			            "truncated tally log (cut short before its events)");
		uint64_t fit = (lr->size - h->events_off) / sizeof(struct tally_event);
		if (fit < lr->events_in_file)
			lr->events_in_file = fit;
	}
	if (h->max_stacks == 0 || h->stack_buckets == 0 ||
	    (h->stack_buckets & (h->stack_buckets - 1)) || h->depth == 0 ||
	    h->depth > TALLY_DEPTH_MAX || h->max_objects == 0 ||
	    (h->max_objects & (h->max_objects - 1)) || h->max_tallies == 0 ||
	    (h->max_tallies & (h->max_tallies - 1)) || (h->max_spill & (h->max_spill - 1)) ||
	    h->rules_used > h->max_rules ||
	    h->types_used > h->max_types || h->max_types > 65536 || h->max_rules > 65536)
		return fail(err, errsz, path, "corrupt tally log (settings)");
	if (!section_ok(lr, h->modules_off, h->max_modules, sizeof(struct tally_module)) ||
	    !section_ok(lr, h->stacks_off, h->max_stacks, sizeof(struct tally_stack)) ||
	    !section_ok(lr, h->index_off, h->stack_buckets, sizeof(uint32_t)) ||
	    !section_ok(lr, h->frames_off, h->max_frames, sizeof(uint64_t)) ||
	    !section_ok(lr, h->state_off, h->max_fds, sizeof(struct tally_fd_slot)) ||
	    !section_ok(lr, h->rules_off, h->max_rules, sizeof(struct tally_rule)) ||
	    !section_ok(lr, h->types_off, h->max_types, sizeof(struct tally_type)) ||
	    !section_ok(lr, h->objkeys_off, h->max_objects, sizeof(uint64_t)) ||
	    !section_ok(lr, h->objects_off, h->max_objects, sizeof(struct tally_object)) ||
	    !section_ok(lr, h->spill_off, h->max_spill, sizeof(struct tally_spill)) ||
	    !section_ok(lr, h->tallies_off, h->max_tallies, sizeof(struct tally_tally)) ||
	    !section_ok(lr, h->events_off, lr->events_in_file, sizeof(struct tally_event)))
		return fail(err, errsz, path, "corrupt tally log (a section lies outside the file)");
	return 0;
}

int logread_open(struct logread *lr, const char *path, char *err, size_t errsz)
{
	struct stat st;
	int fd;

	memset(lr, 0, sizeof(*lr));
	snprintf(lr->path, sizeof(lr->path), "%s", path);
	/* O_NONBLOCK: a FIFO given by mistake must not block the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errsz, path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		close(fd);
		return fail(err, errsz, path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return fail(err, errsz, path, "is a directory, not a tally log");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errsz, path, "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return fail(err, errsz, path, "empty file, not a tally log");
	}
	if ((uint64_t)st.st_size < TALLY_PAGE) {
		/* Too short for a header: a log cut short, or no log at all. */
		char magic[8];
		bool ours = pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
		            memcmp(magic, TALLY_MAGIC, sizeof(magic)) == 0;
		close(fd);
		return fail(err, errsz, path, ours ? "truncated tally log (shorter than a header)"
		                                   : "not a tally log (bad magic)");
	}
	lr->size = (size_t)st.st_size;
	lr->base = mmap(NULL, lr->size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (lr->base == MAP_FAILED) {
		lr->base = NULL;
		return fail(err, errsz, path, strerror(errno));
	}
	memcpy(&lr->hdr, lr->base, sizeof(lr->hdr));
	if (check_header(lr, err, errsz, path) != 0) {
		logread_close(lr);
		return -1;
	}
	const struct tally_header *h = &lr->hdr;
	lr->modules = (const void *)(lr->base + h->modules_off);
	lr->stacks = (const void *)(lr->base + h->stacks_off);
	lr->frames = (const void *)(lr->base + h->frames_off);
	lr->state = (const void *)(lr->base + h->state_off);
	lr->rules = (const void *)(lr->base + h->rules_off);
	lr->types = (const void *)(lr->base + h->types_off);
	lr->objkeys = (const void *)(lr->base + h->objkeys_off);
	lr->objects = (const void *)(lr->base + h->objects_off);
	lr->spill = (const void *)(lr->base + h->spill_off);
	lr->tallies = (const void *)(lr->base + h->tallies_off);
	lr->events = (const void *)(lr->base + h->events_off);
	uint64_t written = h->events_claimed < h->max_events ? h->events_claimed : h->max_events;
	lr->events_readable = written < lr->events_in_file ? written : lr->events_in_file;
	lr->events_cut = written - lr->events_readable;
	return 0;
}

bool logread_tally(const struct logread *lr, uint32_t i, struct tally_tally *out)
{
	const struct tally_tally *t;

	if (i >= lr->hdr.max_tallies)
		return false;
	t = &lr->tallies[i];
	/* count is added last (release): seen non-zero, the key and first_ns
	 * before it are written. */
	out->count = __atomic_load_n(&t->count, __ATOMIC_ACQUIRE);
	out->key = __atomic_load_n(&t->key, __ATOMIC_RELAXED);
	out->first_ns = __atomic_load_n(&t->first_ns, __ATOMIC_RELAXED);
	out->last_ns = __atomic_load_n(&t->last_ns, __ATOMIC_RELAXED);
	return out->count != 0 && (out->key >> 63) != 0;
}

void logread_close(struct logread *lr)
{
	if (lr->base)
		munmap((void *)lr->base, lr->size);
	lr->base = NULL;
}

bool logread_event(const struct logread *lr, uint64_t seq, struct tally_event *out)
{
	if (seq >= lr->events_readable)
		return false;
	const struct tally_event *ev = &lr->events[seq];
	uint32_t check = __atomic_load_n(&ev->check, __ATOMIC_ACQUIRE);
	if (check == 0)
		return false;
	memcpy(out, ev, sizeof(*out));
	return out->check == tally_event_check(out, seq) && out->kind > 0 &&
	       out->kind < TALLY_EV_KIND_MAX;
}

const struct tally_stack *logread_stack(const struct logread *lr, uint32_t id,
                                        const uint64_t **frames)
{
	if (id == TALLY_STACK_NONE || id > lr->hdr.max_stacks)
		return NULL;
	const struct tally_stack *st = &lr->stacks[id - 1];
	if (!__atomic_load_n(&st->committed, __ATOMIC_ACQUIRE))
		return NULL;
	if (st->depth == 0 || st->depth > TALLY_DEPTH_MAX ||
	    (uint64_t)st->frames_index + st->depth > lr->hdr.max_frames)
		return NULL;
	if (st->hash != tally_stack_hash(st->generation, &lr->frames[st->frames_index], st->depth))
		return NULL;
	*frames = &lr->frames[st->frames_index];
	return st;
}

bool logread_slot(const struct logread *lr, uint32_t fd, struct tally_fd_slot *out)
{
	if (fd >= lr->hdr.max_fds)
		return false;
	const struct tally_fd_slot *s = &lr->state[fd];
	/* The writer clears serial before changing a slot and sets it after:
	 * equal non-zero serials around the copy mean the copy is whole. */
	for (int tries = 0; tries < 100; tries++) {
		uint64_t before = __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE);
		if (!before)
			return false;
		memcpy(out, s, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->serial, __ATOMIC_RELAXED) == before) {
			out->serial = before;
			return true;
		}
	}
	return false;
}

bool logread_process_running(const struct logread *lr)
{
	const struct tally_header *live = (const void *)lr->base;
	uint32_t state = __atomic_load_n(&live->exit_state, __ATOMIC_ACQUIRE);

	if (state != TALLY_RUNNING)
		return false;
	uint64_t ticks = procinfo_start_ticks_of(lr->hdr.pid);
	return ticks != 0 && ticks == lr->hdr.proc_start_ticks;
}

int64_t logread_wall_ns(const struct logread *lr, int64_t mono_ns)
{
	return lr->hdr.start_wall_ns + (mono_ns - lr->hdr.start_mono_ns);
}
