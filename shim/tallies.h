/*
 * tallies — counts of failed calls, closes of fds that were not open,
 * sockets closed unseen and enforcement violations, per (event kind,
 * detail, stack), in the log's fixed tallies table (format.h).  Exact
 * whatever happens to the event area: the report of a weeks-long run still
 * shows every bind that failed, and where.
 *
 * Lock-free: an entry is claimed once by a compare-and-swap of its key and
 * counted with an atomic add.  No malloc, lock or syscall.
 */
#ifndef TALLY_TALLIES_H
#define TALLY_TALLIES_H

#include <stdint.h>

#include "logfile.h"

/* Counts one occurrence.  A table with no free entry within the key's
 * window counts it in hdr->tallies_lost instead. */
void tallies_add(struct tally_log *log, uint16_t kind, uint16_t detail, uint32_t stack,
                 int64_t now_ns);

/* Whether a failed call of `kind` is tallied: the socket calls and close. */
static inline int tallies_wanted(uint16_t kind)
{
	return kind >= TALLY_EV_SOCKET && kind <= TALLY_EV_CLOSE;
}

#endif
