/*
 * logfile — the mapped log: its layout, its creation, and the typed view of
 * its sections that the recorder writes through.
 *
 * The file is created O_EXCL|O_NOFOLLOW with mode 0600, fully allocated
 * (so a full /dev/shm can never SIGBUS the program on a later write),
 * mapped MAP_SHARED and its fd closed again at once: the shim holds no fd
 * the program could see, close or reuse.
 */
#ifndef TALLY_LOGFILE_H
#define TALLY_LOGFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tally/format.h"
#include "settings.h"

/* The code of a booked reference call, which a relay runs per packet from a
 * thread that wakes with cold caches and TLBs: placed together in
 * .text.hot (with the trampoline), it spans one or two pages instead of
 * five. */
#define SHIM_HOT __attribute__((hot))

/* Typed pointers into one mapped log.  All point into `base`. */
struct tally_log {
	void *base;
	size_t size;
	struct tally_header *hdr;
	struct tally_module *modules;
	struct tally_stack *stacks;
	uint32_t *index;
	uint64_t *frames;
	struct tally_fd_slot *state;
	struct tally_rule *rules;
	struct tally_type *types;
	uint64_t *objkeys;
	struct tally_object *objects;
	struct tally_tally *tallies;
	struct tally_spill *spill;
	struct tally_event *events;
	char path[TALLY_PATH_MAX];
	dev_t dev;                     /* the file's, to remove it by path safely */
	ino_t ino;
	int closing_ranges;            /* close_range calls under way */
	int64_t last_close_ns;         /* books: the latest close time given (claim lock) */
};

/* Fills the settings and section offsets of `hdr` for `s`.  When the tables
 * leave fewer than 1024 events, the file grows to hold 1024.  Returns the
 * file size to allocate. */
uint64_t log_layout(const struct tally_settings *s, struct tally_header *hdr);

/* Points the view's section pointers at `base` as laid out in base's header. */
void log_view(struct tally_log *log, void *base, size_t size);

/* Expands %p (pid), %e (executable base name) and %% in `pattern`.
 * Returns 0, or -ENAMETOOLONG. */
int log_expand_path(const char *pattern, pid_t pid, const char *exe, char *out, size_t outsz);

/* Creates, allocates and maps a new log named after `pattern`; never
 * truncates or follows an existing file: on a clash, ".N" is appended.
 * Writes the header's identity and layout.  Returns 0 or -errno. */
int log_create(struct tally_log *log, const struct tally_settings *s, const char *pattern);

/* Child side of fork: creates a log of its own for the child with the
 * parent's module, stack and state tables (open sockets marked inherited)
 * and an empty event area, then drops the mapping of the parent's log.
 * Returns 0 or -errno; on failure `log` is left unmapped (inactive).
 *
 * `interrupted`: the fork came from a signal handler that interrupted the
 * shim's own work on this thread, which goes on in the child with pointers
 * into the parent's log.  Then the parent's range is not unmapped but made
 * to show the child's log (a private copy of itself when the child has
 * none: on failure `log` keeps pointing there), so that work finishes in
 * the child's books.  Half of it may have been done in the parent's: every
 * type counts one event lost inside the shim, so none of its violations is
 * certain in this child (no false abort). */
int log_fork_child(struct tally_log *log, const struct tally_settings *s, int interrupted);

/* At the exit of a forked child whose log records nothing of its own
 * (tally_log_records_nothing), when it runs one thread and the path is
 * still that file: removes the file, which stays mapped (a later
 * destructor's event goes nowhere).  A process forking helpers for
 * weeks would otherwise leave a log of ~26 MiB per helper in /dev/shm.
 * Returns 1 when removed. */
int log_drop_if_idle_child(struct tally_log *log);

/* Unmaps.  Used by tests and when creation fails half way. */
void log_unmap(struct tally_log *log);

#endif
