/*
 * books — per-object reference books in the log (format.h, "reference-count
 * books").
 *
 * Every live object has a slot: its type, where it was created, and per
 * call stack the net references taken there (ten cells, then an unstacked
 * remainder).  A slot is found by scanning the TALLY_OBJ_WINDOW keys from
 * the address's hash, so a lookup reads two cache lines of keys.
 *
 * Concurrency: counts change with atomic operations on a live slot, with no
 * lock, from any number of threads.  Opening and closing a slot (rare: once
 * per object) take the header's claim lock, a spin lock held for a few
 * hundred nanoseconds; a thread that already holds it (a signal handler
 * that interrupted it) does not wait but books nothing and counts the event
 * as nested.  Memory: 136 bytes per object slot (key + books), bounded by
 * TALLY_MAX_OBJECTS, plus the shared stack depot.
 */
#ifndef TALLY_BOOKS_H
#define TALLY_BOOKS_H

#include <stdint.h>

#include "logfile.h"

/* One reference-function call, as the books see it. */
struct book_op {
	uint64_t addr;         /* the object */
	uint8_t role;          /* enum tally_role */
	uint8_t floating;      /* SINK: the object was floating before the call */
	uint16_t type;         /* the rule's type: used when the object is new to the books */
	int32_t refs;          /* NEW: references the object starts with */
	uint32_t stack;        /* stack id of the call */
	uint32_t tid;
	int64_t now_ns;        /* the call's time; 0: not read, books_time() reads
	                        * the tick when the books open or close */
	uint64_t serial;       /* sequence of the call's event + 1; 0: none taken */
	uint64_t call_seq;     /* NEW: events_claimed when the call began, to
	                        * tell a creation already booked by a nested
	                        * creator on this thread */
};

struct book_result {
	int32_t net;           /* the object's net after the call */
	uint32_t detail;       /* enum tally_obj_detail */
	uint16_t type;         /* the object's type (its own when it has books) */
	uint8_t violation;     /* enum tally_violation, or 0 */
	uint8_t certain;       /* the violation is certain: the type's books
	                        * are complete */
	uint64_t released;     /* DEC that released the object (CLOSED): its
	                        * serial, for books_release_returned; else 0 */
	uint32_t slot;         /* books_apply_usual: the object's slot */
};

/* Applies `op` to the books of `log`.  Never blocks for long, never
 * allocates, never makes a syscall except sched_yield under contention. */
void books_apply(struct tally_log *log, const struct book_op *op, struct book_result *res);

/* The same as books_apply for the usual booked call, in fewer steps: an
 * increment or a decrement (role INC or DEC) at `stack` by thread `tid` at
 * `now_ns` (0: not read, as book_op.now_ns) of a live object at `addr`
 * where that stack already has its own cell, which
 * does not bring the net to 0 as far as can be told before.  Returns 1
 * when it booked, with nothing to report: res->net, res->type and
 * res->slot are set,
 * the rest is as if 0 (detail TALLY_OBJD_BOOKED).  Returns 2 when it
 * booked and another thread's decrement brought the net to 0 meanwhile:
 * res is set as books_apply sets it.  Returns 0 when it changed nothing:
 * then books_apply. */
int books_apply_usual(struct tally_log *log, uint64_t addr, uint8_t role, uint32_t stack,
                      uint32_t tid, int64_t now_ns, struct book_result *res);

/* A decrement whose booking released the object of serial `released`
 * (book_result.released, before the real call) has returned, or will
 * never (a longjmp left it).  While any such decrement of an object is
 * under way, a reference to it brings its books back (GObject's dispose,
 * or g_weak_ref_get on another thread, may take one legitimately); after
 * the last has returned, a reference is one after release. */
void books_release_returned(struct tally_log *log, uint64_t released, uint32_t tid);

/* A creation of `type` (a NEW rule's call) begins, and ends when it has
 * returned and been booked (or left by a longjmp).  While one is under way,
 * no violation of that type is certain: another thread may already drop a
 * reference to the new object, whose books do not exist yet.  `shared`:
 * the object is born with references for others too (`new(N)`, N >= 2: a
 * GThread's own, which the new thread drops when it ends). */
void books_creation_begins(uint16_t type, int shared);
void books_creation_ends(uint16_t type, int shared);

/* Before a reference call on `addr` of `type` that the books do not know
 * (no live books there) is booked: while another thread's shared creation
 * of that type is under way, the object may be the one it makes, whose
 * owner drops its reference before the creator's call has returned and
 * been booked.  Waits until the books know addr, or no such creation by
 * another thread is under way (`own`: this thread's shared creations of
 * the type under way, which it interrupted), at most BOOKS_BIRTH_WAIT_MS.
 * Without the wait, that drop is a decrement of an unknown object and the
 * books keep one reference too many: a correct program's thread counted
 * as leaked.  A wait that times out (a creation that never returns, an
 * exception out of it) ends the waits for the type for good.  Returns 1
 * when it waited. */
#define BOOKS_BIRTH_WAIT_MS 20
int books_await_birth(const struct tally_log *log, uint64_t addr, uint16_t type, int own);

/* One more blind spot of `type` (counted as an event lost inside the
 * shim): a call booked without all that makes its books certain. */
void books_blind_spot(struct tally_log *log, uint16_t type);

/* Whether the books of `type` have been complete so far: every object's
 * creation and every decrement seen, nothing lost. */
int books_type_complete(const struct tally_log *log, uint16_t type);

/* The slot holding `addr` (live or released), or -1.  For tests and the
 * SINK hook. */
int books_find(const struct tally_log *log, uint64_t addr);

/* In a fork child: the parent's decrements under way are not the
 * child's.  (The child's log starts with its claim lock free: the
 * parent's, shared with it, must not be touched.) */
void books_fork_child(void);

/* This thread's work on the books was abandoned (a signal handler jumped
 * out of it, ref_calls_longjmp): the claim lock, if this thread holds it,
 * is freed (else every other thread's next opening or closing of books
 * would wait for good), and the books it may have left half-changed are
 * a blind spot of every type: no violation is certain from now on. */
void books_abandoned(struct tally_log *log, uint32_t tid);

/* Frees the claim lock and forgets the decrements under way: for tests. */
void books_reset_lock(struct tally_log *log);

#endif
