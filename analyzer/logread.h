/*
 * logread — opens a tally log read-only, checks that it is one, and hands
 * out consistent copies of its records, also while the process still
 * writes it.
 *
 * Nothing in the file is trusted before it is checked: magic, version,
 * header size, and that every section lies inside the file.  A record that
 * fails its check word (torn by a crash, still being written, or damaged)
 * is skipped and counted, never interpreted.
 */
#ifndef TALLY_LOGREAD_H
#define TALLY_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tally/format.h"

struct logread {
	const uint8_t *base;
	size_t size;
	struct tally_header hdr;       /* a copy taken at open */
	const struct tally_module *modules;
	const struct tally_stack *stacks;
	const uint64_t *frames;
	const struct tally_fd_slot *state;
	const struct tally_rule *rules;      /* [hdr.max_rules], used: rules_used */
	const struct tally_type *types;      /* [hdr.max_types], used: types_used */
	const uint64_t *objkeys;             /* [hdr.max_objects] */
	const struct tally_object *objects;  /* [hdr.max_objects] */
	const struct tally_spill *spill;     /* [hdr.max_spill] (may be 0 long) */
	const struct tally_tally *tallies;   /* [hdr.max_tallies] */
	const struct tally_event *events;
	uint64_t events_readable;      /* min(events_claimed, max_events,
	                                * events_in_file) */
	uint64_t events_in_file;       /* event slots the file holds: fewer than
	                                * max_events when it was cut short */
	uint64_t events_cut;           /* events written but cut off the file */
	char path[4096];
};

/* Maps and validates `path`.  On failure returns -1 and writes one line
 * (no newline) saying what is wrong into err. */
int logread_open(struct logread *lr, const char *path, char *err, size_t errsz);
void logread_close(struct logread *lr);

/* Copies event `seq` into out if its check word is valid. */
bool logread_event(const struct logread *lr, uint64_t seq, struct tally_event *out);

/* The committed stack `id` (frames innermost first), or NULL. */
const struct tally_stack *logread_stack(const struct logread *lr, uint32_t id,
                                        const uint64_t **frames);

/* A copy of tallies entry i if it is in use (key set, counted at least
 * once). */
bool logread_tally(const struct logread *lr, uint32_t i, struct tally_tally *out);

/* A consistent copy of fd's slot if it holds an open socket. */
bool logread_slot(const struct logread *lr, uint32_t fd, struct tally_fd_slot *out);

/* Whether the process that wrote the log is still this process, alive. */
bool logread_process_running(const struct logread *lr);

/* Monotonic timestamp of the log to wall-clock nanoseconds. */
int64_t logread_wall_ns(const struct logread *lr, int64_t mono_ns);

#endif
