/*
 * owners — references held by live owners.  A reference to object X taken
 * inside the creation call of another object Y that is still alive is
 * Y's to give back, not a leak of X: g_main_loop_new references its
 * GMainContext, gst_buffer_new_allocate creates the buffer's GstMemory.
 * Such a reference shows in X's books as a cell whose call stack passes
 * through the call that created Y (Y's creation stack, with frames of the
 * creating function inside it).
 *
 * An owner is a creation site of live objects; the match is on frames
 * (module + offset), so it holds for every object made at that site.
 */
#ifndef TALLY_OWNERS_H
#define TALLY_OWNERS_H

#include <stdbool.h>
#include <stdint.h>

#include "balance.h"

/* A creation site of live objects that may own references. */
struct owner_site {
	uint16_t type;                 /* the owners' type (log type index) */
	uint32_t stack_id;             /* their creation stack */
	unsigned alive;                /* live or kept objects made there */
};

struct owners;

/* `depth` is the log's stack depth: a stack of that many frames may have
 * lost its outermost ones. */
struct owners *owners_new(unsigned depth);
void owners_free(struct owners *o);

/* Adds one live object of `type` created at `stack_id`, whose frames are
 * f[0..n) outermost first.  Returns the site (the same for every object of
 * one creation stack). */
struct owner_site *owners_add(struct owners *o, uint16_t type, uint32_t stack_id,
                              const struct bal_frame *f, unsigned n);

/* The site of live objects whose creation call the stack f[0..n)
 * (outermost first) was made inside, other than the object's own creation
 * site self[0..nself) (its references inside its own creation are its
 * own; compared by frames, as one site can have several stack ids);
 * NULL when none. */
const struct owner_site *owners_find(const struct owners *o, const struct bal_frame *f,
                                     unsigned n, const struct bal_frame *self, unsigned nself);

#endif
