/*
 * depot — the stack table: each distinct call stack stored once in the log
 * and named by a small id (after Linux's lib/stackdepot.c).
 *
 * Lock-free and allocation-free: entries and frames are claimed with an
 * atomic add, a bucket is published with a compare-and-swap after the entry
 * is complete, so concurrent writers and a live reader never see a partial
 * stack.  When the table or the frame pool is full, TALLY_STACK_LOST is
 * returned and the loss counted; the caller's event is still recorded.
 */
#ifndef TALLY_DEPOT_H
#define TALLY_DEPOT_H

#include <stdint.h>

#include "logfile.h"

/* The id of an already stored stack, or 0.  Never writes. */
uint32_t depot_find(struct tally_log *log, uint32_t generation,
                    const uint64_t *frames, unsigned depth);

/* Returns the id of the stack (frames[0..depth), innermost first, captured
 * at module generation `generation`), storing it if new. */
uint32_t depot_intern(struct tally_log *log, uint32_t generation,
                      const uint64_t *frames, unsigned depth);

/* The entry for id, or NULL for the special ids and out-of-range ids. */
struct tally_stack *depot_entry(struct tally_log *log, uint32_t id);

#endif
