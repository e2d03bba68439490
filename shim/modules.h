/*
 * modules — keeps the log's module table equal to the set of ELF objects
 * mapped in the process, so the analyzer can symbolize offline.
 *
 * Entries are appended and never reused; each carries the generation range
 * in which it was mapped, and every stack records the generation it was
 * captured in.  A rescan runs at start-up and after each dlopen/dlclose,
 * under a mutex (never on the recording path).
 */
#ifndef TALLY_MODULES_H
#define TALLY_MODULES_H

#include "logfile.h"

/* Brings the table up to date with dl_iterate_phdr().  Bumps the header's
 * module_generation when something appeared or disappeared.  Returns 1 when
 * the table changed. */
int modules_rescan(struct tally_log *log);

/* As modules_rescan, but gives up at once when another thread is
 * rescanning (safe from any context, e.g. inside a dl_iterate_phdr
 * callback).  Returns 1 when the table changed. */
int modules_try_rescan(struct tally_log *log);

/* True when every frame lies in a module the table holds as loaded. */
int modules_cover(struct tally_log *log, const uint64_t *frames, unsigned n);

/* One loaded object as the table records it (not yet committed): bias,
 * PT_LOAD range, build-id, path (/proc/self/exe for the main program). */
struct dl_phdr_info;
void modules_describe(struct dl_phdr_info *info, struct tally_module *m);

/* Parses an NT_GNU_BUILD_ID note out of a PT_NOTE segment in memory.
 * Returns its length (0 when absent). */
unsigned modules_build_id(const void *note, size_t size, uint8_t *out, unsigned max);

/* fork support: the mutex must not be held across fork. */
void modules_lock(void);
/* Takes the lock unless this thread holds it already (a fork from a signal
 * handler that interrupted a rescan); returns 1 when it took it. */
int modules_lock_unless_held(void);
void modules_unlock(void);
/* In a fork child: a fresh rescan lock, held again only when the forking
 * thread was inside a rescan (a fork from a signal handler), not when the
 * fork's own prepare handler took it (`fork_took_it`). */
void modules_reset_lock_in_child(int fork_took_it);

#endif
