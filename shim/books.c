/*
 * books — the per-object reference books.  See books.h for the contract
 * and docs/DESIGN.md ("Reference books") for why they look like this.
 */
#include "clockns.h"
#include "books.h"
#include "settings.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#define A_RELAXED __ATOMIC_RELAXED
#define A_ACQUIRE __ATOMIC_ACQUIRE
#define A_RELEASE __ATOMIC_RELEASE
#define A_SEQ_CST __ATOMIC_SEQ_CST

static inline uint32_t slot_at(const struct tally_log *log, uint64_t addr, uint32_t i)
{
	return (tally_object_hash(addr, log->hdr->max_objects) + i) & (log->hdr->max_objects - 1);
}

SHIM_HOT int books_find(const struct tally_log *log, uint64_t addr)
{
	for (uint32_t i = 0; i < TALLY_OBJ_WINDOW && i < log->hdr->max_objects; i++) {
		uint32_t s = slot_at(log, addr, i);
		if (__atomic_load_n(&log->objkeys[s], A_ACQUIRE) != addr)
			continue;
		uint8_t st = __atomic_load_n(&log->objects[s].state, A_ACQUIRE);
		if (st == TALLY_OBJ_LIVE || st == TALLY_OBJ_RELEASED)
			return (int)s;
	}
	return -1;
}

/* Decrements under way that released an object, per object: process-
 * local, changed under the claim lock.  An object's TALLY_OBJF_RELEASING
 * is set while its count is not 0.
 *
 * A release the table does not count leaves the mark set for good: a
 * reference after it then goes unreported, never reported wrongly.  That
 * happens when the table is full (it then forgets its oldest entry, whose
 * object stays marked: entries of calls that never return, a thread that
 * ended inside dispose, a coroutine that switched away inside one, must
 * not keep every later release from being counted), and to every release
 * of an object already marked without an entry: counting that one would
 * clear the mark while the uncounted one still runs. */
#define RELEASES_MAX 256

static struct {
	uint64_t serial;               /* 0: unused */
	uint64_t began;                /* release_clock when counted first */
	uint32_t slot;
	uint32_t count;
} releases[RELEASES_MAX];
static uint64_t release_clock;
/* Creations under way per type, and those of them born shared, and the
 * types whose wait for one timed out: see books_creation_begins and
 * books_await_birth. */
static int creating[TALLY_MAX_TYPES];
static int creating_shared[TALLY_MAX_TYPES];
static uint8_t birth_wait_failed[TALLY_MAX_TYPES];

void books_fork_child(void)
{
	memset(releases, 0, sizeof(releases));
	memset(creating, 0, sizeof(creating));
	memset(creating_shared, 0, sizeof(creating_shared));
	memset(birth_wait_failed, 0, sizeof(birth_wait_failed));
}

void books_reset_lock(struct tally_log *log)
{
	if (log->hdr)
		__atomic_store_n(&log->hdr->object_lock, 0, A_RELEASE);
	books_fork_child();
}

/* Counts one more decrement under way releasing slot s (claim lock held).
 * Returns 0 when it is not counted (above). */
static int release_begins(const struct tally_log *log, int s)
{
	const struct tally_object *o = &log->objects[s];
	int empty = -1, oldest = 0;

	for (int i = 0; i < RELEASES_MAX; i++) {
		if (releases[i].serial == o->serial && releases[i].slot == (uint32_t)s) {
			releases[i].count++;
			return 1;
		}
		if (empty < 0 && releases[i].serial == 0)
			empty = i;
		if (releases[i].began < releases[oldest].began)
			oldest = i;
	}
	if (o->flags & TALLY_OBJF_RELEASING)
		return 0;   /* an uncounted release of it is under way */
	for (int i = 0; empty < 0 && i < RELEASES_MAX; i++) {
		/* left by a call that never returned, its object gone since */
		uint32_t t = releases[i].slot;
		if (t >= log->hdr->max_objects || log->objects[t].serial != releases[i].serial)
			empty = i;
	}
	if (empty < 0)
		empty = oldest;   /* forgotten: its object stays marked */
	releases[empty].serial = o->serial;
	releases[empty].began = ++release_clock;
	releases[empty].slot = (uint32_t)s;
	releases[empty].count = 1;
	return 1;
}

/* ---- the claim lock -------------------------------------------------------- */

/* Returns 1 when taken, 0 when this thread already holds it (re-entered
 * from a signal handler): the caller then books nothing. */
static int claim_lock(struct tally_log *log, uint32_t tid)
{
	uint32_t *lock = &log->hdr->object_lock;

	for (unsigned spins = 0;; spins++) {
		uint32_t free_ = 0;
		if (__atomic_compare_exchange_n(lock, &free_, tid, 0, A_ACQUIRE, A_RELAXED))
			return 1;
		if (free_ == tid)
			return 0;
		if (spins > 64)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
}

static void claim_unlock(struct tally_log *log)
{
	__atomic_store_n(&log->hdr->object_lock, 0, A_RELEASE);
}

void books_abandoned(struct tally_log *log, uint32_t tid)
{
	uint32_t mine = tid;

	if (!log->hdr || !tid ||
	    !__atomic_compare_exchange_n(&log->hdr->object_lock, &mine, 0, 0, A_RELEASE,
	                                 A_RELAXED))
		return;
	for (uint32_t t = 0; t < log->hdr->types_used && t < log->hdr->max_types; t++)
		__atomic_fetch_add(&log->types[t].nested, 1, A_RELAXED);
}

/* ---- counters -------------------------------------------------------------- */

static inline void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, A_RELAXED);
}

void books_blind_spot(struct tally_log *log, uint16_t type)
{
	if (log->hdr && type < log->hdr->types_used && type < log->hdr->max_types)
		count(&log->types[type].nested);
}

static struct tally_type *type_of(const struct tally_log *log, uint16_t type)
{
	return type < log->hdr->max_types ? &log->types[type] : &log->types[0];
}

static void count_stack(const struct tally_log *log, uint32_t stack, int closed)
{
	if (stack == 0 || stack > log->hdr->max_stacks)
		return;
	count(closed ? &log->stacks[stack - 1].obj_closed : &log->stacks[stack - 1].obj_created);
}

int books_type_complete(const struct tally_log *log, uint16_t type)
{
	const struct tally_type *t = type_of(log, type);

	return !(t->flags & (TALLY_TYPEF_RESURRECTS | TALLY_TYPEF_GOT_ONLY | TALLY_TYPEF_UNSEEN_NEW)) &&
	       !__atomic_load_n(&t->first_seen_inc, A_RELAXED) &&
	       !__atomic_load_n(&t->dec_unknown, A_RELAXED) &&
	       !__atomic_load_n(&t->untracked, A_RELAXED) &&
	       !__atomic_load_n(&t->unstacked, A_RELAXED) &&
	       !__atomic_load_n(&t->nested, A_RELAXED);
}

/* ---- cells ----------------------------------------------------------------- */

/* Adds `delta` to cell i if it is the stack's.  No lock: the cell may be
 * given to another stack meanwhile (claim_cell), hence the compare-and-
 * swap.  Returns 0 when it is not (or no longer) the stack's. */
static inline int add_to_cell(struct tally_object *o, unsigned i, uint32_t stack, int32_t delta)
{
	uint64_t c = __atomic_load_n(&o->cells[i], A_RELAXED);

	while (TALLY_CELL_STACK(c) == stack) {
		uint64_t want = TALLY_CELL(stack, TALLY_CELL_NET(c) + delta);
		/* On failure c is the cell's new value: the same stack with
		 * another net (try again), or another stack's now. */
		if (__atomic_compare_exchange_n(&o->cells[i], &c, want, 0, A_RELAXED, A_RELAXED))
			return 1;
	}
	return 0;
}

/* Adds `delta` to the stack's own cell, if the object has one.  No lock:
 * the usual case, a stack that booked on this object before. */
static SHIM_HOT int add_to_own_cell(struct tally_object *o, uint32_t stack, int32_t delta)
{
	for (unsigned i = 0; i < TALLY_OBJ_CELLS; i++)
		if (add_to_cell(o, i, stack, delta))
			return 1;
	return 0;
}

/* Gives the stack a cell, under the claim lock: an empty one, else one
 * whose net is back to 0 (its stack gave back all it took).  Claims are
 * serialized and each looks for the stack's own cell again first, so a
 * stack never has two cells, whatever the threads booking it at once (a
 * lock-free claim left a rare three-way race: a thread that read a cell
 * before another claimed it for the same stack took a second one).  Adders
 * to existing cells take no lock, hence the compare-and-swap here too.
 * Returns 0 when no cell is free. */
static int claim_cell(struct tally_object *o, uint32_t stack, int32_t delta)
{
	if (add_to_own_cell(o, stack, delta))
		return 1;
	for (int pass = 1; pass <= 2; pass++) {
		for (unsigned i = 0; i < TALLY_OBJ_CELLS; i++) {
			uint64_t c = __atomic_load_n(&o->cells[i], A_RELAXED);
			while ((pass == 1 && c == 0) ||
			       (pass == 2 && TALLY_CELL_NET(c) == 0 && TALLY_CELL_STACK(c) != 0)) {
				if (__atomic_compare_exchange_n(&o->cells[i], &c,
				                                TALLY_CELL(stack, delta), 0,
				                                A_RELAXED, A_RELAXED))
					return 1;
			}
		}
	}
	return 0;
}

/* ---- spilled cells (under the claim lock) -------------------------------- */

/* Whether spill entry e holds a cell of a live object: else it is free. */
static int spill_in_use(const struct tally_log *log, const struct tally_spill *e)
{
	if (!e->serial || e->slot >= log->hdr->max_objects)
		return 0;
	const struct tally_object *o = &log->objects[e->slot];
	uint8_t st = __atomic_load_n(&o->state, A_ACQUIRE);
	/* Released by a decrement still under way: it may come back. */
	return o->serial == e->serial &&
	       (st == TALLY_OBJ_LIVE || (st == TALLY_OBJ_RELEASED && (o->flags & TALLY_OBJF_RELEASING)));
}

/* Adds `delta` at `stack` to the spilled cell of object slot s, taking one
 * when `claim` and it has none: a free entry, else one whose net is back
 * to 0 (as claim_cell does with the object's own).  Returns 0 when it has
 * none (and, with `claim`, none is free in the window). */
static int spill_add(struct tally_log *log, int s, uint32_t stack, int32_t delta, int claim)
{
	const struct tally_object *o = &log->objects[s];
	uint32_t max = log->hdr->max_spill;
	struct tally_spill *take = NULL;

	if (!max || !log->spill)
		return 0;
	uint32_t h = tally_spill_hash(o->serial, stack, max);
	for (uint32_t i = 0; i < TALLY_SPILL_WINDOW && i < max; i++) {
		struct tally_spill *e = &log->spill[(h + i) & (max - 1)];
		int used = spill_in_use(log, e);
		if (used && e->serial == o->serial && e->slot == (uint32_t)s &&
		    TALLY_CELL_STACK(e->cell) == stack) {
			__atomic_store_n(&e->cell, TALLY_CELL(stack, TALLY_CELL_NET(e->cell) + delta),
			                 A_RELAXED);
			return 1;
		}
		if (!take && (!used || TALLY_CELL_NET(e->cell) == 0))
			take = e;
	}
	if (!claim || !take)
		return 0;
	/* The serial last: a reader that finds it finds the rest. */
	__atomic_store_n(&take->serial, 0, A_RELEASE);
	take->slot = (uint32_t)s;
	__atomic_store_n(&take->cell, TALLY_CELL(stack, delta), A_RELAXED);
	__atomic_store_n(&take->serial, o->serial, A_RELEASE);
	return 1;
}

/* Adds `delta` references at `stack` to the object's cells: the stack's own
 * cell (in the object, else spilled), else a new one (in the object, else
 * spilled), else the unstacked remainder. */
static SHIM_HOT void book_cell(struct tally_log *log, struct tally_object *o, uint32_t stack,
                               int32_t delta, uint32_t tid)
{
	if (add_to_own_cell(o, stack, delta))
		return;
	int locked = claim_lock(log, tid);
	/* Not locked: re-entered from a signal handler that interrupted this
	 * thread while it held the claim lock; the reference goes unstacked,
	 * counted below. */
	int s = (int)(o - log->objects);
	int booked = 0;
	if (locked) {
		booked = add_to_own_cell(o, stack, delta) ||
		         ((o->flags & TALLY_OBJF_SPILLED) && spill_add(log, s, stack, delta, 0)) ||
		         claim_cell(o, stack, delta);
		if (!booked && spill_add(log, s, stack, delta, 1)) {
			__atomic_fetch_or(&o->flags, TALLY_OBJF_SPILLED, A_RELAXED);
			booked = 1;
		}
		claim_unlock(log);
	}
	if (booked)
		return;
	__atomic_fetch_add(&o->unstacked, delta, A_RELAXED);
	count(&type_of(log, o->type)->unstacked);
}

/* ---- open and close (under the claim lock) ------------------------------- */

/* The call's time: the caller's, else the tick, read only now.  An increment
 * or a decrement that neither opens nor closes books needs no time when no
 * event is written (the event area is full): the clock read, a cold line
 * of the vDSO's data page, is left out of the usual case (BENCH.md §7). */
static int64_t books_time(const struct book_op *op)
{
	return op->now_ns ? op->now_ns : clock_ns(CLOCK_MONOTONIC_COARSE);
}

/* Picks the slot for a new object at `addr`: an empty one in the window,
 * else the one released longest ago, one still being released (it may
 * come back) only when there is no other.  -1 when every slot is live. */
static int pick_slot(struct tally_log *log, uint64_t addr)
{
	int best = -1, releasing = -1;
	int64_t oldest = INT64_MAX, oldest_releasing = INT64_MAX;

	for (uint32_t i = 0; i < TALLY_OBJ_WINDOW && i < log->hdr->max_objects; i++) {
		uint32_t s = slot_at(log, addr, i);
		struct tally_object *o = &log->objects[s];
		uint8_t st = __atomic_load_n(&o->state, A_ACQUIRE);

		if (st == TALLY_OBJ_EMPTY)
			return (int)s;
		if (st != TALLY_OBJ_RELEASED)
			continue;
		if (!(o->flags & TALLY_OBJF_RELEASING)) {
			if (o->close_ns < oldest) {
				oldest = o->close_ns;
				best = (int)s;
			}
		} else if (o->close_ns < oldest_releasing) {
			oldest_releasing = o->close_ns;
			releasing = (int)s;
		}
	}
	return best >= 0 ? best : releasing;
}

static void open_slot(struct tally_log *log, int s, const struct book_op *op, uint16_t type,
                      int32_t refs, uint8_t flags)
{
	struct tally_object *o = &log->objects[s];

	__atomic_store_n(&o->state, TALLY_OBJ_OPENING, A_RELEASE);
	__atomic_store_n(&log->objkeys[s], op->addr, A_RELEASE);
	memset(o->cells, 0, sizeof(o->cells));
	/* 0: the call took no sequence number (the event area is full):
	 * one is taken now, once per object, so serials stay unique and
	 * ordered with the calls' (books_apply compares them). */
	o->serial = op->serial ? op->serial
	                       : __atomic_fetch_add(&log->hdr->events_claimed, 1, A_RELAXED) + 1;
	o->time_ns = books_time(op);
	o->create_stack = op->stack;
	o->tid = op->tid;
	o->type = type;
	o->flags = flags;
	o->close_stack = 0;
	o->close_ns = 0;
	o->unstacked = 0;
	o->cells[0] = TALLY_CELL(op->stack, refs);
	__atomic_store_n(&o->net, refs, A_RELAXED);
	__atomic_store_n(&o->state, TALLY_OBJ_LIVE, A_RELEASE);
	__atomic_fetch_add(&log->hdr->objects_live, 1, A_RELAXED);
	count_stack(log, op->stack, 0);
}

/* Closes a live slot.  `released`: keep it as RELEASED (its address then
 * tells a later reference after release), else EMPTY. */
static void close_slot(struct tally_log *log, int s, const struct book_op *op, int released,
                       uint8_t flags)
{
	struct tally_object *o = &log->objects[s];

	o->close_stack = op->stack;
	/* The closing event's time (to the tick for a reference call), made
	 * strictly increasing: pick_slot reuses the slot released longest
	 * ago, which equal times within a tick would hide.  Under the claim
	 * lock, so one process's closes are ordered. */
	int64_t now = books_time(op);
	int64_t t = now > log->last_close_ns ? now : log->last_close_ns + 1;
	log->last_close_ns = t;
	o->close_ns = t;
	__atomic_fetch_or(&o->flags, flags, A_RELAXED);
	__atomic_store_n(&o->state, released ? TALLY_OBJ_RELEASED : TALLY_OBJ_EMPTY, A_RELEASE);
	__atomic_fetch_sub(&log->hdr->objects_live, 1, A_RELAXED);
	count_stack(log, o->create_stack, 1);
}

/* Opens books for op->addr (NEW, or an object first seen by an increment).
 * Returns the slot, or -1 (untracked / nested).  Under the lock it looks
 * again: another thread may have opened the same object meanwhile. */
static int open_books(struct tally_log *log, const struct book_op *op, uint16_t type,
                      int32_t refs, uint8_t flags, struct book_result *res)
{
	if (!claim_lock(log, op->tid)) {
		count(&type_of(log, type)->nested);
		res->detail = TALLY_OBJD_UNTRACKED;
		return -1;
	}
	int s = books_find(log, op->addr);
	if (s >= 0 && log->objects[s].state == TALLY_OBJ_LIVE) {
		if (!(flags & TALLY_OBJF_CREATED)) {
			/* Opened by another thread meanwhile: book on it. */
			claim_unlock(log);
			book_cell(log, &log->objects[s], op->stack, refs, op->tid);
			res->net = __atomic_add_fetch(&log->objects[s].net, refs, A_RELAXED);
			res->type = log->objects[s].type;
			return s;
		}
		/* A new object where books are open: the old one died unseen. */
		count(&type_of(log, log->objects[s].type)->dec_unknown);
		close_slot(log, s, op, 0, 0);
	}
	if (s < 0 || log->objects[s].state != TALLY_OBJ_RELEASED)
		s = pick_slot(log, op->addr);
	if (s < 0) {
		claim_unlock(log);
		count(&type_of(log, type)->untracked);
		__atomic_fetch_add(&log->hdr->objects_untracked, 1, A_RELAXED);
		res->detail = TALLY_OBJD_UNTRACKED;
		return -1;
	}
	open_slot(log, s, op, type, refs, flags);
	claim_unlock(log);
	res->detail = TALLY_OBJD_OPENED;
	res->net = refs;
	res->type = type;
	return s;
}

/* Closes the books of slot s if its net is still `expect_zero_or_free`. */
static void close_books(struct tally_log *log, int s, const struct book_op *op, int freed,
                        struct book_result *res)
{
	struct tally_object *o = &log->objects[s];

	if (!claim_lock(log, op->tid)) {
		count(&type_of(log, o->type)->nested);
		return;
	}
	if (o->state == TALLY_OBJ_LIVE && (freed || __atomic_load_n(&o->net, A_RELAXED) <= 0)) {
		int complete = o->flags & TALLY_OBJF_CREATED;
		struct tally_type *t = type_of(log, o->type);
		/* Only an object whose creation was seen is known to be gone at
		 * 0; one first seen by an increment is back where it started. */
		count(complete || freed ? &t->freed : &t->balanced);
		/* A decrement is booked before the real call: until it returns
		 * (books_release_returned), the object may still be referenced
		 * again (book_increment). */
		int releasing = !freed && op->role == TALLY_ROLE_DEC;
		int counted = releasing && release_begins(log, s);
		close_slot(log, s, op, complete || freed,
		           freed ? TALLY_OBJF_FREED : releasing ? TALLY_OBJF_RELEASING : 0);
		if (counted)
			res->released = o->serial;
		res->detail = TALLY_OBJD_CLOSED;
	}
	claim_unlock(log);
}

enum revive_result {
	REVIVED,        /* the books are back, this reference added */
	LIVE_AGAIN,     /* another thread brought them back first */
	CHANGED,        /* the slot is another object's now, or gone for good */
	LOCK_BUSY,      /* re-entered from a signal handler holding the lock */
};

/* Brings back the books of slot s, released by a decrement still under way
 * (TALLY_OBJF_RELEASING): GObject's dispose may take a reference to its
 * object, g_weak_ref_get on another thread may, and the real count then
 * never reaches 0.  The close is undone (its counts too), the cells kept,
 * and this reference added.  The flag stays until the decrements that set
 * it return: another one may release the object again meanwhile. */
/* Undoes the close of live-again books (claim lock held): its counts, its
 * stack's, and the state. */
static void undo_close(struct tally_log *log, struct tally_object *o)
{
	struct tally_type *t = type_of(log, o->type);

	__atomic_fetch_sub(o->flags & TALLY_OBJF_CREATED ? &t->freed : &t->balanced, 1, A_RELAXED);
	if (o->create_stack && o->create_stack <= log->hdr->max_stacks)
		__atomic_fetch_sub(&log->stacks[o->create_stack - 1].obj_closed, 1, A_RELAXED);
	o->close_stack = 0;
	o->close_ns = 0;
	__atomic_store_n(&o->state, TALLY_OBJ_LIVE, A_RELEASE);
	__atomic_fetch_add(&log->hdr->objects_live, 1, A_RELAXED);
}

/* An increment booked on books it saw live found them at net 0 (its add
 * gave 1): a decrement brought them to 0 meanwhile, and may have closed
 * them between this increment's look at their state and its add.  GLib's
 * g_weak_ref_get racing the last g_object_unref does so legitimately: the
 * reference it takes keeps the object (the unref finds the count raised).
 * Closed by a decrement still under way, the books come back, this
 * increment in them; otherwise (closed for good, or taken by another
 * object) they are left as they are.  Off the usual path. */
static void increment_met_a_close(struct tally_log *log, int s, uint64_t addr, uint32_t tid)
{
	struct tally_object *o = &log->objects[s];

	if (!claim_lock(log, tid))
		return;
	if (__atomic_load_n(&log->objkeys[s], A_RELAXED) == addr && o->state == TALLY_OBJ_RELEASED &&
	    (o->flags & TALLY_OBJF_RELEASING) && __atomic_load_n(&o->net, A_RELAXED) > 0)
		undo_close(log, o);
	claim_unlock(log);
}

static enum revive_result revive_books(struct tally_log *log, int s, const struct book_op *op,
                                       struct book_result *res)
{
	struct tally_object *o = &log->objects[s];

	if (!claim_lock(log, op->tid))
		return LOCK_BUSY;
	if (__atomic_load_n(&log->objkeys[s], A_RELAXED) != op->addr) {
		claim_unlock(log);
		return CHANGED;
	}
	if (o->state == TALLY_OBJ_LIVE) {
		claim_unlock(log);
		return LIVE_AGAIN;
	}
	if (o->state != TALLY_OBJ_RELEASED || !(o->flags & TALLY_OBJF_RELEASING)) {
		claim_unlock(log);
		return CHANGED;
	}
	undo_close(log, o);
	claim_unlock(log);
	/* On what the books held (0, or below after an underflow): the cells
	 * still add up to it. */
	book_cell(log, o, op->stack, 1, op->tid);
	res->net = __atomic_add_fetch(&o->net, 1, A_RELAXED);
	if (res->net == 1)
		increment_met_a_close(log, s, op->addr, op->tid);
	res->type = o->type;
	res->detail = TALLY_OBJD_REVIVED;
	return REVIVED;
}

void books_release_returned(struct tally_log *log, uint64_t released, uint32_t tid)
{
	if (!released || !log->hdr || !claim_lock(log, tid))
		return;
	for (int i = 0; i < RELEASES_MAX; i++) {
		if (releases[i].serial != released || --releases[i].count > 0)
			continue;
		uint32_t s = releases[i].slot;
		releases[i].serial = 0;
		/* Unless the slot is another object's by now. */
		if (s < log->hdr->max_objects && log->objects[s].serial == released)
			__atomic_fetch_and(&log->objects[s].flags, (uint8_t)~TALLY_OBJF_RELEASING,
			                   A_RELAXED);
		break;
	}
	claim_unlock(log);
}

/* ---- the operations ------------------------------------------------------- */

/* Creations under way per type (process-local).  A creation is booked
 * when its call returns, with the address it returns; until then another
 * thread may already use and drop the new object (a GThread that ends at
 * once drops its own reference), and at a reused address its books look
 * like a released object's.  A violation on a type with a creation under
 * way is therefore never certain: a blind spot, not an abort. */
void books_creation_begins(uint16_t type, int shared)
{
	if (type >= TALLY_MAX_TYPES)
		return;
	__atomic_fetch_add(&creating[type], 1, A_RELAXED);
	if (shared)
		__atomic_fetch_add(&creating_shared[type], 1, A_SEQ_CST);
}

/* One less, never below 0: a forked child starts its counts at 0 while
 * a creation its forking thread began goes on and ends in it. */
static void count_down(int *n)
{
	int v = __atomic_load_n(n, A_RELAXED);

	while (v > 0 && !__atomic_compare_exchange_n(n, &v, v - 1, 1, A_SEQ_CST, A_RELAXED))
		;
}

void books_creation_ends(uint16_t type, int shared)
{
	if (type >= TALLY_MAX_TYPES)
		return;
	if (shared)
		count_down(&creating_shared[type]);
	count_down(&creating[type]);
}

static int books_live_at(const struct tally_log *log, uint64_t addr)
{
	int s = books_find(log, addr);

	return s >= 0 && __atomic_load_n(&log->objects[s].state, A_ACQUIRE) == TALLY_OBJ_LIVE;
}

int books_await_birth(const struct tally_log *log, uint64_t addr, uint16_t type, int own)
{
	if (type >= TALLY_MAX_TYPES || __atomic_load_n(&birth_wait_failed[type], A_RELAXED) ||
	    __atomic_load_n(&creating_shared[type], A_SEQ_CST) <= own || books_live_at(log, addr))
		return 0;
	/* The creator is in the last steps of its call (pthread_create has
	 * returned): spin a little, then give way to it. */
	int64_t until = clock_ns(CLOCK_MONOTONIC) + (int64_t)BOOKS_BIRTH_WAIT_MS * 1000000;
	for (unsigned spins = 0;; spins++) {
		if (spins < 64) {
			__builtin_ia32_pause();
		} else {
			sched_yield();
			if (clock_ns(CLOCK_MONOTONIC) > until) {
				__atomic_store_n(&birth_wait_failed[type], 1, A_RELAXED);
				return 1;
			}
		}
		if (__atomic_load_n(&creating_shared[type], A_SEQ_CST) <= own ||
		    books_live_at(log, addr))
			return 1;
	}
}

static void violation(const struct tally_log *log, struct book_result *res, uint8_t kind,
                      uint16_t type, uint8_t flags)
{
	/* Certain only for an object created under the books, and not one a
	 * forked child inherited: its copy of the parent's books is taken
	 * while the parent goes on, and may hold a net the child never had. */
	int created = (flags & TALLY_OBJF_CREATED) && !(flags & TALLY_OBJF_INHERITED);

	res->violation = kind;
	res->certain = created && books_type_complete(log, type) &&
	               !(type < TALLY_MAX_TYPES && __atomic_load_n(&creating[type], A_ACQUIRE));
	__atomic_fetch_add(&log->hdr->violations, 1, A_RELAXED);
	struct tally_type *t = type_of(log, type);
	count(kind == TALLY_VIOL_UNDERFLOW ? &t->underflow : &t->after_release);
}

/* Whether a call of op's type at released object o (of another type) is
 * for a new object of op's type made where no rule saw it: only when op's
 * type is unseen_new (GLib's pools make GThreads at released GHashTables'
 * addresses).  Otherwise types share objects by design (the gst preset
 * creates a GstEvent and references it as a GstMiniObject), and a call
 * there is the released object's reference after release. */
static int reused_unseen(const struct tally_log *log, const struct tally_object *o,
                         const struct book_op *op)
{
	return o->type != op->type && (type_of(log, op->type)->flags & TALLY_TYPEF_UNSEEN_NEW);
}

static SHIM_HOT void book_increment(struct tally_log *log, const struct book_op *op, int s,
                           struct book_result *res)
{
	if (s < 0) {
		count(&type_of(log, op->type)->first_seen_inc);
		open_books(log, op, op->type, 1, 0, res);
		/* Opened by another thread while this one waited for the claim
		 * lock: booked on its books, not a second object first seen.
		 * (Counted first, taken back now: never complete too early.) */
		if (res->detail == TALLY_OBJD_BOOKED)
			__atomic_fetch_sub(&type_of(log, op->type)->first_seen_inc, 1, A_RELAXED);
		return;
	}
	struct tally_object *o = &log->objects[s];
	if (o->state == TALLY_OBJ_RELEASED && reused_unseen(log, o, op)) {
		/* The address was another type's object's: this one of op's
		 * type was made where no rule saw it, not referenced after
		 * that one's release. */
		book_increment(log, op, -1, res);
		return;
	}
	res->type = o->type;
	if (o->state == TALLY_OBJ_RELEASED && (o->flags & TALLY_OBJF_RELEASING)) {
		switch (revive_books(log, s, op, res)) {
		case REVIVED:
			return;
		case LOCK_BUSY:
			count(&type_of(log, o->type)->nested);
			res->detail = TALLY_OBJD_UNTRACKED;
			return;
		case LIVE_AGAIN:
			/* Another thread brought them back: booked on them, as
			 * on any live object (whatever happens to them next). */
			book_cell(log, o, op->stack, 1, op->tid);
			res->net = __atomic_add_fetch(&o->net, 1, A_RELAXED);
			if (res->net == 1)
				increment_met_a_close(log, s, op->addr, op->tid);
			res->type = o->type;
			return;
		case CHANGED: {
			/* Look again: what the books hold at this address now. */
			int again = books_find(log, op->addr);
			if (again < 0 || again != s) {
				book_increment(log, op, again, res);
				return;
			}
			break;
		}
		}
	}
	if (o->state == TALLY_OBJ_RELEASED) {
		/* A reference to an object after its count reached 0: a bug,
		 * unless the type comes back from a pool, or the address is a
		 * new object's made where no rule sees it. */
		struct tally_type *t = type_of(log, o->type);
		if (t->flags & TALLY_TYPEF_UNSEEN_NEW) {
			count(&t->first_seen_inc);
			open_books(log, op, o->type, 1, 0, res);
			return;
		}
		if (!(t->flags & TALLY_TYPEF_RESURRECTS) || (o->flags & TALLY_OBJF_FREED)) {
			/* Not booked: the object is gone, its books stay closed. */
			violation(log, res, TALLY_VIOL_AFTER_RELEASE, o->type, o->flags);
			res->detail = TALLY_OBJD_UNKNOWN;
			return;
		}
		open_books(log, op, o->type, 1, 0, res);   /* back from its pool */
		return;
	}
	book_cell(log, o, op->stack, 1, op->tid);
	res->net = __atomic_add_fetch(&o->net, 1, A_RELAXED);
	if (res->net == 1)
		increment_met_a_close(log, s, op->addr, op->tid);
}

/* After a decrement of live slot s was booked (res->net is the net after
 * it): an underflow is reported, a net at 0 or below closes the books. */
static void decremented(struct tally_log *log, const struct book_op *op, int s,
                        struct book_result *res)
{
	const struct tally_object *o = &log->objects[s];

	if (res->net < 0 && (o->flags & TALLY_OBJF_CREATED))
		violation(log, res, TALLY_VIOL_UNDERFLOW, o->type, o->flags);
	if (res->net <= 0)
		close_books(log, s, op, 0, res);
}

static SHIM_HOT void book_decrement(struct tally_log *log, const struct book_op *op, int s,
                           struct book_result *res)
{
	if (s < 0) {
		count(&type_of(log, op->type)->dec_unknown);
		res->detail = TALLY_OBJD_UNKNOWN;
		return;
	}
	struct tally_object *o = &log->objects[s];
	if (o->state == TALLY_OBJ_RELEASED && reused_unseen(log, o, op)) {
		/* another type's released object's address: see book_increment */
		count(&type_of(log, op->type)->dec_unknown);
		res->detail = TALLY_OBJD_UNKNOWN;
		return;
	}
	res->type = o->type;
	if (o->state == TALLY_OBJ_RELEASED) {
		struct tally_type *t = type_of(log, o->type);
		/* While the releasing decrement is under way, the object may
		 * have been referenced again unseen: not known to be a bug. */
		if ((o->flags & TALLY_OBJF_RELEASING) || (t->flags & TALLY_TYPEF_UNSEEN_NEW))
			count(&t->dec_unknown);
		else if (!(t->flags & TALLY_TYPEF_RESURRECTS) || (o->flags & TALLY_OBJF_FREED))
			violation(log, res, TALLY_VIOL_AFTER_RELEASE, o->type, o->flags);
		else
			count(&t->dec_unknown);
		res->detail = TALLY_OBJD_UNKNOWN;
		return;
	}
	book_cell(log, o, op->stack, -1, op->tid);
	res->net = __atomic_sub_fetch(&o->net, 1, A_RELAXED);
	decremented(log, op, s, res);
}

SHIM_HOT void books_apply(struct tally_log *log, const struct book_op *op, struct book_result *res)
{
	int s = books_find(log, op->addr);

	memset(res, 0, sizeof(*res));
	res->type = op->type;
	switch (op->role) {
	case TALLY_ROLE_NEW:
		if (s >= 0 && log->objects[s].state == TALLY_OBJ_LIVE &&
		    (log->objects[s].flags & TALLY_OBJF_CREATED) && log->objects[s].tid == op->tid &&
		    log->objects[s].serial > op->call_seq) {
			/* Booked by a creator this one called (g_object_new ->
			 * g_object_new_valist): one object, one creation, made
			 * where the outermost creator was called. */
			struct tally_object *o = &log->objects[s];
			uint32_t inner = o->create_stack;
			if (op->stack && inner != op->stack) {
				int32_t refs = op->refs > 0 ? op->refs : 1;
				book_cell(log, o, inner, -refs, op->tid);
				book_cell(log, o, op->stack, refs, op->tid);
				o->create_stack = op->stack;
				if (inner && inner <= log->hdr->max_stacks)
					__atomic_fetch_sub(&log->stacks[inner - 1].obj_created, 1, A_RELAXED);
				count_stack(log, op->stack, 0);
			}
			res->net = o->net;
			res->type = o->type;
			return;
		}
		count(&type_of(log, op->type)->created);
		open_books(log, op, op->type, op->refs > 0 ? op->refs : 1, TALLY_OBJF_CREATED, res);
		return;
	case TALLY_ROLE_INC:
		book_increment(log, op, s, res);
		return;
	case TALLY_ROLE_SINK:
		if (!op->floating) {
			book_increment(log, op, s, res);
			return;
		}
		/* the floating reference changes hands */
		__attribute__((fallthrough));
	case TALLY_ROLE_TAKE:
		if (s >= 0 && log->objects[s].state == TALLY_OBJ_LIVE) {
			__atomic_fetch_and(&log->objects[s].flags, (uint8_t)~TALLY_OBJF_FLOATING,
			                   A_RELAXED);
			res->net = log->objects[s].net;
			res->type = log->objects[s].type;
			res->detail = TALLY_OBJD_SUNK;
			return;
		}
		/* Created unseen: the reference taken over is booked here. */
		book_increment(log, op, s, res);
		return;
	case TALLY_ROLE_DEC:
		book_decrement(log, op, s, res);
		return;
	case TALLY_ROLE_FREE:
		if (s < 0) {
			count(&type_of(log, op->type)->dec_unknown);
			res->detail = TALLY_OBJD_UNKNOWN;
			return;
		}
		res->type = log->objects[s].type;
		if (log->objects[s].state == TALLY_OBJ_RELEASED) {
			/* one made unseen, at its type's or another's address: a
			 * blind spot */
			if (type_of(log, op->type)->flags & TALLY_TYPEF_UNSEEN_NEW) {
				count(&type_of(log, op->type)->dec_unknown);
				res->detail = TALLY_OBJD_UNKNOWN;
			} else {
				violation(log, res, TALLY_VIOL_AFTER_RELEASE, log->objects[s].type,
				          log->objects[s].flags);
			}
			return;
		}
		res->net = log->objects[s].net;
		close_books(log, s, op, 1, res);
		return;
	default:
		return;
	}
}

SHIM_HOT int books_apply_usual(struct tally_log *log, uint64_t addr, uint8_t role,
                               uint32_t stack, uint32_t tid, int64_t now_ns,
                               struct book_result *res)
{
	int32_t delta = role == TALLY_ROLE_INC ? 1 : -1;
	/* Where the object usually is: the first slot of its window. */
	uint32_t s = slot_at(log, addr, 0);
	if (__builtin_expect(__atomic_load_n(&log->objkeys[s], A_ACQUIRE) != addr, 0)) {
		int found = books_find(log, addr);
		if (found < 0)
			return 0;
		s = (uint32_t)found;
	}
	struct tally_object *o = &log->objects[s];
	/* A decrement that may close the books takes the whole path. */
	if (__atomic_load_n(&o->state, A_ACQUIRE) != TALLY_OBJ_LIVE ||
	    (delta < 0 && __atomic_load_n(&o->net, A_RELAXED) <= 1))
		return 0;
	unsigned i = 0;
	while (i < TALLY_OBJ_CELLS && TALLY_CELL_STACK(__atomic_load_n(&o->cells[i], A_RELAXED)) != stack)
		i++;
	if (i == TALLY_OBJ_CELLS || !add_to_cell(o, i, stack, delta))
		return 0;
	res->net = __atomic_add_fetch(&o->net, delta, A_RELAXED);
	if (__builtin_expect(delta > 0 && res->net == 1, 0))
		increment_met_a_close(log, (int)s, addr, tid);
	res->type = o->type;
	res->slot = s;
	if (__builtin_expect(delta > 0 || res->net > 0, 1))
		return 1;
	/* Another thread's decrement came in between: this one may close. */
	res->detail = TALLY_OBJD_BOOKED;
	res->violation = 0;
	res->certain = 0;
	res->released = 0;
	struct book_op op = {
		.addr = addr, .role = role, .type = o->type, .stack = stack, .tid = tid,
		.now_ns = now_ns,
	};
	decremented(log, &op, (int)s, res);
	return 2;
}
