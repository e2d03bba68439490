/*
 * Unit test of shim/books.c, the per-object reference books, over a log in
 * plain memory (64 object slots, windows of 16).  Known answers for each
 * role: what a creation, an increment, a decrement, a free, a sink and a
 * take do to an object's slot, cells and net, to its type's counters and
 * to the stack entries; when a slot closes and when it is reused; which
 * violations are reported and when they are certain; what happens when an
 * object has more than ten stacks or its window is full.  Last, 8 threads
 * take and drop references on 4 shared objects (and open and close objects
 * of their own) at once: every reference is in the books afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "books.h"
#include "logfile.h"
#include "memlog.h"
#include "settings.h"

/* ---- a log in memory, three types ------------------------------------------ */

enum { T_PLAIN = 0, T_POOL = 1, T_OTHER = 2 };

#define MAX_OBJECTS 64u
#define TID 4242u

static struct tally_log mem;
static uint64_t seq;    /* events claimed so far */
static int64_t now;     /* the clock, advanced by each call */

static int setup(void **state)
{
	struct tally_settings s = memlog_settings(64, 8, 1u << 20);

	s.max_objects = MAX_OBJECTS;
	memlog_open(&mem, &s);
	assert_int_equal(mem.hdr->max_objects, MAX_OBJECTS);
	strcpy(mem.types[T_PLAIN].name, "Plain");
	strcpy(mem.types[T_POOL].name, "Pool");
	mem.types[T_POOL].flags = TALLY_TYPEF_RESURRECTS;
	strcpy(mem.types[T_OTHER].name, "Other");
	mem.hdr->types_used = 3;
	books_reset_lock(&mem);   /* and the decrements under way of earlier tests */
	seq = 100;
	now = 1000000;
	return 0;
}

static int teardown(void **state)
{
	memlog_close(&mem);
	return 0;
}

/* One call as hooks_ref.c books it: the event claimed at `seq`, serial
 * seq + 1, call_seq = what was claimed when the call began. */
static struct book_result call_full(uint8_t role, uint64_t addr, uint32_t stack, uint16_t type,
                                    uint32_t tid, int floating, int32_t refs, uint64_t call_seq)
{
	struct book_op op = {
		.addr = addr, .role = role, .floating = (uint8_t)floating, .type = type,
		.refs = refs, .stack = stack, .tid = tid, .now_ns = now += 10,
		.serial = seq + 1, .call_seq = call_seq,
	};
	struct book_result res;

	seq++;
	memset(&res, 0x5a, sizeof(res));
	books_apply(&mem, &op, &res);
	return res;
}

/* A call that returns at once: a decrement that released the object tells
 * the books so, as ref_hook_post does. */
static struct book_result call(uint8_t role, uint64_t addr, uint32_t stack, uint16_t type)
{
	struct book_result r = call_full(role, addr, stack, type, TID, 0, 1, seq);

	if (r.released)
		books_release_returned(&mem, r.released, TID);
	return r;
}

/* A decrement of T_PLAIN whose real call has not returned yet. */
static struct book_result dec_under_way(uint64_t addr, uint32_t stack)
{
	return call_full(TALLY_ROLE_DEC, addr, stack, T_PLAIN, TID, 0, 1, seq);
}

#define NEW(a, st) call(TALLY_ROLE_NEW, a, st, T_PLAIN)
#define INC(a, st) call(TALLY_ROLE_INC, a, st, T_PLAIN)
#define DEC(a, st) call(TALLY_ROLE_DEC, a, st, T_PLAIN)
#define FREE(a, st) call(TALLY_ROLE_FREE, a, st, T_PLAIN)

static struct tally_object *obj(uint64_t addr)
{
	int s = books_find(&mem, addr);
	if (s < 0)
		fail_msg("0x%llx is not in the books", (unsigned long long)addr);
	assert_int_equal(mem.objkeys[s], addr);
	return &mem.objects[s];
}

/* The net of `stack`'s cells on the object (0 when it has none). */
static int32_t cell_net(const struct tally_object *o, uint32_t stack)
{
	int32_t net = 0;
	for (unsigned i = 0; i < TALLY_OBJ_CELLS; i++)
		if (TALLY_CELL_STACK(o->cells[i]) == stack)
			net += TALLY_CELL_NET(o->cells[i]);
	return net;
}

static unsigned cells_used(const struct tally_object *o)
{
	unsigned n = 0;
	for (unsigned i = 0; i < TALLY_OBJ_CELLS; i++)
		n += TALLY_CELL_STACK(o->cells[i]) != 0;
	return n;
}

/* The books add up: cells plus the unstacked remainder make the net. */
static void assert_cells_add_up(const struct tally_object *o)
{
	int64_t sum = o->unstacked;
	for (unsigned i = 0; i < TALLY_OBJ_CELLS; i++)
		sum += TALLY_CELL_NET(o->cells[i]);
	assert_int_equal(sum, o->net);
}

static const struct tally_stack *stack_entry(uint32_t id)
{
	return &mem.stacks[id - 1];
}

/* n addresses whose windows start at slot `hash`. */
static void colliding(uint64_t *out, unsigned n, uint32_t hash)
{
	unsigned k = 0;
	for (uint64_t a = 0x7f0000001000ull; k < n; a += 16)
		if (tally_object_hash(a, MAX_OBJECTS) == hash)
			out[k++] = a;
}

/* No violation was reported. */
static void assert_no_violation(struct book_result r)
{
	assert_int_equal(r.violation, 0);
	assert_int_equal(r.certain, 0);
}

/* ---- creation, references, closing ------------------------------------------- */

static void new_opens_a_slot_with_the_creation_cell(void **state)
{
	const uint64_t a = 0x5555000010a0ull;
	uint64_t serial = seq + 1;

	struct book_result r = NEW(a, 3);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(r.net, 1);
	assert_int_equal(r.type, T_PLAIN);
	assert_no_violation(r);

	struct tally_object *o = obj(a);
	assert_int_equal(o->state, TALLY_OBJ_LIVE);
	assert_int_equal(o->flags, TALLY_OBJF_CREATED);
	assert_int_equal(o->net, 1);
	assert_int_equal(o->create_stack, 3);
	assert_int_equal(o->tid, TID);
	assert_int_equal(o->serial, serial);
	assert_int_equal(o->time_ns, now);
	assert_int_equal(o->type, T_PLAIN);
	assert_int_equal(o->unstacked, 0);
	assert_int_equal(o->cells[0], TALLY_CELL(3, 1));
	assert_int_equal(cells_used(o), 1);
	/* in its window, the first slot of it when the table is empty */
	assert_int_equal(books_find(&mem, a), (int)tally_object_hash(a, MAX_OBJECTS));

	assert_int_equal(mem.hdr->objects_live, 1);
	assert_int_equal(mem.types[T_PLAIN].created, 1);
	assert_int_equal(stack_entry(3)->obj_created, 1);
	assert_int_equal(stack_entry(3)->obj_closed, 0);
	assert_true(books_type_complete(&mem, T_PLAIN));

	/* new(2): the creation cell holds both references */
	const uint64_t b = 0x555500002000ull;
	r = call_full(TALLY_ROLE_NEW, b, 4, T_OTHER, TID, 0, 2, seq);
	assert_int_equal(r.net, 2);
	assert_int_equal(r.type, T_OTHER);
	assert_int_equal(obj(b)->net, 2);
	assert_int_equal(cell_net(obj(b), 4), 2);
	assert_int_equal(mem.types[T_OTHER].created, 1);
	assert_int_equal(mem.hdr->objects_live, 2);
	assert_int_equal(books_find(&mem, 0x555500003000ull), -1);
}

static void inc_and_dec_book_per_stack_and_net(void **state)
{
	const uint64_t a = 0x1000;

	NEW(a, 1);
	assert_int_equal(INC(a, 2).net, 2);
	assert_int_equal(INC(a, 2).net, 3);
	struct book_result r = INC(a, 2);
	assert_int_equal(r.net, 4);
	assert_int_equal(r.detail, TALLY_OBJD_BOOKED);
	assert_int_equal(r.type, T_PLAIN);
	assert_no_violation(r);
	assert_int_equal(INC(a, 3).net, 5);
	assert_int_equal(DEC(a, 2).net, 4);
	r = DEC(a, 4);   /* a stack with no increment: its cell goes negative */
	assert_int_equal(r.net, 3);
	assert_int_equal(r.detail, TALLY_OBJD_BOOKED);

	struct tally_object *o = obj(a);
	assert_int_equal(o->net, 3);
	assert_int_equal(cell_net(o, 1), 1);
	assert_int_equal(cell_net(o, 2), 2);
	assert_int_equal(cell_net(o, 3), 1);
	assert_int_equal(cell_net(o, 4), -1);
	assert_int_equal(cells_used(o), 4);
	assert_cells_add_up(o);
	assert_int_equal(o->state, TALLY_OBJ_LIVE);
	/* only the creation opened books */
	assert_int_equal(mem.hdr->objects_live, 1);
	assert_int_equal(stack_entry(2)->obj_created, 0);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 0);
	assert_int_equal(mem.hdr->violations, 0);
}

/* books_apply_usual as hooks_ref.c calls it with the event area full. */
static int usual(uint8_t role, uint64_t addr, uint32_t stack, struct book_result *res)
{
	memset(res, 0x5a, sizeof(*res));
	return books_apply_usual(&mem, addr, role, stack, TID, now += 10, res);
}

/* The usual path books a live object at a stack with its own cell, as
 * books_apply would; everything else it leaves alone, changing nothing. */
static void the_usual_path_books_only_what_keeps_the_books_open(void **state)
{
	const uint64_t a = 0x1000, unknown = 0x5000;
	struct book_result r;

	NEW(a, 1);
	struct tally_object *o = obj(a);
	/* no cell of its own yet: declined */
	assert_int_equal(usual(TALLY_ROLE_INC, a, 2, &r), 0);
	assert_int_equal(o->net, 1);
	assert_int_equal(cells_used(o), 1);
	INC(a, 2);
	assert_int_equal(usual(TALLY_ROLE_INC, a, 2, &r), 1);   /* nothing to report */
	assert_int_equal(r.net, 3);
	assert_int_equal(r.type, T_PLAIN);
	assert_int_equal(mem.hdr->violations, 0);
	assert_int_equal(usual(TALLY_ROLE_DEC, a, 1, &r), 1);
	assert_int_equal(r.net, 2);
	assert_int_equal(cell_net(o, 1), 0);
	assert_int_equal(cell_net(o, 2), 2);
	assert_cells_add_up(o);
	/* a decrement that may close the books: declined */
	assert_int_equal(DEC(a, 2).net, 1);
	assert_int_equal(usual(TALLY_ROLE_DEC, a, 2, &r), 0);
	assert_int_equal(o->net, 1);
	assert_int_equal(cell_net(o, 2), 1);
	/* an object not in the books: declined, not counted */
	assert_int_equal(usual(TALLY_ROLE_INC, unknown, 1, &r), 0);
	assert_int_equal(books_find(&mem, unknown), -1);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 0);
	/* released: declined, so books_apply reports the reference after it */
	assert_int_equal(DEC(a, 2).detail, TALLY_OBJD_CLOSED);
	assert_int_equal(usual(TALLY_ROLE_INC, a, 2, &r), 0);
	assert_int_equal(o->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.hdr->violations, 0);
	assert_int_equal(INC(a, 2).violation, TALLY_VIOL_AFTER_RELEASE);

	/* An object further in its window than the first slot, and one whose
	 * stack has its cell past the first line: booked all the same. */
	uint64_t c[3];
	colliding(c, 3, 37);
	NEW(c[0], 1);
	NEW(c[1], 1);
	for (uint32_t st = 2; st <= 9; st++)
		INC(c[1], st);
	assert_int_not_equal(books_find(&mem, c[1]), 37);
	assert_int_equal(usual(TALLY_ROLE_DEC, c[1], 9, &r), 1);
	assert_int_equal(r.net, 8);
	assert_int_equal(cell_net(obj(c[1]), 9), 0);
	/* the first slot holds another object: not this one's books */
	assert_int_equal(usual(TALLY_ROLE_INC, c[2], 1, &r), 0);
	assert_int_equal(cell_net(obj(c[0]), 1), 1);
	assert_cells_add_up(obj(c[1]));
}

static void dec_to_zero_closes_the_books(void **state)
{
	const uint64_t a = 0x2000;

	NEW(a, 1);
	INC(a, 2);
	assert_int_equal(DEC(a, 3).detail, TALLY_OBJD_BOOKED);
	struct book_result r = DEC(a, 3);
	assert_int_equal(r.net, 0);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_no_violation(r);

	/* kept, released, to recognise a later reference */
	struct tally_object *o = obj(a);
	assert_int_equal(o->state, TALLY_OBJ_RELEASED);
	assert_int_equal(o->close_stack, 3);
	assert_int_equal(o->close_ns, now);
	assert_false(o->flags & TALLY_OBJF_FREED);
	assert_int_equal(mem.hdr->objects_live, 0);
	assert_int_equal(mem.types[T_PLAIN].created, 1);
	assert_int_equal(mem.types[T_PLAIN].freed, 1);
	assert_int_equal(mem.types[T_PLAIN].balanced, 0);
	/* the creation stack's books: one opened, one closed */
	assert_int_equal(stack_entry(1)->obj_created, 1);
	assert_int_equal(stack_entry(1)->obj_closed, 1);
	assert_int_equal(stack_entry(3)->obj_closed, 0);
	assert_true(books_type_complete(&mem, T_PLAIN));
}

static void a_released_slot_is_reused(void **state)
{
	const uint64_t a = 0x3000;

	NEW(a, 1);
	int s = books_find(&mem, a);
	DEC(a, 2);
	/* the same address made again: the same slot, fresh books */
	struct book_result r = NEW(a, 5);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_no_violation(r);
	assert_int_equal(books_find(&mem, a), s);
	struct tally_object *o = obj(a);
	assert_int_equal(o->state, TALLY_OBJ_LIVE);
	assert_int_equal(o->create_stack, 5);
	assert_int_equal(o->close_stack, 0);
	assert_int_equal(o->close_ns, 0);
	assert_int_equal(o->flags, TALLY_OBJF_CREATED);
	assert_int_equal(cell_net(o, 1), 0);
	assert_int_equal(cell_net(o, 2), 0);
	assert_int_equal(cell_net(o, 5), 1);
	assert_int_equal(cells_used(o), 1);
	assert_int_equal(mem.hdr->objects_live, 1);
	assert_int_equal(mem.types[T_PLAIN].created, 2);
	assert_int_equal(mem.types[T_PLAIN].freed, 1);

	/* a full window of released slots: a new object takes the one
	 * released longest ago */
	uint64_t c[17];
	colliding(c, 17, (tally_object_hash(a, MAX_OBJECTS) + 20) % MAX_OBJECTS);
	for (int i = 0; i < 16; i++)
		assert_int_equal(NEW(c[i], 1).detail, TALLY_OBJD_OPENED);
	const int order[16] = { 7, 3, 15, 0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14 };
	for (int i = 0; i < 16; i++)
		assert_int_equal(DEC(c[order[i]], 2).detail, TALLY_OBJD_CLOSED);
	int oldest = books_find(&mem, c[7]);
	assert_int_equal(NEW(c[16], 1).detail, TALLY_OBJD_OPENED);
	assert_int_equal(books_find(&mem, c[16]), oldest);
	assert_int_equal(books_find(&mem, c[7]), -1);   /* forgotten */
	assert_int_equal(obj(c[3])->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.hdr->objects_live, 2);
}

/* Reference events carry the time to the kernel tick, so many closes can
 * share one time: the slot released first is still the one reused. */
static void released_slots_closed_in_one_tick_are_reused_oldest_first(void **state)
{
	uint64_t c[17];
	colliding(c, 17, 9);
	for (int i = 0; i < 16; i++)
		assert_int_equal(NEW(c[i], 1).detail, TALLY_OBJD_OPENED);
	const int order[16] = { 7, 3, 15, 0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14 };
	int64_t tick = now + 1000;
	for (int i = 0; i < 16; i++) {
		now = tick - 10;   /* call_full adds 10: every close at `tick` */
		assert_int_equal(DEC(c[order[i]], 2).detail, TALLY_OBJD_CLOSED);
	}
	int oldest = books_find(&mem, c[7]);
	assert_true(obj(c[7])->close_ns < obj(c[3])->close_ns);
	assert_true(obj(c[3])->close_ns < obj(c[15])->close_ns);
	assert_int_equal(NEW(c[16], 1).detail, TALLY_OBJD_OPENED);
	assert_int_equal(books_find(&mem, c[16]), oldest);
	assert_int_equal(books_find(&mem, c[7]), -1);
	assert_int_equal(obj(c[0])->state, TALLY_OBJ_RELEASED);
}

static void free_closes_whatever_the_count(void **state)
{
	const uint64_t a = 0x4000;

	NEW(a, 1);
	INC(a, 2);
	INC(a, 2);
	struct book_result r = FREE(a, 3);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(r.net, 3);
	assert_no_violation(r);
	struct tally_object *o = obj(a);
	assert_int_equal(o->state, TALLY_OBJ_RELEASED);
	assert_true(o->flags & TALLY_OBJF_FREED);
	assert_int_equal(o->close_stack, 3);
	assert_int_equal(mem.hdr->objects_live, 0);
	assert_int_equal(mem.types[T_PLAIN].freed, 1);
	assert_int_equal(stack_entry(1)->obj_closed, 1);

	/* a free of an object not in the books */
	r = FREE(0x4100, 3);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_no_violation(r);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 1);

	/* a first-seen object freed is closed too, as freed */
	INC(0x4200, 6);
	r = FREE(0x4200, 3);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(obj(0x4200)->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.types[T_PLAIN].freed, 2);
	assert_int_equal(mem.hdr->objects_live, 0);
}

static void first_seen_inc_opens_books_of_its_own(void **state)
{
	const uint64_t b = 0x5000;

	struct book_result r = INC(b, 5);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(r.net, 1);
	assert_no_violation(r);
	struct tally_object *o = obj(b);
	assert_int_equal(o->state, TALLY_OBJ_LIVE);
	assert_int_equal(o->flags, 0);            /* not created: incomplete */
	assert_int_equal(o->create_stack, 5);
	assert_int_equal(cell_net(o, 5), 1);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 1);
	assert_int_equal(mem.types[T_PLAIN].created, 0);
	assert_int_equal(mem.hdr->objects_live, 1);
	assert_int_equal(stack_entry(5)->obj_created, 1);
	assert_false(books_type_complete(&mem, T_PLAIN));
	assert_true(books_type_complete(&mem, T_OTHER));

	assert_int_equal(INC(b, 6).net, 2);
	assert_int_equal(DEC(b, 7).net, 1);
	/* back where it started: balanced, and the slot is emptied */
	r = DEC(b, 7);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(r.net, 0);
	assert_no_violation(r);
	assert_int_equal(books_find(&mem, b), -1);
	assert_int_equal(mem.types[T_PLAIN].balanced, 1);
	assert_int_equal(mem.types[T_PLAIN].freed, 0);
	assert_int_equal(mem.hdr->objects_live, 0);
	assert_int_equal(stack_entry(5)->obj_closed, 1);

	/* the owner's own reference then goes: not in the books, no violation */
	r = DEC(b, 8);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_no_violation(r);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 1);
	assert_int_equal(mem.hdr->violations, 0);
}

static void dec_of_an_unknown_object_is_counted(void **state)
{
	struct book_result r = call(TALLY_ROLE_DEC, 0x6000, 2, T_OTHER);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_int_equal(r.type, T_OTHER);
	assert_int_equal(r.net, 0);
	assert_no_violation(r);
	assert_int_equal(books_find(&mem, 0x6000), -1);
	assert_int_equal(mem.types[T_OTHER].dec_unknown, 1);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 0);
	assert_int_equal(mem.hdr->objects_live, 0);
	assert_int_equal(mem.hdr->violations, 0);
	assert_false(books_type_complete(&mem, T_OTHER));
}

/* ---- violations -------------------------------------------------------------- */

static void reference_after_release_is_certain_on_complete_books(void **state)
{
	const uint64_t a = 0x7000, b = 0x7100;

	NEW(a, 1);
	DEC(a, 2);
	struct book_result r = INC(a, 3);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 1);
	assert_int_equal(r.type, T_PLAIN);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_int_equal(mem.hdr->violations, 1);
	/* not booked: the object is gone, its books stay closed */
	assert_int_equal(obj(a)->state, TALLY_OBJ_RELEASED);
	assert_int_equal(obj(a)->net, 0);
	assert_int_equal(cell_net(obj(a), 3), 0);
	assert_int_equal(mem.hdr->objects_live, 0);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 0);
	/* and a decrement after that is one more */
	r = DEC(a, 3);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(mem.hdr->violations, 2);

	NEW(b, 1);
	DEC(b, 2);
	r = DEC(b, 2);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 1);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_int_equal(obj(b)->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.hdr->violations, 3);

	/* a free after a free */
	NEW(0x7200, 1);
	FREE(0x7200, 2);
	r = FREE(0x7200, 2);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 1);
	assert_int_equal(mem.hdr->violations, 4);
	assert_int_equal(mem.types[T_PLAIN].after_release, 4);
	assert_int_equal(mem.types[T_PLAIN].underflow, 0);
	/* violations are not blind spots: the books are still complete */
	assert_true(books_type_complete(&mem, T_PLAIN));
}

/* A decrement is booked before the real call: until that call returns, a
 * reference to the object it released is legitimate (GObject's dispose
 * keeping its object, another thread's g_weak_ref_get) and brings the
 * books back, the close undone; a decrement meanwhile is a blind spot. */
static void a_reference_while_the_release_is_under_way_revives_the_books(void **state)
{
	const uint64_t a = 0x7400;

	NEW(a, 1);
	INC(a, 2);
	DEC(a, 3);
	struct book_result r = dec_under_way(a, 4);   /* the last one: released */
	uint64_t outer = r.released;
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(outer, obj(a)->serial);
	assert_int_equal(obj(a)->state, TALLY_OBJ_RELEASED);
	assert_true(obj(a)->flags & TALLY_OBJF_RELEASING);
	assert_int_equal(mem.types[T_PLAIN].freed, 1);
	assert_int_equal(mem.hdr->objects_live, 0);

	r = INC(a, 5);                      /* dispose takes one */
	assert_int_equal(r.violation, 0);
	assert_int_equal(r.detail, TALLY_OBJD_REVIVED);
	assert_int_equal(r.net, 1);
	assert_int_equal(obj(a)->state, TALLY_OBJ_LIVE);
	/* still marked: the decrement that released it has not returned */
	assert_true(obj(a)->flags & TALLY_OBJF_RELEASING);
	assert_true(obj(a)->flags & TALLY_OBJF_CREATED);
	assert_int_equal(obj(a)->close_ns, 0);
	assert_int_equal(mem.types[T_PLAIN].freed, 0);
	assert_int_equal(mem.hdr->objects_live, 1);
	/* the cells kept their history: creation and stack 2 +1, 3 and 4 -1 */
	assert_int_equal(cell_net(obj(a), 1) + cell_net(obj(a), 2), 2);
	assert_int_equal(cell_net(obj(a), 3) + cell_net(obj(a), 4), -2);
	assert_int_equal(cell_net(obj(a), 5), 1);

	r = dec_under_way(a, 6);            /* and drops it again */
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(r.released, outer);
	assert_true(obj(a)->flags & TALLY_OBJF_RELEASING);
	books_release_returned(&mem, r.released, TID);   /* dispose's unref returned */
	assert_true(obj(a)->flags & TALLY_OBJF_RELEASING);   /* the outer one has not */
	assert_int_equal(INC(a, 8).detail, TALLY_OBJD_REVIVED);   /* so this is legitimate */
	assert_int_equal(DEC(a, 9).detail, TALLY_OBJD_CLOSED);   /* (returns at once) */
	assert_true(obj(a)->flags & TALLY_OBJF_RELEASING);
	books_release_returned(&mem, outer, TID);   /* the outer unref returned */
	assert_false(obj(a)->flags & TALLY_OBJF_RELEASING);
	assert_int_equal(mem.types[T_PLAIN].freed, 1);
	r = INC(a, 7);                      /* now it is gone */
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 1);

	/* a decrement while a release is under way: not known to be wrong */
	const uint64_t b = 0x7500;
	NEW(b, 1);
	dec_under_way(b, 2);
	r = DEC(b, 3);
	assert_int_equal(r.violation, 0);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 1);
	assert_false(books_type_complete(&mem, T_PLAIN));
}

/* The spilled cells of the object at addr: how many, and their net. */
static unsigned spilled(uint64_t addr, int64_t *net)
{
	const struct tally_object *o = obj(addr);
	unsigned n = 0;

	*net = 0;
	for (uint32_t i = 0; i < mem.hdr->max_spill; i++) {
		const struct tally_spill *e = &mem.spill[i];
		if (e->serial == o->serial && e->slot == (uint32_t)(o - mem.objects) &&
		    TALLY_CELL_STACK(e->cell)) {
			n++;
			*net += TALLY_CELL_NET(e->cell);
		}
	}
	return n;
}

/* Stacks past an object's own ten cells go to the spill table, one entry
 * per stack; once the object is gone its entries are taken by others. */
static void stacks_past_the_ten_cells_spill_and_their_entries_are_reused(void **state)
{
	const uint64_t a = 0xd000, b = 0xd100;
	int64_t net;

	assert_true(mem.hdr->max_spill >= 2 * MAX_OBJECTS);
	NEW(a, 1);
	for (uint32_t st = 100; st < 130; st++)
		INC(a, st);
	assert_int_equal(obj(a)->net, 31);
	assert_int_equal(obj(a)->unstacked, 0);
	assert_true(obj(a)->flags & TALLY_OBJF_SPILLED);
	assert_int_equal(spilled(a, &net), 31 - TALLY_OBJ_CELLS);
	assert_int_equal(net, 31 - TALLY_OBJ_CELLS);
	INC(a, 129);                          /* a spilled stack again: its entry */
	assert_int_equal(spilled(a, &net), 31 - TALLY_OBJ_CELLS);
	assert_int_equal(net, 32 - TALLY_OBJ_CELLS);
	DEC(a, 128);                          /* a spilled stack's decrement */
	assert_int_equal(cell_net(obj(a), 128), 0);   /* not in its own cells */
	assert_int_equal(spilled(a, &net), 31 - TALLY_OBJ_CELLS);
	assert_int_equal(net, 31 - TALLY_OBJ_CELLS);
	assert_int_equal(obj(a)->unstacked, 0);

	FREE(a, 2);                           /* gone: its entries are free */
	NEW(b, 1);
	for (uint32_t st = 200; st < 250; st++)
		INC(b, st);
	assert_int_equal(obj(b)->unstacked, 0);
	assert_int_equal(spilled(b, &net), 51 - TALLY_OBJ_CELLS);
	unsigned used = 0;
	for (uint32_t i = 0; i < mem.hdr->max_spill; i++)
		used += mem.spill[i].serial != 0;
	/* b's 41 and a's 21 would not have fitted in 64 entries apart */
	assert_true(used <= 64 + 21);
	assert_int_equal(mem.types[T_PLAIN].unstacked, 0);
}

/* A release is told returned by its own serial: another object at the
 * same address keeps its mark; and a reference while this thread holds the
 * claim lock (a signal handler) is counted nested, not a violation. */
static void a_release_returns_for_its_own_object_only(void **state)
{
	const uint64_t x = 0x7600;

	NEW(x, 1);
	uint64_t old = dec_under_way(x, 2).released;   /* x freed inside its unref */
	assert_true(old != 0);
	NEW(x, 3);                                     /* y, at the same address */
	int y_slot = books_find(&mem, x);              /* (x's slot: x is gone) */
	assert_true(y_slot >= 0);
	uint64_t y_serial = mem.objects[y_slot].serial;
	assert_true(y_serial != old);
	assert_int_equal(dec_under_way(x, 4).released, y_serial);   /* y's last unref */
	books_release_returned(&mem, old, TID);        /* x's unref returns */
	assert_true(mem.objects[y_slot].flags & TALLY_OBJF_RELEASING);

	__atomic_store_n(&mem.hdr->object_lock, TID, __ATOMIC_RELAXED);   /* held here */
	struct book_result r = INC(x, 5);
	__atomic_store_n(&mem.hdr->object_lock, 0, __ATOMIC_RELAXED);
	assert_int_equal(r.violation, 0);
	assert_int_equal(mem.types[T_PLAIN].nested, 1);

	assert_int_equal(INC(x, 6).detail, TALLY_OBJD_REVIVED);   /* y's dispose */
	assert_int_equal(mem.hdr->violations, 0);
	books_release_returned(&mem, y_serial, TID);
	assert_false(mem.objects[y_slot].flags & TALLY_OBJF_RELEASING);
}

static int setup_many_slots(void **state)
{
	setup(state);
	memlog_close(&mem);
	struct tally_settings s = memlog_settings(64, 8, 1u << 20);
	s.max_objects = 1024;
	memlog_open(&mem, &s);
	strcpy(mem.types[T_PLAIN].name, "Plain");
	mem.hdr->types_used = 3;
	books_reset_lock(&mem);
	return 0;
}

/* More releases under way than the process counts (256): the oldest is
 * forgotten and its object stays marked, and no release of an object
 * marked without a count is counted (its return would clear the mark
 * while the uncounted one still runs: a review's false abort). */
static void a_release_the_table_cannot_count_stays_marked(void **state)
{
	const unsigned n = 257;
	uint64_t released[257];

	for (unsigned i = 0; i < n; i++) {
		NEW(0x100000 + i * 0x40, 1);
		released[i] = dec_under_way(0x100000 + i * 0x40, 2).released;
		assert_true(released[i] != 0);
	}
	const uint64_t first = 0x100000;   /* its entry was forgotten */
	assert_int_equal(INC(first, 3).detail, TALLY_OBJD_REVIVED);
	struct book_result r = dec_under_way(first, 4);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(r.released, 0);                  /* not counted */
	books_release_returned(&mem, released[0], TID);   /* finds no entry */
	assert_true(obj(first)->flags & TALLY_OBJF_RELEASING);   /* for good */
	assert_int_equal(INC(first, 5).violation, 0);

	books_release_returned(&mem, released[1], TID);   /* counted ones clear */
	assert_false(obj(first + 0x40)->flags & TALLY_OBJF_RELEASING);
	assert_int_equal(INC(first + 0x40, 6).violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(mem.hdr->objects_untracked, 0);
}

/* While a creation of a type is under way (booked only when it returns),
 * another thread may drop a reference to the new object at a reused
 * address: no violation of that type is certain meanwhile (a review's
 * short-lived GThreads aborted a correct program). */
static void no_violation_is_certain_while_a_creation_is_under_way(void **state)
{
	const uint64_t a = 0x7700;

	NEW(a, 1);
	DEC(a, 2);                          /* released, the call returned */
	books_creation_begins(T_PLAIN, 0);     /* a new one is being made */
	struct book_result r = DEC(a, 3);   /* its own reference, at a's address */
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 0);
	books_creation_ends(T_PLAIN, 0);
	r = DEC(a, 4);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 1);
}

/* A creator thread: its shared creation returns after a few ms, and
 * is booked (opened) before it ends, as ref_hook_post does. */
static void *shared_creator(void *arg)
{
	const uint64_t a = *(const uint64_t *)arg;
	struct timespec ms5 = { 0, 5000000 };

	nanosleep(&ms5, NULL);
	struct book_op op = {
		.addr = a, .role = TALLY_ROLE_NEW, .type = T_PLAIN, .refs = 2, .stack = 1,
		.tid = TID + 1, .now_ns = now + 1, .serial = 1,
	};
	struct book_result res;
	books_apply(&mem, &op, &res);
	books_creation_ends(T_PLAIN, 1);
	return NULL;
}

/* A GThread's own reference may be dropped (by the new thread, as it
 * ends) before its g_thread_new has returned and been booked: the drop
 * waits for the books, instead of being a decrement of an unknown object
 * that left the books one reference too many (a correct program's
 * threads counted as leaked). */
static void a_drop_before_a_shared_creation_is_booked_waits_for_it(void **state)
{
	static uint64_t a = 0x7800;
	pthread_t creator;

	/* Nothing to wait for: no shared creation, or only this thread's. */
	assert_int_equal(books_await_birth(&mem, a, T_PLAIN, 0), 0);
	books_creation_begins(T_PLAIN, 0);
	assert_int_equal(books_await_birth(&mem, a, T_PLAIN, 0), 0);
	books_creation_ends(T_PLAIN, 0);
	books_creation_begins(T_PLAIN, 1);
	assert_int_equal(books_await_birth(&mem, a, T_PLAIN, 1), 0);

	/* Another thread's: waits until its object is booked (or finds it
	 * booked already, when this thread was descheduled for 5 ms: the
	 * return value depends on the host's load, the books do not).  A
	 * creator descheduled for longer than BOOKS_BIRTH_WAIT_MS times the
	 * wait out before it books: the books are live when the wait returns
	 * only when it did not wait that long.  Joined before any assertion:
	 * a creator left running books its object in a later test's log. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&creator, NULL, shared_creator, &a), 0);
	books_await_birth(&mem, a, T_PLAIN, 0);
	int s = books_find(&mem, a);
	int live = s >= 0 && mem.objects[s].state == TALLY_OBJ_LIVE;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(creator, NULL);
	int64_t waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (!live)
		assert_true(waited_ms >= BOOKS_BIRTH_WAIT_MS);
	assert_int_equal(obj(a)->state, TALLY_OBJ_LIVE);
	struct book_result r = DEC(a, 3);              /* the thread's own */
	assert_int_equal(r.detail, TALLY_OBJD_BOOKED);
	assert_int_equal(r.net, 1);
	r = DEC(a, 4);                                 /* the creator's join */
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 0);
	assert_true(books_type_complete(&mem, T_PLAIN));

	/* A creation that never ends: one wait times out, later ones do
	 * not wait.  (The wait above may have timed out under load.) */
	books_fork_child();
	books_creation_begins(T_PLAIN, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(books_await_birth(&mem, 0x7900, T_PLAIN, 0), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(waited_ms >= BOOKS_BIRTH_WAIT_MS);
	assert_int_equal(books_await_birth(&mem, 0x7900, T_PLAIN, 0), 0);
	books_creation_ends(T_PLAIN, 1);
	books_fork_child();   /* the next test starts without the timeout */
}

static void a_violation_on_incomplete_books_is_not_certain(void **state)
{
	/* one object of the type was first seen by an increment */
	INC(0x8000, 9);
	assert_false(books_type_complete(&mem, T_PLAIN));

	NEW(0x8100, 1);
	DEC(0x8100, 2);
	struct book_result r = DEC(0x8100, 2);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 0);
	assert_int_equal(mem.hdr->violations, 1);

	/* another type's books are still complete */
	call(TALLY_ROLE_NEW, 0x8200, 1, T_OTHER);
	call(TALLY_ROLE_DEC, 0x8200, 2, T_OTHER);
	r = call(TALLY_ROLE_INC, 0x8200, 3, T_OTHER);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 1);

	/* and each blind spot makes a type's books incomplete */
	uint64_t *blind[] = { &mem.types[T_OTHER].dec_unknown, &mem.types[T_OTHER].untracked,
	                      &mem.types[T_OTHER].unstacked, &mem.types[T_OTHER].nested };
	for (size_t i = 0; i < sizeof(blind) / sizeof(blind[0]); i++) {
		*blind[i] = 1;
		assert_false(books_type_complete(&mem, T_OTHER));
		*blind[i] = 0;
		assert_true(books_type_complete(&mem, T_OTHER));
	}
	/* ... and so does a rule hooked through GOT entries only */
	mem.types[T_OTHER].flags |= TALLY_TYPEF_GOT_ONLY;
	assert_false(books_type_complete(&mem, T_OTHER));
	call(TALLY_ROLE_NEW, 0x8300, 1, T_OTHER);
	call(TALLY_ROLE_DEC, 0x8300, 2, T_OTHER);
	r = call(TALLY_ROLE_DEC, 0x8300, 2, T_OTHER);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 0);
}

static void underflow_of_live_books(void **state)
{
	const uint64_t a = 0x9000;

	/* Two threads dropping the last reference at once: the second finds
	 * the books still live with no reference left (as set here). */
	NEW(a, 1);
	obj(a)->net = 0;
	obj(a)->cells[0] = TALLY_CELL(1, 0);
	struct book_result r = DEC(a, 2);
	assert_int_equal(r.violation, TALLY_VIOL_UNDERFLOW);
	assert_int_equal(r.certain, 1);
	assert_int_equal(r.net, -1);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(obj(a)->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.hdr->violations, 1);
	assert_int_equal(mem.hdr->objects_live, 0);

	/* A signal handler that drops the last reference while its thread
	 * holds the claim lock cannot close the books (nested); the next
	 * decrement is an underflow, not certain: the books missed an event. */
	const uint64_t b = 0x9100;
	NEW(b, 1);
	mem.hdr->object_lock = TID;
	r = DEC(b, 2);
	mem.hdr->object_lock = 0;
	assert_int_equal(r.net, 0);
	assert_int_equal(r.detail, TALLY_OBJD_BOOKED);
	assert_int_equal(mem.types[T_PLAIN].nested, 1);
	assert_int_equal(obj(b)->state, TALLY_OBJ_LIVE);
	r = DEC(b, 2);
	assert_int_equal(r.violation, TALLY_VIOL_UNDERFLOW);
	assert_int_equal(r.certain, 0);
	assert_int_equal(r.net, -1);
	assert_int_equal(obj(b)->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.hdr->violations, 2);

	/* A first-seen object's books never underflow: its count before
	 * them is unknown. */
	INC(0x9200, 3);
	mem.hdr->object_lock = TID;
	DEC(0x9200, 2);
	mem.hdr->object_lock = 0;
	r = DEC(0x9200, 2);
	assert_no_violation(r);
	assert_int_equal(mem.hdr->violations, 2);
}

static void violations_are_counted_on_their_type(void **state)
{
	/* format.h: tally_type.underflow "decrements below zero",
	 * after_release "references to an object after its close"; the
	 * JSON report prints both per type. */
	NEW(0xa000, 1);
	DEC(0xa000, 2);
	INC(0xa000, 3);
	assert_int_equal(mem.types[T_PLAIN].after_release, 1);
	NEW(0xa100, 1);
	obj(0xa100)->net = 0;
	DEC(0xa100, 2);
	assert_int_equal(mem.types[T_PLAIN].underflow, 1);
	assert_int_equal(mem.types[T_OTHER].after_release + mem.types[T_OTHER].underflow, 0);
}

/* A type whose objects may be made where no rule sees them (GVariant's
 * children, g_variant_builder_end): a reference at a released object's
 * address is a new object's, first seen, never a violation (a correct
 * GLib program had certain ones, and aborted under TALLY_ENFORCE=abort). */
static void unseen_new_types_take_a_released_address_as_a_new_object(void **state)
{
	const uint64_t v = 0xb800, w = 0xb900;

	mem.types[T_OTHER].flags = TALLY_TYPEF_UNSEEN_NEW;
	call(TALLY_ROLE_NEW, v, 1, T_OTHER);
	call(TALLY_ROLE_DEC, v, 2, T_OTHER);
	assert_int_equal(obj(v)->state, TALLY_OBJ_RELEASED);
	struct book_result r = call(TALLY_ROLE_SINK, v, 3, T_OTHER);   /* made unseen */
	assert_no_violation(r);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(obj(v)->state, TALLY_OBJ_LIVE);
	assert_int_equal(mem.types[T_OTHER].first_seen_inc, 1);
	r = call(TALLY_ROLE_DEC, v, 4, T_OTHER);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);   /* balanced again */
	/* a decrement or a free at a released address: a blind spot */
	r = call(TALLY_ROLE_DEC, v, 5, T_OTHER);
	assert_no_violation(r);
	assert_int_equal(mem.types[T_OTHER].dec_unknown, 1);
	call(TALLY_ROLE_NEW, w, 1, T_OTHER);
	call(TALLY_ROLE_FREE, w, 2, T_OTHER);
	r = call(TALLY_ROLE_FREE, w, 3, T_OTHER);
	assert_no_violation(r);
	assert_int_equal(mem.types[T_OTHER].dec_unknown, 2);
	assert_int_equal(mem.hdr->violations, 0);
	assert_false(books_type_complete(&mem, T_OTHER));
	/* a type without the flag still reports them */
	call(TALLY_ROLE_NEW, 0xba00, 1, T_PLAIN);
	call(TALLY_ROLE_DEC, 0xba00, 2, T_PLAIN);
	assert_int_equal(INC(0xba00, 3).violation, TALLY_VIOL_AFTER_RELEASE);
}

/* A GThread made by GLib's pool (no rule sees it) at the address of a
 * released GHashTable: the pool's g_thread_unref is not that table's
 * reference after release (it was booked so, certain, and aborted six
 * correct GIO test programs), it is a blind spot of the GThread type. */
static void a_released_address_reused_by_another_type_is_no_violation(void **state)
{
	const uint64_t a = 0xbc00, g = 0xbe00;

	/* Without unseen_new, types share objects by design (the gst preset
	 * creates a GstEvent and unrefs it as a GstMiniObject): a call there
	 * is the released object's reference after release. */
	NEW(g, 1);
	DEC(g, 2);
	struct book_result shared = call(TALLY_ROLE_DEC, g, 3, T_OTHER);
	assert_int_equal(shared.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(mem.types[T_PLAIN].after_release, 1);
	mem.types[T_PLAIN].after_release = 0;
	mem.hdr->violations = 0;

	mem.types[T_OTHER].flags = TALLY_TYPEF_UNSEEN_NEW;   /* GThread's, in the glib preset */
	NEW(a, 1);
	DEC(a, 2);                                       /* T_PLAIN released */
	struct book_result r = call(TALLY_ROLE_DEC, a, 3, T_OTHER);
	assert_no_violation(r);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_int_equal(mem.types[T_OTHER].dec_unknown, 1);
	r = call(TALLY_ROLE_FREE, a, 4, T_OTHER);
	assert_no_violation(r);
	assert_int_equal(mem.types[T_OTHER].dec_unknown, 2);
	/* an increment: an object of the other type, first seen */
	r = call(TALLY_ROLE_INC, a, 5, T_OTHER);
	assert_no_violation(r);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(r.type, T_OTHER);
	assert_int_equal(obj(a)->type, T_OTHER);
	assert_int_equal(obj(a)->state, TALLY_OBJ_LIVE);
	assert_int_equal(mem.types[T_OTHER].first_seen_inc, 1);
	assert_int_equal(mem.types[T_PLAIN].after_release, 0);
	assert_int_equal(mem.hdr->violations, 0);
}

static void resurrecting_types_do_not_violate(void **state)
{
	const uint64_t p = 0xb000, q = 0xb100;

	call(TALLY_ROLE_NEW, p, 1, T_POOL);
	struct book_result r = call(TALLY_ROLE_DEC, p, 2, T_POOL);
	assert_int_equal(r.detail, TALLY_OBJD_CLOSED);
	assert_int_equal(obj(p)->state, TALLY_OBJ_RELEASED);
	assert_int_equal(mem.types[T_POOL].freed, 1);
	/* back from the pool */
	r = call(TALLY_ROLE_INC, p, 3, T_POOL);
	assert_no_violation(r);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(obj(p)->state, TALLY_OBJ_LIVE);
	assert_int_equal(obj(p)->net, 1);
	assert_int_equal(mem.hdr->objects_live, 1);
	/* a decrement of a released pool object is a blind spot, not a bug */
	call(TALLY_ROLE_NEW, q, 1, T_POOL);
	call(TALLY_ROLE_DEC, q, 2, T_POOL);
	r = call(TALLY_ROLE_DEC, q, 2, T_POOL);
	assert_no_violation(r);
	assert_int_equal(r.detail, TALLY_OBJD_UNKNOWN);
	assert_int_equal(mem.types[T_POOL].dec_unknown, 1);
	assert_int_equal(mem.hdr->violations, 0);
	/* such a type's books are never complete */
	assert_false(books_type_complete(&mem, T_POOL));

	/* but one that was freed (not just back to 0) is really gone */
	call(TALLY_ROLE_NEW, 0xb200, 1, T_POOL);
	call(TALLY_ROLE_FREE, 0xb200, 2, T_POOL);
	r = call(TALLY_ROLE_INC, 0xb200, 3, T_POOL);
	assert_int_equal(r.violation, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(r.certain, 0);
	assert_int_equal(mem.hdr->violations, 1);
}

/* ---- sink and take ------------------------------------------------------------- */

static void sink_of_a_floating_object_keeps_the_count(void **state)
{
	const uint64_t a = 0xc000;

	NEW(a, 1);
	struct book_result r = call_full(TALLY_ROLE_SINK, a, 2, T_PLAIN, TID, 1, 1, seq);
	assert_int_equal(r.detail, TALLY_OBJD_SUNK);
	assert_int_equal(r.net, 1);
	assert_no_violation(r);
	assert_int_equal(obj(a)->net, 1);
	assert_int_equal(cell_net(obj(a), 2), 0);
	assert_false(obj(a)->flags & TALLY_OBJF_FLOATING);

	/* not floating (any more): an ordinary reference */
	r = call_full(TALLY_ROLE_SINK, a, 2, T_PLAIN, TID, 0, 1, seq);
	assert_int_equal(r.detail, TALLY_OBJD_BOOKED);
	assert_int_equal(r.net, 2);
	assert_int_equal(cell_net(obj(a), 2), 1);

	/* floating, but its creation was not seen: the reference taken
	 * over is booked where it was sunk */
	r = call_full(TALLY_ROLE_SINK, 0xc100, 3, T_PLAIN, TID, 1, 1, seq);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(r.net, 1);
	assert_int_equal(cell_net(obj(0xc100), 3), 1);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 1);
	assert_int_equal(mem.hdr->objects_live, 2);
}

static void take_keeps_the_count(void **state)
{
	const uint64_t a = 0xd000;

	NEW(a, 1);
	struct book_result r = call(TALLY_ROLE_TAKE, a, 2, T_PLAIN);
	assert_int_equal(r.detail, TALLY_OBJD_SUNK);
	assert_int_equal(r.net, 1);
	assert_int_equal(obj(a)->net, 1);
	assert_int_equal(cells_used(obj(a)), 1);

	r = call(TALLY_ROLE_TAKE, 0xd100, 3, T_PLAIN);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(r.net, 1);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 1);
}

/* ---- creations nested in creations ---------------------------------------------- */

static void a_nested_creation_is_booked_once(void **state)
{
	const uint64_t a = 0xe000;

	/* g_object_new (outer, stack 1) calls g_object_new_valist (inner,
	 * stack 2): the inner returns first and opens the books. */
	uint64_t outer_began = seq;
	seq += 3;   /* events of the outer call's own work */
	assert_int_equal(call_full(TALLY_ROLE_NEW, a, 2, T_PLAIN, TID, 0, 1, seq).detail,
	                 TALLY_OBJD_OPENED);
	struct book_result r = call_full(TALLY_ROLE_NEW, a, 1, T_PLAIN, TID, 0, 1, outer_began);
	assert_int_equal(r.detail, TALLY_OBJD_BOOKED);
	assert_int_equal(r.net, 1);
	assert_no_violation(r);
	assert_int_equal(mem.types[T_PLAIN].created, 1);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 0);
	assert_int_equal(mem.hdr->objects_live, 1);
	assert_int_equal(obj(a)->net, 1);
	/* made where the outermost creator was called */
	assert_int_equal(obj(a)->create_stack, 1);
	assert_int_equal(cell_net(obj(a), 1), 1);
	assert_int_equal(cell_net(obj(a), 2), 0);
	assert_cells_add_up(obj(a));
	assert_int_equal(stack_entry(1)->obj_created, 1);
	assert_int_equal(stack_entry(2)->obj_created, 0);
	assert_true(books_type_complete(&mem, T_PLAIN));

	/* new(2) nested the same way moves both references */
	const uint64_t b = 0xe100;
	outer_began = seq;
	call_full(TALLY_ROLE_NEW, b, 6, T_OTHER, TID, 0, 2, seq);
	r = call_full(TALLY_ROLE_NEW, b, 5, T_OTHER, TID, 0, 2, outer_began);
	assert_int_equal(r.net, 2);
	assert_int_equal(obj(b)->create_stack, 5);
	assert_int_equal(cell_net(obj(b), 5), 2);
	assert_int_equal(cell_net(obj(b), 6), 0);
	assert_int_equal(mem.types[T_OTHER].created, 1);
	assert_int_equal(stack_entry(5)->obj_created, 1);
	assert_int_equal(stack_entry(6)->obj_created, 0);

	/* Another thread's creation at an address with open books: the
	 * object there died unseen. */
	r = call_full(TALLY_ROLE_NEW, a, 3, T_PLAIN, TID + 1, 0, 1, seq);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(mem.types[T_PLAIN].created, 2);
	assert_int_equal(mem.types[T_PLAIN].dec_unknown, 1);
	assert_int_equal(obj(a)->create_stack, 3);
	assert_int_equal(obj(a)->tid, TID + 1);
	assert_int_equal(cells_used(obj(a)), 1);
	assert_int_equal(mem.hdr->objects_live, 2);
	assert_int_equal(stack_entry(1)->obj_closed, 1);

	/* The same thread, but the books were opened before this call began:
	 * a new object too. */
	r = call_full(TALLY_ROLE_NEW, a, 4, T_PLAIN, TID + 1, 0, 1, seq);
	assert_int_equal(r.detail, TALLY_OBJD_OPENED);
	assert_int_equal(mem.types[T_PLAIN].created, 3);
	assert_int_equal(obj(a)->create_stack, 4);
	assert_int_equal(mem.hdr->objects_live, 2);
}

/* ---- limits ------------------------------------------------------------------------ */

/* With no room in the spill table (here: none at all), stacks past an
 * object's own ten cells are booked without their stack. */
static void more_than_ten_stacks_go_unstacked_when_nothing_can_spill(void **state)
{
	const uint64_t a = 0xf000;

	mem.hdr->max_spill = 0;

	NEW(a, 1);
	for (uint32_t st = 2; st <= 10; st++)
		INC(a, st);
	struct tally_object *o = obj(a);
	assert_int_equal(cells_used(o), TALLY_OBJ_CELLS);
	assert_int_equal(o->unstacked, 0);
	assert_true(books_type_complete(&mem, T_PLAIN));

	assert_int_equal(INC(a, 11).net, 11);
	assert_int_equal(INC(a, 12).net, 12);
	assert_int_equal(o->unstacked, 2);
	assert_int_equal(mem.types[T_PLAIN].unstacked, 2);
	assert_int_equal(cell_net(o, 11), 0);
	assert_cells_add_up(o);
	assert_false(books_type_complete(&mem, T_PLAIN));

	/* a stack with a cell still books there */
	assert_int_equal(INC(a, 5).net, 13);
	assert_int_equal(cell_net(o, 5), 2);
	assert_int_equal(o->unstacked, 2);
	/* a decrement with no cell: unstacked too */
	DEC(a, 11);
	assert_int_equal(o->unstacked, 1);
	/* a cell back at 0 is given to the next stack that needs one */
	DEC(a, 3);
	assert_int_equal(cell_net(o, 3), 0);
	INC(a, 13);
	assert_int_equal(cell_net(o, 13), 1);
	assert_int_equal(cells_used(o), TALLY_OBJ_CELLS);
	assert_int_equal(o->unstacked, 1);
	assert_int_equal(o->net, 12);
	assert_cells_add_up(o);
}

static void a_full_window_leaves_an_object_untracked(void **state)
{
	uint64_t c[18];

	colliding(c, 18, 20);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(NEW(c[i], 1).detail, TALLY_OBJD_OPENED);
		assert_int_equal(books_find(&mem, c[i]), 20 + i);
	}
	assert_true(books_type_complete(&mem, T_PLAIN));
	struct book_result r = NEW(c[16], 2);
	assert_int_equal(r.detail, TALLY_OBJD_UNTRACKED);
	assert_no_violation(r);
	assert_int_equal(books_find(&mem, c[16]), -1);
	assert_int_equal(mem.hdr->objects_untracked, 1);
	assert_int_equal(mem.types[T_PLAIN].untracked, 1);
	assert_int_equal(mem.hdr->objects_live, 16);
	assert_false(books_type_complete(&mem, T_PLAIN));
	/* its references find no books either */
	assert_int_equal(INC(c[16], 3).detail, TALLY_OBJD_UNTRACKED);
	assert_int_equal(mem.types[T_PLAIN].untracked, 2);
	assert_int_equal(DEC(c[16], 3).detail, TALLY_OBJD_UNKNOWN);
	/* an address whose window starts one further has room */
	uint64_t d;
	colliding(&d, 1, 21);
	assert_int_equal(NEW(d, 1).detail, TALLY_OBJD_OPENED);
	assert_int_equal(books_find(&mem, d), 36);

	/* once one closes, the window has room again */
	DEC(c[4], 4);
	assert_int_equal(NEW(c[17], 1).detail, TALLY_OBJD_OPENED);
	assert_int_equal(books_find(&mem, c[17]), 24);

	/* windows wrap around the end of the table */
	uint64_t w[16];
	colliding(w, 16, MAX_OBJECTS - 2);
	for (int i = 0; i < 16; i++)
		assert_int_equal(NEW(w[i], 1).detail, TALLY_OBJD_OPENED);
	assert_int_equal(books_find(&mem, w[0]), MAX_OBJECTS - 2);
	assert_int_equal(books_find(&mem, w[2]), 0);
	assert_int_equal(books_find(&mem, w[15]), 13);
}

/* ---- threads ------------------------------------------------------------------------- */

struct racer {
	uint32_t tid;
	uint32_t stack;
	struct book_result res;
};

static void *first_sight(void *arg)
{
	struct racer *r = arg;
	struct book_op op = {
		.addr = 0x11000, .role = TALLY_ROLE_INC, .type = T_PLAIN, .refs = 1,
		.stack = r->stack, .tid = r->tid, .now_ns = 1, .serial = r->tid, .call_seq = 0,
	};
	books_apply(&mem, &op, &r->res);
	return NULL;
}

static void two_threads_first_seeing_one_object_count_it_once(void **state)
{
	/* Two threads take a reference to an object the books do not know,
	 * at the same moment: both look it up, find nothing and go to open
	 * its books; the claim lock (held here, as by a third thread opening
	 * another object) lets them through one after the other.  The second
	 * finds the books opened and books on them: one object, first seen
	 * once. */
	struct racer r[2] = { { 2001, 7, { 0 } }, { 2002, 8, { 0 } } };
	pthread_t t[2];

	mem.hdr->object_lock = 3000;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, first_sight, &r[i]), 0);
	/* Let both look and wait for the lock: 200 ms, or until both have
	 * counted the object as first seen (what a lookup then open does). */
	struct timespec pause = { 0, 1000000 };
	for (int ms = 0; ms < 200; ms++) {
		if (__atomic_load_n(&mem.types[T_PLAIN].first_seen_inc, __ATOMIC_RELAXED) >= 2)
			break;
		nanosleep(&pause, NULL);
	}
	nanosleep(&pause, NULL);
	__atomic_store_n(&mem.hdr->object_lock, 0, __ATOMIC_RELEASE);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);

	struct tally_object *o = obj(0x11000);
	assert_int_equal(o->net, 2);
	assert_int_equal(cell_net(o, 7), 1);
	assert_int_equal(cell_net(o, 8), 1);
	assert_int_equal(mem.hdr->objects_live, 1);
	assert_int_equal(r[0].res.detail + r[1].res.detail, TALLY_OBJD_OPENED + TALLY_OBJD_BOOKED);
	assert_int_equal(mem.types[T_PLAIN].first_seen_inc, 1);
}

#define THREADS 8
#define SHARED 4
#define OPS 100000
#define STACK_CREATE 1u
#define STACKS 4            /* the threads' stacks: 2 .. 5 */
#define PRIVATE_EVERY 64    /* ops between objects of a thread's own */

static const uint64_t shared_addr[SHARED] = { 0x10010, 0x20020, 0x30030, 0x40040 };
static pthread_barrier_t go;

struct worker {
	uint32_t tid;
	uint64_t rng;
	int64_t delta[SHARED][STACKS];  /* net booked per object and stack */
	unsigned privates;              /* objects of its own opened and closed */
	unsigned bad;                   /* results that were not as expected */
	char why[160];
};

static uint32_t next_rand(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (uint32_t)(w->rng >> 16);
}

/* One call from a thread: its own serial and clock, no shared counters. */
static struct book_result thread_call(struct worker *w, uint8_t role, uint64_t addr,
                                      uint32_t stack, uint64_t serial)
{
	struct book_op op = {
		.addr = addr, .role = role, .type = T_PLAIN, .refs = 1, .stack = stack,
		.tid = w->tid, .now_ns = (int64_t)serial, .serial = serial, .call_seq = serial - 1,
	};
	struct book_result res;
	/* Odd threads first try the usual path, as a full event area does. */
	int usual = (w->tid & 1) && (role == TALLY_ROLE_INC || role == TALLY_ROLE_DEC)
	                    ? books_apply_usual(&mem, addr, role, stack, w->tid, (int64_t)serial, &res)
	                    : 0;
	if (usual == 1) {   /* booked, nothing to report: as hooks_ref.c fills it */
		res.detail = TALLY_OBJD_BOOKED;
		res.violation = 0;
		res.certain = 0;
		res.released = 0;
	} else if (usual == 0) {
		books_apply(&mem, &op, &res);
	}
	/* the call returns at once (as ref_hook_post tells the books) */
	if (res.released)
		books_release_returned(&mem, res.released, w->tid);
	return res;
}

static void expect(struct worker *w, int ok, const char *what, uint64_t addr)
{
	if (!ok && w->bad++ == 0)
		snprintf(w->why, sizeof(w->why), "thread %u: %s on 0x%llx", w->tid, what,
		         (unsigned long long)addr);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int held[SHARED] = { 0 };
	uint64_t serial = (uint64_t)w->tid << 32;

	pthread_barrier_wait(&go);
	for (unsigned n = 0; n < OPS; n++) {
		uint32_t x = next_rand(w);
		unsigned o = x % SHARED, st = (x >> 4) % STACKS;
		int inc = held[o] == 0 || ((x >> 8) & 1);
		struct book_result r = thread_call(w, inc ? TALLY_ROLE_INC : TALLY_ROLE_DEC,
		                                   shared_addr[o], 2 + st, ++serial);
		held[o] += inc ? 1 : -1;
		w->delta[o][st] += inc ? 1 : -1;
		/* the owner's reference is never dropped: nothing closes */
		expect(w, r.detail == TALLY_OBJD_BOOKED && !r.violation && r.net >= 1 + !!inc,
		       "a shared reference not booked", shared_addr[o]);

		if (n % PRIVATE_EVERY == 0) {
			/* an object of its own, made where another thread's
			 * was a moment ago: slots open and close concurrently */
			uint64_t p = 0x900000ull + (uint64_t)((n / PRIVATE_EVERY) % 8) * 0x10000 +
			             w->tid * 16u;
			uint32_t pst = 10 + w->tid % 8;
			r = thread_call(w, TALLY_ROLE_NEW, p, pst, ++serial);
			expect(w, r.detail == TALLY_OBJD_OPENED && r.net == 1, "not opened", p);
			r = thread_call(w, TALLY_ROLE_INC, p, pst + 10, ++serial);
			expect(w, r.detail == TALLY_OBJD_BOOKED && r.net == 2, "not booked", p);
			r = thread_call(w, TALLY_ROLE_DEC, p, pst + 20, ++serial);
			expect(w, r.detail == TALLY_OBJD_BOOKED && r.net == 1, "not booked", p);
			r = thread_call(w, TALLY_ROLE_DEC, p, pst + 20, ++serial);
			expect(w, r.detail == TALLY_OBJD_CLOSED && r.net == 0 && !r.violation,
			       "not closed", p);
			w->privates++;
		}
	}
	/* balanced at the end, dropped from any of its stacks */
	for (unsigned o = 0; o < SHARED; o++)
		while (held[o] > 0) {
			unsigned st = next_rand(w) % STACKS;
			struct book_result r = thread_call(w, TALLY_ROLE_DEC, shared_addr[o], 2 + st,
			                                   ++serial);
			expect(w, r.detail == TALLY_OBJD_BOOKED && !r.violation, "a final drop",
			       shared_addr[o]);
			held[o]--;
			w->delta[o][st]--;
		}
	return NULL;
}

/* More stacks than cells, each going back to 0 at once: cells are claimed,
 * given back and claimed again by other stacks all the time, from four
 * threads. */
#define CHURN_THREADS 4
#define CHURN_STACKS 14     /* stacks 2 .. 15: more than the cells */
#define CHURN_OPS 200000

struct churner {
	uint32_t tid;
	uint64_t rng;
	unsigned bad;
	char why[160];
};

static void *churn_main(void *arg)
{
	struct churner *c = arg;
	struct worker w = { .tid = c->tid, .rng = c->rng };
	uint64_t serial = (uint64_t)c->tid << 32;
	int held[CHURN_STACKS] = { 0 };

	pthread_barrier_wait(&go);
	for (unsigned n = 0; n < CHURN_OPS; n++) {
		unsigned st = next_rand(&w) % CHURN_STACKS;
		int inc = held[st] == 0 || (next_rand(&w) & 1);
		struct book_result r = thread_call(&w, inc ? TALLY_ROLE_INC : TALLY_ROLE_DEC,
		                                   shared_addr[0], 2 + st, ++serial);
		held[st] += inc ? 1 : -1;
		expect(&w, r.detail == TALLY_OBJD_BOOKED && !r.violation, "not booked",
		       shared_addr[0]);
	}
	for (unsigned st = 0; st < CHURN_STACKS; st++)
		for (; held[st] > 0; held[st]--)
			thread_call(&w, TALLY_ROLE_DEC, shared_addr[0], 2 + st, ++serial);
	c->bad = w.bad;
	memcpy(c->why, w.why, sizeof(c->why));
	return NULL;
}

static void a_stack_never_holds_two_cells_while_cells_are_reused(void **state)
{
	static struct churner churners[CHURN_THREADS];
	pthread_t t[CHURN_THREADS];

	assert_int_equal(NEW(shared_addr[0], STACK_CREATE).detail, TALLY_OBJD_OPENED);
	pthread_barrier_init(&go, NULL, CHURN_THREADS);
	for (unsigned i = 0; i < CHURN_THREADS; i++) {
		churners[i] = (struct churner){ .tid = 2000 + i,
		                                .rng = 0x2545f4914f6cdd1dull * (i + 1) };
		assert_int_equal(pthread_create(&t[i], NULL, churn_main, &churners[i]), 0);
	}
	for (unsigned i = 0; i < CHURN_THREADS; i++) {
		pthread_join(t[i], NULL);
		if (churners[i].bad)
			fail_msg("%u unexpected results, the first: %s", churners[i].bad,
			         churners[i].why);
	}
	pthread_barrier_destroy(&go);

	struct tally_object *ob = obj(shared_addr[0]);
	assert_int_equal(ob->net, 1);
	assert_cells_add_up(ob);
	for (uint32_t st = 1; st < 2 + CHURN_STACKS; st++) {
		unsigned cells = 0;
		for (unsigned c = 0; c < TALLY_OBJ_CELLS; c++)
			cells += TALLY_CELL_STACK(ob->cells[c]) == st;
		if (cells > 1)
			fail_msg("stack %u holds %u cells", st, cells);
	}
	assert_int_equal(mem.hdr->object_lock, 0);
}

static void threads_share_objects_and_every_reference_is_booked(void **state)
{
	static struct worker workers[THREADS];
	pthread_t t[THREADS];

	for (unsigned o = 0; o < SHARED; o++)
		assert_int_equal(NEW(shared_addr[o], STACK_CREATE).detail, TALLY_OBJD_OPENED);
	memset(workers, 0, sizeof(workers));
	pthread_barrier_init(&go, NULL, THREADS);
	for (unsigned i = 0; i < THREADS; i++) {
		workers[i].tid = 1000 + i;
		workers[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &workers[i]), 0);
	}
	unsigned privates = 0;
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		if (workers[i].bad)
			fail_msg("%u unexpected results, the first: %s", workers[i].bad, workers[i].why);
		privates += workers[i].privates;
	}
	pthread_barrier_destroy(&go);

	for (unsigned o = 0; o < SHARED; o++) {
		struct tally_object *ob = obj(shared_addr[o]);
		assert_int_equal(ob->state, TALLY_OBJ_LIVE);
		assert_int_equal(ob->net, 1);
		assert_cells_add_up(ob);
		/* per stack: what the threads booked there, in one cell (threads
		 * booking a stack's first reference at once must not each take
		 * a cell for it), the creation's reference at its own */
		assert_int_equal(cell_net(ob, STACK_CREATE), 1);
		assert_int_equal(ob->unstacked, 0);
		for (unsigned st = 0; st < STACKS; st++) {
			int64_t want = 0;
			for (unsigned i = 0; i < THREADS; i++)
				want += workers[i].delta[o][st];
			assert_int_equal(cell_net(ob, 2 + st), want);
			unsigned cells = 0;
			for (unsigned c = 0; c < TALLY_OBJ_CELLS; c++)
				cells += TALLY_CELL_STACK(ob->cells[c]) == 2 + st;
			assert_true(cells <= 1);
		}
	}
	/* no slot leaked: the shared objects are the only live ones */
	assert_int_equal(mem.hdr->objects_live, SHARED);
	unsigned live = 0;
	for (unsigned s = 0; s < MAX_OBJECTS; s++)
		live += mem.objects[s].state == TALLY_OBJ_LIVE;
	assert_int_equal(live, SHARED);
	assert_int_equal(mem.hdr->object_lock, 0);
	const struct tally_type *ty = &mem.types[T_PLAIN];
	assert_int_equal(ty->created, SHARED + privates);
	assert_int_equal(ty->freed, privates);
	assert_int_equal(ty->first_seen_inc + ty->dec_unknown + ty->untracked + ty->nested, 0);
	assert_int_equal(mem.hdr->objects_untracked, 0);
	assert_int_equal(mem.hdr->violations, 0);
	assert_true(privates >= THREADS * (OPS / PRIVATE_EVERY));
}

/* A signal handler jumped out of this thread's work on the books: the
 * claim lock it held is freed, every type gets a blind spot; another
 * thread's lock is left alone. */
static void abandoned_work_frees_the_claim_lock(void **state)
{
	(void)state;
	__atomic_store_n(&mem.hdr->object_lock, TID + 1, __ATOMIC_RELAXED);   /* another's */
	books_abandoned(&mem, TID);
	assert_int_equal(mem.hdr->object_lock, TID + 1);
	assert_int_equal(mem.types[T_PLAIN].nested, 0);
	__atomic_store_n(&mem.hdr->object_lock, TID, __ATOMIC_RELAXED);       /* ours */
	books_abandoned(&mem, TID);
	assert_int_equal(mem.hdr->object_lock, 0);
	for (uint32_t t = 0; t < mem.hdr->types_used; t++)
		assert_int_equal(mem.types[t].nested, 1);
	NEW(0x9000, 1);   /* the books open again, no wait */
	assert_true(books_find(&mem, 0x9000) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(abandoned_work_frees_the_claim_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(new_opens_a_slot_with_the_creation_cell, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(inc_and_dec_book_per_stack_and_net, setup, teardown),
		cmocka_unit_test_setup_teardown(the_usual_path_books_only_what_keeps_the_books_open,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(dec_to_zero_closes_the_books, setup, teardown),
		cmocka_unit_test_setup_teardown(a_released_slot_is_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(released_slots_closed_in_one_tick_are_reused_oldest_first,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(free_closes_whatever_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(first_seen_inc_opens_books_of_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(dec_of_an_unknown_object_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(reference_after_release_is_certain_on_complete_books,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(stacks_past_the_ten_cells_spill_and_their_entries_are_reused,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_release_returns_for_its_own_object_only, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_released_address_reused_by_another_type_is_no_violation,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(unseen_new_types_take_a_released_address_as_a_new_object,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_drop_before_a_shared_creation_is_booked_waits_for_it,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(no_violation_is_certain_while_a_creation_is_under_way,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_release_the_table_cannot_count_stays_marked,
		                                setup_many_slots, teardown),
		cmocka_unit_test_setup_teardown(a_reference_while_the_release_is_under_way_revives_the_books,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_violation_on_incomplete_books_is_not_certain, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(underflow_of_live_books, setup, teardown),
		cmocka_unit_test_setup_teardown(violations_are_counted_on_their_type, setup, teardown),
		cmocka_unit_test_setup_teardown(resurrecting_types_do_not_violate, setup, teardown),
		cmocka_unit_test_setup_teardown(sink_of_a_floating_object_keeps_the_count, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(take_keeps_the_count, setup, teardown),
		cmocka_unit_test_setup_teardown(a_nested_creation_is_booked_once, setup, teardown),
		cmocka_unit_test_setup_teardown(more_than_ten_stacks_go_unstacked_when_nothing_can_spill,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_full_window_leaves_an_object_untracked, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(two_threads_first_seeing_one_object_count_it_once, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(threads_share_objects_and_every_reference_is_booked,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_stack_never_holds_two_cells_while_cells_are_reused,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
