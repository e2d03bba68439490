/*
 * Unit test of analyzer/books.c and analyzer/balance.c: the reference-count
 * part of the report, on logs whose object books are written by hand the
 * way format.h describes them, with stacks that are real: the "program"
 * below (distinct noipa functions, one reference call per line) captures
 * its own call stacks with backtrace(), so that the verdicts name real
 * functions and lines of this file, through the same symbolizer the report
 * uses.
 *
 * Known answers: groups by type and creation stack with the stack table's
 * counts; balanced subtrees pruned; the example gateway's shape (two
 * increments per packet, one decrement, and a reference handed over to a
 * thread) names relay_packet_take_refs with both lines, "5 of 5"; a simple
 * leak names its one line; the owner's creation reference discounted for a
 * running process, not at a normal exit; two leaks give two verdicts, the
 * larger first; sockets made beside a leaked group linked only on the same
 * thread; violations grouped; a log without rules adds nothing.
 *
 * TALLY_TEST_SHOW=1 prints the text report of the gateway-shaped log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <execinfo.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "refbooks.h"   /* not shim/books.h, the writer's side */
#include "depot.h"
#include "logfile.h"
#include "logread.h"
#include "tallies.h"
#include "memlog.h"
#include "modules.h"
#include "report.h"

/* cmocka 1.1's assert_string_equal crashes on NULL: fail cleanly instead. */
#define assert_str(a, b) do { assert_non_null(a); assert_string_equal(a, b); } while (0)

static char dir[64];
static struct tally_log lg;     /* the log the tests write */

static int setup(void **state)
{
	char pattern[128];
	struct tally_settings s = memlog_settings(256, 32, 4u << 20);

	s.max_modules = 64;   /* every library this test loads */
	(void)state;
	if (memlog_mkdir(dir, sizeof(dir)) != 0)
		return -1;
	snprintf(pattern, sizeof(pattern), "%s/t.%%p", dir);
	if (log_create(&lg, &s, pattern) != 0)
		return -1;
	modules_rescan(&lg);     /* this program and its libraries */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_unmap(&lg);
	memset(&lg, 0, sizeof(lg));
	return nftw(dir, memlog_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the program: its calls and their stacks --------------------------- */

enum what { NEW_CALL, REF_CALL, UNREF_CALL, SOCKET_CALL };

/* One call of a reference function (or socket()), as the shim would see
 * it: the stack of the call, and the line it was made on. */
struct call {
	enum what what;
	uint32_t stack;
	int line;
	uint32_t tid;
};

static struct call calls[64];
static unsigned ncalls;

/* Interns the stack of the call to the function calling record(), from the
 * return address in that call's caller outwards, as the shim strips its
 * own frames. */
static __attribute__((noinline)) void record(enum what what, int line)
{
	void *buf[64];
	uint64_t frames[64];
	int n = backtrace(buf, 64);
	unsigned depth = 0;

	/* buf[0] is in record, buf[1] in the reference function */
	for (int i = 2; i < n && depth < lg.hdr->depth; i++)
		frames[depth++] = (uint64_t)(uintptr_t)buf[i];
	assert_true(ncalls < 64);
	calls[ncalls].what = what;
	calls[ncalls].stack = depot_intern(&lg, lg.hdr->module_generation, frames, depth);
	calls[ncalls].line = line;
	calls[ncalls].tid = (uint32_t)gettid();
	ncalls++;
}

#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

/* The reference functions and socket(). */
static __attribute__((noipa)) void pub_new(int line) { record(NEW_CALL, line); KEEP_FRAME(); }
static __attribute__((noipa)) void pub_ref(int line) { record(REF_CALL, line); KEEP_FRAME(); }
static __attribute__((noipa)) void pub_unref(int line) { record(UNREF_CALL, line); KEEP_FRAME(); }
static __attribute__((noipa)) void sock_open(int line) { record(SOCKET_CALL, line); KEEP_FRAME(); }

/* The example gateway's shape (examples/relay.c, room.c): the room makes
 * the publisher and starts its thread, which takes two references per
 * packet and drops one, and at its end drops the one relay_start took for
 * it; the room drops its own at removal. */
static __attribute__((noipa)) void relay_packet_take_refs(void)
{
	pub_ref(__LINE__);
	pub_ref(__LINE__);
	KEEP_FRAME();
}

static __attribute__((noipa)) void relay_hand_on(void)
{
	pub_unref(__LINE__);
	KEEP_FRAME();
}

static __attribute__((noipa)) void relay_loop(void)
{
	relay_packet_take_refs();
	relay_hand_on();
	KEEP_FRAME();
}

static __attribute__((noipa)) void *relay_thread(void *arg)
{
	relay_loop();
	pub_unref(__LINE__);
	KEEP_FRAME();
	return arg;
}

static __attribute__((noipa)) void relay_start(void)
{
	pthread_t t;

	pub_ref(__LINE__);
	assert_int_equal(pthread_create(&t, NULL, relay_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	KEEP_FRAME();
}

static __attribute__((noipa)) void room_add(void)
{
	pub_new(__LINE__);
	relay_start();
	KEEP_FRAME();
}

static __attribute__((noipa)) void room_remove(void)
{
	pub_unref(__LINE__);
	KEEP_FRAME();
}

/* Simpler programs. */
static __attribute__((noipa)) void make_object(void) { pub_new(__LINE__); KEEP_FRAME(); }
static __attribute__((noipa)) void keep_one(void) { pub_ref(__LINE__); KEEP_FRAME(); }
static __attribute__((noipa)) void keep_other(void) { pub_ref(__LINE__); KEEP_FRAME(); }

static __attribute__((noipa)) void borrow(void)
{
	pub_ref(__LINE__);
	pub_unref(__LINE__);
	KEEP_FRAME();
}

static __attribute__((noipa)) void port_pair_open(void) { sock_open(__LINE__); KEEP_FRAME(); }

static __attribute__((noipa)) void room_add_ports(void)
{
	port_pair_open();
	pub_new(__LINE__);
	KEEP_FRAME();
}

/* The index of the k-th call of a kind (k from 0). */
static unsigned call_of(enum what what, unsigned k)
{
	for (unsigned i = 0; i < ncalls; i++)
		if (calls[i].what == what && k-- == 0)
			return i;
	fail_msg("no call %d #%u", what, k);
	return 0;
}

/* ---- writing the books by hand ------------------------------------------- */

static uint16_t add_type(const char *name)
{
	uint16_t t = (uint16_t)lg.hdr->types_used++;
	snprintf(lg.types[t].name, sizeof(lg.types[t].name), "%s", name);
	return t;
}

static void add_rule(const char *fn, uint8_t role, uint16_t type, uint32_t flags, uint64_t calls_seen)
{
	struct tally_rule *r = &lg.rules[lg.hdr->rules_used++];
	snprintf(r->function, sizeof(r->function), "%s", fn);
	r->role = role;
	r->type = type;
	r->flags = flags;
	r->got_sites = 1;
	r->entries = flags & TALLY_RULEF_FOUND ? 1 : 0;
	r->calls = calls_seen;
}

/* A live object in slot `slot`, made by a NEW at calls[create]: cells
 * (call index, net) for n of them. */
static void put_object(unsigned slot, uint16_t type, unsigned create, const unsigned *at,
                       const int32_t *net, unsigned n, int64_t time_ns)
{
	struct tally_object *o = &lg.objects[slot];
	int32_t sum = 0;

	assert_true(slot < lg.hdr->max_objects && n <= TALLY_OBJ_CELLS);
	memset(o, 0, sizeof(*o));
	o->serial = slot + 1;
	o->time_ns = time_ns;
	o->create_stack = calls[create].stack;
	o->tid = calls[create].tid;
	o->type = type;
	o->flags = TALLY_OBJF_CREATED;
	for (unsigned i = 0; i < n; i++) {
		o->cells[i] = TALLY_CELL(calls[at[i]].stack, net[i]);
		sum += net[i];
	}
	o->net = sum;
	o->state = TALLY_OBJ_LIVE;
	lg.objkeys[slot] = 0x7f0000001000ull + slot * 0x100;
	lg.hdr->objects_live++;
}

static void put_event(const struct tally_event *ev)
{
	uint64_t seq = lg.hdr->events_claimed++;
	struct tally_event e = *ev;

	e.check = 0;
	e.check = tally_event_check(&e, seq);
	lg.events[seq] = e;
}

/* A violation as the shim records it: an event, and a count in the
 * tallies (which the report takes its numbers from). */
static void put_violation(const struct tally_event *ev)
{
	put_event(ev);
	int type = ev->arg == TALLY_VIOL_DOUBLE_CLOSE ? -1 : ev->u.obj.type;
	tallies_add(&lg, TALLY_EV_VIOLATION,
	            TALLY_VIOL_DETAIL(ev->arg, ev->u.obj.detail & TALLY_OBJD_CERTAIN, type),
	            ev->stack_id, ev->time_ns);
}

/* ---- reading it back -------------------------------------------------------- */

struct report_run {
	struct logread lr;
	struct analysis a;
	struct symbolizer *sym;
	struct books b;
};

static void books_open(struct report_run *r)
{
	char err[256];

	assert_int_equal(logread_open(&r->lr, lg.path, err, sizeof(err)), 0);
	uint32_t nmod = r->lr.hdr.modules_used < r->lr.hdr.max_modules ? r->lr.hdr.modules_used
	                                                               : r->lr.hdr.max_modules;
	r->sym = symbolizer_new(r->lr.modules, nmod);
	assert_non_null(r->sym);
	analysis_build(&r->a, &r->lr);
	books_build(&r->b, &r->a, r->sym);
	r->a.books = &r->b;
}

static void books_close(struct report_run *r)
{
	books_free(&r->b);
	analysis_free(&r->a);
	symbolizer_free(r->sym);
	logread_close(&r->lr);
}

/* The report as a string to g_free. */
static char *render(struct report_run *r, bool json)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	struct report_opts o = { 20, 16 };

	assert_non_null(out);
	if (json)
		report_json(out, &r->a, r->sym, NULL);
	else
		report_text(out, &r->a, r->sym, &o, NULL);
	fclose(out);
	char *copy = g_strndup(buf, size);
	free(buf);
	return copy;
}

static void expect_in(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("report lacks\n  %s\nit was:\n%s", want, text);
}

static const struct book_verdict *verdict(const struct report_run *r, guint i)
{
	assert_true(i < r->b.verdicts->len);
	return r->b.verdicts->pdata[i];
}

static const struct tally_frame_info *candidate(const struct book_verdict *v, guint i)
{
	assert_true(i < v->candidates->len);
	return &g_array_index(v->candidates, struct tally_frame_info, i);
}

/* ---- tests ------------------------------------------------------------------ */

/* Two types, two creation stacks: three groups, most alive first, with the
 * stack table's created/freed. */
static void objects_are_grouped_by_type_and_creation_stack(void **state)
{
	struct report_run r;

	(void)state;
	ncalls = 0;
	make_object();                              /* 0 */
	room_add_ports();                           /* 1: socket, 2: new */
	uint16_t pub = add_type("gw_publisher"), sess = add_type("session");
	add_rule("pub_new", TALLY_ROLE_NEW, pub, TALLY_RULEF_FOUND, 6);
	depot_entry(&lg, calls[0].stack)->obj_created = 9;
	depot_entry(&lg, calls[0].stack)->obj_closed = 6;
	depot_entry(&lg, calls[2].stack)->obj_created = 2;
	lg.types[pub].created = 11;
	lg.types[pub].freed = 6;
	unsigned at0[] = { 0 }, at2[] = { 2 };
	int32_t one[] = { 1 };
	for (unsigned i = 0; i < 3; i++)
		put_object(i, pub, 0, at0, one, 1, mono_now());
	put_object(3, pub, 2, at2, one, 1, mono_now());
	put_object(4, sess, 0, at0, one, 1, mono_now());
	lg.hdr->exit_state = TALLY_EXITED;

	books_open(&r);
	assert_int_equal(r.b.types->len, 2);
	assert_int_equal(r.b.live, 5);
	const struct book_type *t0 = r.b.types->pdata[0];
	assert_str(t0->t.name, "gw_publisher");
	assert_int_equal(t0->live, 4);
	assert_true(t0->complete);
	assert_int_equal(t0->groups->len, 2);
	const struct book_group *g0 = t0->groups->pdata[0], *g1 = t0->groups->pdata[1];
	assert_int_equal(g0->stack_id, calls[0].stack);
	assert_int_equal(g0->live, 3);
	assert_int_equal(g0->created, 9);
	assert_int_equal(g0->freed, 6);
	assert_int_equal(g1->stack_id, calls[2].stack);
	assert_int_equal(g1->live, 1);
	assert_int_equal(g1->created, 2);
	const struct book_type *t1 = r.b.types->pdata[1];
	assert_str(t1->t.name, "session");
	assert_int_equal(t1->groups->len, 1);
	assert_int_equal(((const struct book_group *)t1->groups->pdata[0])->live, 1);
	/* at a normal exit the creation reference is a leak */
	assert_false(r.b.discount_owner);
	assert_int_equal(r.b.leaked, 5);
	books_close(&r);
}

/* A reference borrowed and given back under one call is balanced: its
 * subtree is pruned; the one kept by 2 of the 3 objects is what is left. */
static void balanced_subtrees_are_pruned(void **state)
{
	struct report_run r;

	(void)state;
	ncalls = 0;
	make_object();   /* 0: new */
	borrow();        /* 1: ref, 2: unref */
	keep_one();      /* 3: ref */
	uint16_t pub = add_type("gw_publisher");
	unsigned at[] = { 0, 1, 2, 3 };
	int32_t keeps[] = { 1, 4, -4, 2 }, returns[] = { 1, 3, -3 };
	put_object(0, pub, 0, at, keeps, 4, mono_now());
	put_object(1, pub, 0, at, keeps, 4, mono_now());
	put_object(2, pub, 0, at, returns, 3, mono_now());
	/* running: the creation references are the owner's */

	books_open(&r);
	assert_true(r.b.discount_owner);
	const struct book_type *t = r.b.types->pdata[0];
	const struct book_group *g = t->groups->pdata[0];
	assert_int_equal(g->owner_discounted, 3);
	assert_int_equal(g->leaked, 2);
	assert_non_null(g->tree);
	const struct bal_node *n = g->tree->root;
	assert_int_equal(n->net, 4);
	assert_int_equal(n->objects, 2);
	/* one path down to the kept reference: no fork, borrow() is gone */
	unsigned depth = 0;
	while (n->children) {
		assert_int_equal(n->children->len, 1);
		n = n->children->pdata[0];
		assert_int_equal(n->net, 4);
		assert_int_equal(n->objects, 2);
		depth++;
	}
	assert_int_equal(n->self, 4);
	assert_int_equal(n->stack_id, calls[3].stack);
	assert_int_equal(g->tree->nodes, depth);

	assert_int_equal(r.b.verdicts->len, 1);
	const struct book_verdict *v = verdict(&r, 0);
	assert_str(v->function.function, "keep_one");
	assert_int_equal(v->candidates->len, 1);
	assert_int_equal(candidate(v, 0)->line, calls[3].line);
	assert_int_equal(v->v->net, 4);
	assert_int_equal(v->v->objects, 2);
	assert_null(v->dropped_by);
	books_close(&r);
}

/* The example gateway with --bug, exited: the verdict names the function
 * taking two references where one is dropped, both of its lines, and every
 * object; the room's share, handed over to the thread, is a hand-over. */
static void gateway_shape_names_both_lines_of_the_increment_function(void **state)
{
	struct report_run r;

	(void)state;
	ncalls = 0;
	room_add();      /* new, ref (relay_start); thread: ref, ref, unref, unref */
	room_remove();   /* unref */
	unsigned c_new = call_of(NEW_CALL, 0), c_start = call_of(REF_CALL, 0);
	unsigned c_a = call_of(REF_CALL, 1), c_b = call_of(REF_CALL, 2);
	unsigned c_hand = call_of(UNREF_CALL, 0), c_exit = call_of(UNREF_CALL, 1);
	unsigned c_remove = call_of(UNREF_CALL, 2);
	assert_int_not_equal(calls[c_a].tid, calls[c_new].tid);   /* a thread of its own */

	uint16_t pub = add_type("gw_publisher");
	add_rule("pub_new", TALLY_ROLE_NEW, pub, TALLY_RULEF_FOUND, 5);
	add_rule("pub_ref", TALLY_ROLE_INC, pub, TALLY_RULEF_FOUND, 305);
	add_rule("pub_unref", TALLY_ROLE_DEC, pub, TALLY_RULEF_FOUND, 160);
	add_rule("g_object_ref", TALLY_ROLE_INC, pub, 0, 0);
	lg.types[pub].created = 5;
	int64_t total = 0;
	for (unsigned i = 0; i < 5; i++) {
		int32_t packets = 10 + (int32_t)i;
		unsigned at[] = { c_new, c_start, c_a, c_b, c_hand, c_exit, c_remove };
		int32_t net[] = { 1, 1, packets, packets, -packets, -1, -1 };
		put_object(i, pub, c_new, at, net, 7, mono_now());
		total += packets;
	}
	lg.hdr->exit_state = TALLY_EXITED;

	books_open(&r);
	assert_int_equal(r.b.leaked, 5);
	assert_int_equal(r.b.verdicts->len, 1);
	assert_int_equal(r.b.handovers->len, 1);
	const struct book_verdict *v = verdict(&r, 0);
	assert_str(v->function.function, "relay_packet_take_refs");
	assert_int_equal(v->candidates->len, 2);
	assert_int_equal(candidate(v, 0)->line, calls[c_a].line);
	assert_int_equal(candidate(v, 1)->line, calls[c_b].line);
	assert_int_equal(calls[c_b].line, calls[c_a].line + 1);
	assert_non_null(candidate(v, 0)->file);
	assert_true(g_str_has_suffix(candidate(v, 0)->file, "test_books.c"));
	assert_int_equal(v->v->net, total);
	assert_int_equal(v->v->taken, 2 * total);
	assert_int_equal(v->v->dropped, total);
	assert_int_equal(v->v->objects, 5);
	assert_int_equal(v->group->live, 5);
	assert_str(v->dropped_by, "relay_hand_on");
	assert_int_equal(v->v->elsewhere, 0);
	/* the thread's own reference, dropped by the thread: set aside */
	assert_int_equal(v->v->aside->len, 1);

	/* the room took two (new, relay_start) and dropped one: the other went
	 * with the thread, a hand-over, not a leak */
	const struct book_verdict *w = r.b.handovers->pdata[0];
	assert_str(w->function.function, "room_add");
	assert_int_equal(w->v->net, 5);
	assert_int_equal(w->v->elsewhere, 5);
	assert_str(w->handed_to, "relay_thread");
	assert_str(w->dropped_by, "room_remove");

	char *text = render(&r, false);
	char want[512];
	snprintf(want, sizeof(want), "relay_packet_take_refs (%s:%d, :%d) takes 2 references for "
	         "each 1 dropped (relay_hand_on): %+" PRId64 " in 5 of 5 leaked gw_publisher",
	         candidate(v, 0)->file, calls[c_a].line, calls[c_b].line, total);
	expect_in(text, want);
	expect_in(text, "every reference still held is a leak, the creation reference included");
	expect_in(text, "references handed over (taken on one path, given back on another; not leaks)");
	expect_in(text, "(relay_thread): handed over, not leaked");
	expect_in(text, "gw_publisher: 5 created, 0 freed, 5 alive at the end, 5 leaked; books complete");
	expect_in(text, "pub_ref (inc gw_publisher): 305 calls; 1 GOT entry, 1 entry");
	expect_in(text, "warning: g_object_ref: not found in the process");
	expect_in(text, "<== imbalance");
	if (getenv("TALLY_TEST_SHOW"))
		fputs(text, stdout);
	g_free(text);

	char *json = render(&r, true);
	snprintf(want, sizeof(want), "\"verdicts\":[{\"type\":\"gw_publisher\",\"group\":0,"
	         "\"function\":\"relay_packet_take_refs\","
	         "\"within\":\"relay_packet_take_refs\",\"file\":\"%s\",\"line\":%d,",
	         candidate(v, 0)->file, calls[c_a].line);
	expect_in(json, want);
	snprintf(want, sizeof(want), "\"net\":%" PRId64 ",\"objects\":5,\"of\":5,\"candidates\":2,",
	         total);
	expect_in(json, want);
	expect_in(json, "\"owner_policy\":\"all references count\"");
	expect_in(json, "\"complete\":true");
	expect_in(json, "\"imbalance\":true");
	expect_in(json, "{\"function\":\"g_object_ref\",\"role\":\"inc\",\"type\":\"gw_publisher\"");
	if (getenv("TALLY_TEST_SHOW"))
		fputs(json, stdout);
	g_free(json);
	books_close(&r);
}

/* `objects` gw_publishers made by make_object (calls[0], one reference
 * each) that keep_one (calls[1]) took `kept` more of, never given back. */
static void publishers_keep_one_took(unsigned objects, int32_t kept)
{
	ncalls = 0;
	make_object();   /* 0 */
	keep_one();      /* 1 */
	uint16_t pub = add_type("gw_publisher");
	unsigned at[] = { 0, 1 };
	int32_t net[] = { 1, kept };
	for (unsigned i = 0; i < objects; i++)
		put_object(i, pub, 0, at, net, 2, mono_now());
}

/* One increment never given back: its function and its one line. */
static void simple_leak_names_its_line(void **state)
{
	struct report_run r;

	(void)state;
	publishers_keep_one_took(4, 3);

	books_open(&r);
	assert_int_equal(r.b.verdicts->len, 1);
	const struct book_verdict *v = verdict(&r, 0);
	assert_str(v->function.function, "keep_one");
	assert_int_equal(v->candidates->len, 1);
	assert_int_equal(candidate(v, 0)->line, calls[1].line);
	assert_int_equal(v->v->net, 12);
	assert_int_equal(v->v->objects, 4);
	char *text = render(&r, false);
	char want[256];
	snprintf(want, sizeof(want), "keep_one (%s:%d) takes 12 references never given back: +12 in "
	         "4 of 4 live gw_publisher", candidate(v, 0)->file, calls[1].line);
	expect_in(text, want);
	expect_in(text, "creation reference is presumed held by its owner and discounted");
	g_free(text);
	books_close(&r);
}

/* While the process runs (or after a kill), a verdict of one reference
 * per object may be calls in flight when the log was read (a per-packet
 * reference): it says so.  Three per object, or after a normal exit, not. */
static void one_reference_per_object_in_a_running_process_may_be_in_flight(void **state)
{
	struct report_run r;

	(void)state;
	publishers_keep_one_took(2, 1);

	books_open(&r);
	assert_int_equal(r.b.verdicts->len, 1);
	const struct book_verdict *v = verdict(&r, 0);
	assert_str(v->function.function, "keep_one");
	assert_int_equal(v->v->net, 2);
	assert_true(books_maybe_in_flight(&r.b, v->v));
	char *text = render(&r, false);
	expect_in(text, "+2 in 2 of 2 live gw_publisher; but the process did not exit: one "
	                "reference per object may be a call still in flight, not a leak");
	g_free(text);
	char *json = render(&r, true);
	expect_in(json, "\"in_flight\":true");
	g_free(json);
	books_close(&r);

	lg.hdr->exit_state = TALLY_EXITED;
	books_open(&r);
	assert_true(r.b.verdicts->len >= 1);
	assert_false(books_maybe_in_flight(&r.b, verdict(&r, 0)->v));
	text = render(&r, false);
	assert_null(strstr(text, "in flight"));
	g_free(text);
	books_close(&r);
}

/* Only the creation reference held: nothing to blame while the process
 * runs (its owner holds it); at a normal exit it is the leak. */
static void creation_reference_alone_is_the_owners_while_running(void **state)
{
	struct report_run r;
	unsigned leaked, violations;

	(void)state;
	ncalls = 0;
	make_object();
	uint16_t pub = add_type("gw_publisher");
	unsigned at[] = { 0 };
	int32_t net[] = { 1 };
	for (unsigned i = 0; i < 3; i++)
		put_object(i, pub, 0, at, net, 1, mono_now());

	books_open(&r);
	assert_int_equal(r.b.verdicts->len, 0);
	assert_int_equal(books_check(&r.b, &leaked, &violations), 0);
	assert_int_equal(leaked, 0);
	assert_int_equal(violations, 0);
	const struct book_group *g = ((const struct book_type *)r.b.types->pdata[0])->groups->pdata[0];
	assert_int_equal(g->owner_discounted, 3);
	assert_int_equal(g->tree->root->net, 0);
	assert_null(g->tree->root->children);
	char *json = render(&r, true);
	expect_in(json, "\"owner_policy\":\"creation reference discounted\"");
	expect_in(json, "\"verdicts\":[]");
	g_free(json);
	books_close(&r);

	lg.hdr->exit_state = TALLY_EXITED;
	books_open(&r);
	assert_int_equal(r.b.verdicts->len, 1);
	const struct book_verdict *v = verdict(&r, 0);
	assert_str(v->function.function, "make_object");
	assert_int_equal(candidate(v, 0)->line, calls[0].line);
	assert_int_equal(v->v->net, 3);
	assert_int_equal(books_check(&r.b, &leaked, &violations), 1);
	assert_int_equal(leaked, 3);
	books_close(&r);
}

/* Two increments never given back, in two functions: two verdicts, the
 * larger first. */
static void two_leaks_give_two_verdicts_largest_first(void **state)
{
	struct report_run r;

	(void)state;
	ncalls = 0;
	make_object();   /* 0 */
	keep_one();      /* 1 */
	keep_other();    /* 2 */
	uint16_t pub = add_type("gw_publisher");
	unsigned at[] = { 0, 1, 2 };
	int32_t net[] = { 1, 2, 5 };
	for (unsigned i = 0; i < 3; i++)
		put_object(i, pub, 0, at, net, 3, mono_now());

	books_open(&r);
	assert_int_equal(r.b.verdicts->len, 2);
	assert_str(verdict(&r, 0)->function.function, "keep_other");
	assert_int_equal(verdict(&r, 0)->v->net, 15);
	assert_int_equal(candidate(verdict(&r, 0), 0)->line, calls[2].line);
	assert_str(verdict(&r, 1)->function.function, "keep_one");
	assert_int_equal(verdict(&r, 1)->v->net, 6);
	assert_int_equal(candidate(verdict(&r, 1), 0)->line, calls[1].line);
	books_close(&r);
}

/* Two increment sites holding the same: both are candidates, in the order
 * of the code, and the JSON has one entry per site. */
static void a_tie_is_shown_as_candidates(void **state)
{
	struct report_run r;

	(void)state;
	ncalls = 0;
	make_object();             /* 0 */
	relay_packet_take_refs();  /* 1, 2 */
	uint16_t pub = add_type("gw_publisher");
	unsigned at[] = { 0, 1, 2 };
	int32_t net[] = { 1, 7, 7 };
	put_object(0, pub, 0, at, net, 3, mono_now());

	books_open(&r);
	assert_int_equal(r.b.verdicts->len, 1);
	const struct book_verdict *v = verdict(&r, 0);
	assert_str(v->function.function, "relay_packet_take_refs");
	assert_int_equal(v->candidates->len, 2);
	assert_int_equal(candidate(v, 0)->line, calls[1].line);
	assert_int_equal(candidate(v, 1)->line, calls[2].line);
	char *json = render(&r, true);
	char want[128];
	snprintf(want, sizeof(want), "\"line\":%d,", calls[1].line);
	expect_in(json, want);
	snprintf(want, sizeof(want), "\"line\":%d,", calls[2].line);
	expect_in(json, want);
	expect_in(json, "\"candidates\":2,\"taken\":14,\"site_taken\":7,");
	g_free(json);
	books_close(&r);
}

/* A socket made under the same call of room_add_ports as a leaked object,
 * on its thread: probably held by it.  On another thread: not. */
static void socket_made_beside_a_leak_on_its_thread_is_linked(void **state)
{
	struct report_run r;

	(void)state;
	ncalls = 0;
	room_add_ports();   /* 0: socket, 1: new */
	uint16_t pub = add_type("gw_publisher");
	unsigned at[] = { 1 };
	int32_t net[] = { 1 };
	int64_t t0 = mono_now();
	put_object(0, pub, 1, at, net, 1, t0);
	lg.hdr->exit_state = TALLY_EXITED;
	struct tally_fd_slot *slot = &lg.state[9];
	memset(slot, 0, sizeof(*slot));
	slot->time_ns = t0 + 100000;
	slot->stack_id = calls[0].stack;
	slot->tid = calls[1].tid;
	slot->domain = AF_INET;
	slot->type = SOCK_DGRAM;
	slot->flags = TALLY_FD_BOUND;
	slot->local.family = AF_INET;
	slot->local.port = 20000;
	slot->serial = 1;

	books_open(&r);
	const struct book_group *g = ((const struct book_type *)r.b.types->pdata[0])->groups->pdata[0];
	assert_int_equal(r.a.groups->len, 1);
	assert_int_equal(g->links->len, 1);
	const struct book_link *l = g->links->pdata[0];
	assert_int_equal(l->group, 0);
	assert_int_equal(l->fds->len, 1);
	assert_int_equal(g_array_index(l->fds, int, 0), 9);
	assert_int_equal(g_array_index(l->ports, uint16_t, 0), 20000);
	char want[256];
	snprintf(want, sizeof(want), "created on the same thread under the same call of "
	         "room_add_ports (");
	expect_in(l->reason, want);
	snprintf(want, sizeof(want), ":%d, :%d), 0.1 ms apart", calls[1].line,
	         calls[1].line - 1);
	expect_in(l->reason, want);
	char *json = render(&r, true);
	expect_in(json, "\"sockets\":[{\"group\":0,\"fds\":[9],\"ports\":[20000],\"reason\":"
	          "\"created on the same thread");
	g_free(json);
	char *text = render(&r, false);
	expect_in(text, "probably held by 1 of the 1 open inet dgram sockets of socket group 1");
	g_free(text);
	books_close(&r);

	slot->serial = 0;
	slot->tid = calls[1].tid + 1;   /* another thread */
	slot->serial = 1;
	books_open(&r);
	g = ((const struct book_type *)r.b.types->pdata[0])->groups->pdata[0];
	assert_int_equal(r.a.groups->len, 1);
	assert_int_equal(g->links->len, 0);
	books_close(&r);
}

/* Violations grouped by kind, type, stack and certainty, most first,
 * counted from the tallies; the fds of double closes from the events; the
 * header's total kept; certain ones counted for --check. */
static void violations_are_grouped(void **state)
{
	struct report_run r;
	unsigned leaked, violations;

	(void)state;
	ncalls = 0;
	keep_one();     /* 0 */
	keep_other();   /* 1 */
	borrow();       /* 2, 3 */
	uint16_t pub = add_type("gw_publisher");
	add_rule("pub_unref", TALLY_ROLE_DEC, pub, TALLY_RULEF_FOUND, 10);
	struct tally_event ev = { .kind = TALLY_EV_VIOLATION, .fd = -1 };
	ev.u.obj.type = pub;
	ev.u.obj.addr = 0x1000;
	for (int i = 0; i < 3; i++) {
		ev.arg = TALLY_VIOL_UNDERFLOW;
		ev.stack_id = calls[0].stack;
		ev.u.obj.detail = TALLY_OBJD_UNKNOWN | TALLY_OBJD_CERTAIN;
		put_violation(&ev);
	}
	ev.u.obj.detail = TALLY_OBJD_UNKNOWN;   /* books incomplete: not certain */
	put_violation(&ev);
	for (int i = 0; i < 2; i++) {
		ev.arg = TALLY_VIOL_AFTER_RELEASE;
		ev.stack_id = calls[1].stack;
		ev.u.obj.detail = TALLY_OBJD_CERTAIN;
		put_violation(&ev);
	}
	ev.arg = TALLY_VIOL_DOUBLE_CLOSE;
	ev.fd = 7;
	ev.stack_id = calls[3].stack;
	put_violation(&ev);
	lg.hdr->violations = 9;

	books_open(&r);
	assert_int_equal(r.b.violations->len, 4);
	assert_int_equal(r.b.violations_total, 9);
	const struct book_violation *v0 = r.b.violations->pdata[0];
	assert_int_equal(v0->kind, TALLY_VIOL_UNDERFLOW);
	assert_int_equal(v0->count, 3);
	assert_true(v0->certain);
	assert_int_equal(v0->type, pub);
	assert_int_equal(v0->stack_id, calls[0].stack);
	const struct book_violation *v1 = r.b.violations->pdata[1];
	assert_int_equal(v1->kind, TALLY_VIOL_AFTER_RELEASE);
	assert_int_equal(v1->count, 2);
	bool seen_uncertain = false, seen_close = false;
	for (guint i = 2; i < 4; i++) {
		const struct book_violation *v = r.b.violations->pdata[i];
		if (v->kind == TALLY_VIOL_UNDERFLOW) {
			assert_false(v->certain);
			assert_int_equal(v->count, 1);
			seen_uncertain = true;
		} else {
			assert_int_equal(v->kind, TALLY_VIOL_DOUBLE_CLOSE);
			assert_int_equal(v->type, -1);
			assert_int_equal(g_array_index(v->fds, int, 0), 7);
			seen_close = true;
		}
	}
	assert_true(seen_uncertain && seen_close);
	assert_int_equal(books_check(&r.b, &leaked, &violations), 1);
	assert_int_equal(violations, 6);
	assert_int_equal(leaked, 0);

	char *text = render(&r, false);
	/* 2 of the 9 the header counts were lost (the tallies table was full) */
	expect_in(text, "reference violations: 9 in all (enforcement: log); 7 are shown (tallies table full)");
	expect_in(text, "3 x underflow of gw_publisher, certain");
	expect_in(text, "1 x double-close, certain, fd 7");
	g_free(text);
	char *json = render(&r, true);
	expect_in(json, "\"violations\":[{\"kind\":\"underflow\",\"type\":\"gw_publisher\","
	          "\"count\":3,\"certain\":true,\"stack\":[");
	expect_in(json, "\"kind\":\"double-close\",\"type\":null,\"count\":1,\"certain\":true,"
	          "\"fds\":[7]");
	expect_in(json, "\"violations_total\":9");
	g_free(json);
	books_close(&r);
}

/* Blind spots, said in plain words. */
static void incomplete_books_say_why(void **state)
{
	struct book_type t;

	(void)state;
	memset(&t, 0, sizeof(t));
	char *none = books_trust(&t);   /* no rule left for it */
	assert_str(none, "nothing booked: no rule names it any more (a later rule for the same "
	           "function gave that function another type)");
	g_free(none);
	t.ruled = true;
	none = books_trust(&t);   /* no function of its rules was found */
	assert_str(none, "nothing booked: none of its functions was found in the process");
	g_free(none);
	t.found = true;
	t.t.first_seen_inc = 3;
	t.t.dec_unknown = 12;
	t.t.unstacked = 1;
	char *s = books_trust(&t);
	assert_str(s, "books incomplete: 3 objects first seen by an increment, 12 decrements of "
	           "unknown objects, 1 reference booked without its stack");
	g_free(s);
	t.complete = true;
	s = books_trust(&t);
	assert_true(g_str_has_prefix(s, "books complete"));
	g_free(s);
}

/* No rules: nothing new in the text, empty lists in the JSON. */
static void a_log_without_rules_adds_nothing(void **state)
{
	struct report_run r;

	(void)state;
	books_open(&r);
	assert_false(books_any(&r.b));
	assert_int_equal(r.b.types->len, 0);
	char *text = render(&r, false);
	assert_null(strstr(text, "reference"));
	assert_null(strstr(text, "leak"));
	g_free(text);
	char *json = render(&r, true);
	expect_in(json, ",\"objects\":{\"types\":[]},\"verdicts\":[],");
	expect_in(json, "\"rules\":[]");
	g_free(json);
	books_close(&r);
}

/* The tree alone: cells past the node budget are counted, not merged. */
static void node_budget_is_kept(void **state)
{
	struct bal_frame path[3] = { { 1, 0x10, 0, 0 }, { 1, 0x20, 0, 0 }, { 1, 0x30, 0, 0 } };
	struct bal_frame other[3] = { { 1, 0x10, 0, 0 }, { 1, 0x21, 0, 0 }, { 1, 0x31, 0, 0 } };
	struct bal_tree *t = bal_new(4);

	(void)state;
	bal_object_begin(t);
	assert_true(bal_add(t, path, 3, 5, 2));
	assert_false(bal_add(t, other, 3, 6, 1));   /* would need 2 more nodes */
	bal_object_end(t);
	assert_int_equal(t->cells_dropped, 1);
	assert_int_equal(t->root->net, 2);
	bal_prune(t);   /* the node made before the budget ran out: balanced */
	assert_int_equal(t->nodes, 3);
	bal_free(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(objects_are_grouped_by_type_and_creation_stack),
		T(balanced_subtrees_are_pruned),
		T(gateway_shape_names_both_lines_of_the_increment_function),
		T(simple_leak_names_its_line),
		T(one_reference_per_object_in_a_running_process_may_be_in_flight),
		T(creation_reference_alone_is_the_owners_while_running),
		T(two_leaks_give_two_verdicts_largest_first),
		T(a_tie_is_shown_as_candidates),
		T(socket_made_beside_a_leak_on_its_thread_is_linked),
		T(violations_are_grouped),
		cmocka_unit_test(incomplete_books_say_why),
		T(a_log_without_rules_adds_nothing),
		cmocka_unit_test(node_budget_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
