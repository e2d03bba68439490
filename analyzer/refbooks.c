/*
 * books — live objects into groups, groups into balance trees and
 * verdicts, leaked groups to the sockets made beside them, violation
 * events into groups.
 */
#include "refbooks.h"
#include "modmatch.h"
#include "owners.h"
#include "stackfmt.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

const char *books_role_name(uint8_t role)
{
	static const char *const names[TALLY_ROLE_MAX] = {
		[TALLY_ROLE_NEW] = "new", [TALLY_ROLE_INC] = "inc", [TALLY_ROLE_DEC] = "dec",
		[TALLY_ROLE_FREE] = "free", [TALLY_ROLE_SINK] = "sink", [TALLY_ROLE_TAKE] = "take",
		[TALLY_ROLE_LIFETIME] = "lifetime",
	};
	return role < TALLY_ROLE_MAX && names[role] ? names[role] : "?";
}

const char *books_violation_name(uint16_t kind)
{
	switch (kind) {
	case TALLY_VIOL_UNDERFLOW: return "underflow";
	case TALLY_VIOL_AFTER_RELEASE: return "after-release";
	case TALLY_VIOL_DOUBLE_CLOSE: return "double-close";
	default: return "unknown";
	}
}

const char *books_policy(const struct books *b)
{
	return b->discount_owner ? "creation reference discounted" : "all references count";
}

bool books_any(const struct books *b)
{
	return b->rules->len || b->types->len || b->violations->len || b->violations_total;
}

/* "1 object", "3 objects": n and the noun in the right number. */
static void count_noun(GString *s, uint64_t n, const char *one, const char *many)
{
	g_string_append_printf(s, "%s%" PRIu64 " %s", s->len ? ", " : "", n, n == 1 ? one : many);
}

char *books_trust(const struct book_type *t)
{
	const struct tally_type *ty = &t->t;
	GString *s = g_string_new(NULL);

	if (t->complete)
		return g_strdup("books complete: every reference since creation is in them");
	if (!t->ruled)
		return g_strdup("nothing booked: no rule names it any more (a later rule for the "
		                "same function gave that function another type)");
	if (!t->found)
		return g_strdup("nothing booked: none of its functions was found in the process");
	if (ty->first_seen_inc)
		count_noun(s, ty->first_seen_inc, "object first seen by an increment",
		           "objects first seen by an increment");
	if (ty->dec_unknown)
		count_noun(s, ty->dec_unknown, "decrement of an unknown object",
		           "decrements of unknown objects");
	if (ty->untracked)
		count_noun(s, ty->untracked, "object not tracked (no free slot)",
		           "objects not tracked (no free slot)");
	if (ty->unstacked)
		count_noun(s, ty->unstacked, "reference booked without its stack",
		           "references booked without their stack");
	if (ty->nested)
		count_noun(s, ty->nested, "event lost inside the shim or call nested too deep to follow",
		           "events lost inside the shim or calls nested too deep to follow");
	if (ty->flags & TALLY_TYPEF_GOT_ONLY)
		g_string_append_printf(s, "%sa rule hooked through GOT entries only (a library's "
		                       "calls to its own functions are not seen)", s->len ? ", " : "");
	if (ty->flags & TALLY_TYPEF_UNSEEN_NEW)
		g_string_append_printf(s, "%sits objects may be made where no rule sees it "
		                       "(unseen_new)", s->len ? ", " : "");
	g_string_prepend(s, "books incomplete: ");
	return g_string_free(s, FALSE);
}

const char *books_node_missing(const struct logread *lr, const struct bal_node *n)
{
	if (n->frame.module != BAL_SPECIAL)
		return NULL;
	if (n->frame.offset == 0)
		return "booked without a stack: every cell of the object was in use";
	return stackfmt_missing(lr, (uint32_t)n->frame.offset);
}

void books_node_frame(struct symbolizer *sym, const struct bal_node *n,
                      struct tally_frame_info *out)
{
	memset(out, 0, sizeof(*out));
	if (n->parent && n->frame.module != BAL_SPECIAL)
		symbolizer_lookup(sym, n->frame.generation, n->frame.addr, true, out);
}

/* A frame for one line of text: "room_add", "libx.so!fn@0x1230", "libx.so+0x1234". */
static char *frame_name(const struct logread *lr, const struct bal_node *n,
                        const struct tally_frame_info *fi)
{
	const char *missing = books_node_missing(lr, n);
	const char *mod = fi->module ? strrchr(fi->module, '/') : NULL;

	mod = mod ? mod + 1 : fi->module ? fi->module : "?";
	if (missing)
		return g_strdup_printf("(%s)", missing);
	if (fi->function)
		return g_strdup(fi->function);
	if (fi->func_start)
		return g_strdup_printf("%s!fn@0x%" PRIx64, mod, fi->func_start);
	return g_strdup_printf("%s+0x%" PRIx64, mod, fi->offset);
}

/* ---- stacks as tree paths ------------------------------------------------ */

/* A stack's frames as the tree keys them, outermost first. */
struct path {
	unsigned n;
	struct bal_frame f[];
};

/* Turns stack ids into paths, once each.  Module entries with one path are
 * one module: a library loaded again (dlclose, dlopen) keeps its offsets. */
struct resolver {
	const struct logread *lr;
	uint32_t nmods;
	uint32_t *canon;               /* module index -> canonical id + 1 */
	GHashTable *paths;             /* stack id -> struct path * */
	struct symbolizer *sym;        /* for stacks under lifetime rules */
	GHashTable *for_life;          /* stack_for_life's cache */
};

static void resolver_init(struct resolver *r, const struct logread *lr)
{
	GHashTable *by_path = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	memset(r, 0, sizeof(*r));
	r->lr = lr;
	r->nmods = lr->hdr.modules_used < lr->hdr.max_modules ? lr->hdr.modules_used
	                                                      : lr->hdr.max_modules;
	r->canon = g_new0(uint32_t, r->nmods + 1);
	r->paths = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	for (uint32_t i = 0; i < r->nmods; i++) {
		char *path = g_strndup(lr->modules[i].path, TALLY_PATH_MAX);
		gpointer id;
		if (g_hash_table_lookup_extended(by_path, path, NULL, &id)) {
			r->canon[i] = GPOINTER_TO_UINT(id);
			g_free(path);
		} else {
			r->canon[i] = i + 1;
			g_hash_table_insert(by_path, path, GUINT_TO_POINTER(i + 1));
		}
	}
	g_hash_table_destroy(by_path);
}

static void resolver_free(struct resolver *r)
{
	g_free(r->canon);
	g_hash_table_destroy(r->paths);
	if (r->for_life)
		g_hash_table_destroy(r->for_life);
}

static const struct path *path_of(struct resolver *r, uint32_t id)
{
	struct path *p = g_hash_table_lookup(r->paths, GUINT_TO_POINTER(id));
	const uint64_t *frames;
	const struct tally_stack *st;

	if (p)
		return p;
	st = logread_stack(r->lr, id, &frames);
	if (!st) {
		/* special or unreadable: one node of its own under the root */
		p = g_malloc0(sizeof(*p) + sizeof(p->f[0]));
		p->n = 1;
		p->f[0].module = BAL_SPECIAL;
		p->f[0].offset = id;
	} else {
		p = g_malloc0(sizeof(*p) + st->depth * sizeof(p->f[0]));
		p->n = st->depth;
		for (unsigned i = 0; i < st->depth; i++) {
			uint64_t ra = frames[st->depth - 1 - i];
			/* a return address: the call is at ra - 1 */
			int m = modmatch_find(r->lr->modules, sizeof(*r->lr->modules), r->nmods,
			                      st->generation, ra - 1);
			struct bal_frame *f = &p->f[i];
			f->module = m >= 0 ? r->canon[m] : 0;
			f->offset = m >= 0 ? ra - r->lr->modules[m].bias : ra;
			f->generation = st->generation;
			f->addr = ra;
		}
	}
	g_hash_table_insert(r->paths, GUINT_TO_POINTER(id), p);
	return p;
}

/* The path of an object's references booked without a stack. */
static const struct bal_frame unstacked_frame = { .module = BAL_SPECIAL, .offset = 0 };

/* ---- collecting live objects --------------------------------------------- */

/* Objects opened / closed per creation site key, over the stack table. */
struct site_count {
	uint64_t created, closed;
};

static GHashTable *site_counts(const struct logread *lr)
{
	GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	uint32_t used = lr->hdr.stacks_used < lr->hdr.max_stacks ? lr->hdr.stacks_used
	                                                          : lr->hdr.max_stacks;

	for (uint32_t i = 0; i < used; i++) {
		const uint64_t *frames;
		const struct tally_stack *st = logread_stack(lr, i + 1, &frames);
		if (!st)
			continue;
		uint64_t created = __atomic_load_n(&st->obj_created, __ATOMIC_RELAXED);
		uint64_t closed = __atomic_load_n(&st->obj_closed, __ATOMIC_RELAXED);
		if (!created)
			continue;
		char *key = analysis_stack_key(lr, i + 1);
		struct site_count *c = g_hash_table_lookup(counts, key);
		if (!c) {
			c = g_new0(struct site_count, 1);
			g_hash_table_insert(counts, key, c);
		} else {
			g_free(key);
		}
		c->created += created;
		c->closed += closed;
	}
	return counts;
}

static void group_free(gpointer p)
{
	struct book_group *g = p;

	g_array_free(g->objects, TRUE);
	g_array_free(g->owned_by, TRUE);
	bal_free(g->tree);
	g_ptr_array_free(g->links, TRUE);
	g_free(g);
}

static void type_free(gpointer p)
{
	struct book_type *t = p;

	g_ptr_array_free(t->groups, TRUE);
	g_free(t);
}

static void link_free(gpointer p)
{
	struct book_link *l = p;

	g_array_free(l->fds, TRUE);
	g_array_free(l->ports, TRUE);
	g_free(l->reason);
	g_free(l);
}

static void verdict_free(gpointer p)
{
	struct book_verdict *v = p;

	bal_verdict_free(v->v);
	symbolizer_frame_clear(&v->function);
	symbolizer_frame_clear(&v->reached_from);
	for (guint i = 0; i < v->candidates->len; i++)
		symbolizer_frame_clear(&g_array_index(v->candidates, struct tally_frame_info, i));
	g_array_free(v->candidates, TRUE);
	g_free(v->dropped_by);
	g_free(v->handed_to);
	g_free(v);
}

static void violation_free(gpointer p)
{
	struct book_violation *v = p;

	g_array_free(v->fds, TRUE);
	g_free(v);
}

/* A consistent-enough copy of slot i when it holds a live object: the
 * writer publishes state last, and a cell is one atomic word. */
static bool live_object(const struct logread *lr, uint32_t i, struct tally_object *out,
                        uint64_t *addr)
{
	const struct tally_object *o = &lr->objects[i];

	if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != TALLY_OBJ_LIVE)
		return false;
	memcpy(out, o, sizeof(*out));
	*addr = __atomic_load_n(&lr->objkeys[i], __ATOMIC_RELAXED);
	return out->state == TALLY_OBJ_LIVE;
}

/* Whether lifetime rule ru is one of `type`'s: its own, or every type's. */
static bool lifetime_rule_of(const struct tally_rule *ru, uint16_t type)
{
	return ru->role == TALLY_ROLE_LIFETIME &&
	       ((ru->flags & TALLY_RULEF_ANY_TYPE) || ru->type == type);
}

/* Whether `function` is what lifetime rule ru names: the name, or for a
 * pattern ("*_get_type") any name with that suffix. */
static bool lifetime_names(const struct tally_rule *ru, const char *function)
{
	size_t n = strnlen(ru->function, sizeof(ru->function));

	if (n > 1 && ru->function[0] == '*') {
		size_t f = strlen(function);
		return f >= n - 1 && memcmp(function + f - (n - 1), ru->function + 1, n - 1) == 0;
	}
	return strncmp(function, ru->function, sizeof(ru->function)) == 0;
}

/* Whether object o was created under a function a `lifetime` rule names
 * for its type (a library's table kept for the life of the process, found
 * from a global only through other heap memory).  `cache`: creation stack
 * and type -> answer. */
/* Whether stack `stack` passes through a function a lifetime rule names
 * for `type` (SOCKETS: the every-type rules alone).  `cache`: stack and
 * type -> answer. */
#define SOCKETS 0xffffu
static bool lifetime_rule_for(const struct tally_rule *ru, uint16_t type)
{
	return type == SOCKETS ? ru->role == TALLY_ROLE_LIFETIME && (ru->flags & TALLY_RULEF_ANY_TYPE)
	                       : lifetime_rule_of(ru, type);
}

static bool stack_for_life(const struct books *b, struct symbolizer *sym, uint32_t stack,
                           uint16_t type, GHashTable *cache)
{
	const struct logread *lr = b->a->lr;
	bool any = false;

	for (guint k = 0; k < b->rules->len && !any; k++)
		any = lifetime_rule_for(&g_array_index(b->rules, struct tally_rule, k), type);
	if (!any || !stack)
		return false;
	gpointer key = GSIZE_TO_POINTER(((gsize)type << 32) | stack), hit;
	if (g_hash_table_lookup_extended(cache, key, NULL, &hit))
		return GPOINTER_TO_INT(hit);
	const uint64_t *frames;
	const struct tally_stack *st = logread_stack(lr, stack, &frames);
	bool found = false;
	for (unsigned i = 0; st && i < st->depth && !found; i++) {
		struct tally_frame_info fi;
		symbolizer_lookup(sym, st->generation, frames[i], true, &fi);
		for (guint k = 0; fi.function && k < b->rules->len && !found; k++) {
			const struct tally_rule *ru = &g_array_index(b->rules, struct tally_rule, k);
			found = lifetime_rule_for(ru, type) && lifetime_names(ru, fi.function);
		}
		symbolizer_frame_clear(&fi);
	}
	g_hash_table_insert(cache, key, GINT_TO_POINTER(found));
	return found;
}

/* Whether object o was created under a function a `lifetime` rule names
 * for its type (a library's table kept for the life of the process, found
 * from a global only through other heap memory). */
static bool created_for_life(const struct books *b, struct symbolizer *sym,
                             const struct tally_object *o, GHashTable *cache)
{
	return stack_for_life(b, sym, o->create_stack, o->type, cache);
}

/* Sockets open at the end, made under a function an every-type lifetime
 * rule names ("*: g_network_monitor_get_default"): kept for the life of
 * the process by the library, no leak.  Only after a normal exit. */
static void count_kept_sockets(struct books *b, struct symbolizer *sym)
{
	GHashTable *cache = g_hash_table_new(g_direct_hash, g_direct_equal);

	b->kept_sites = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (guint i = 0; !b->discount_owner && i < b->a->groups->len; i++) {
		const struct site *s = b->a->groups->pdata[i];
		if (s->open > s->inherited && stack_for_life(b, sym, s->stack_id, SOCKETS, cache)) {
			b->kept_sockets += s->open - s->inherited;
			g_hash_table_insert(b->kept_sites, GUINT_TO_POINTER(s->stack_id),
			                    GUINT_TO_POINTER(s->open - s->inherited));
		}
	}
	g_hash_table_destroy(cache);
}

unsigned books_kept_sockets_at(const struct books *b, uint32_t stack_id)
{
	return b && b->kept_sites
	       ? GPOINTER_TO_UINT(g_hash_table_lookup(b->kept_sites, GUINT_TO_POINTER(stack_id)))
	       : 0;
}

/* Groups every live object; `copies` receives, per group, the object
 * copies (GArray of struct tally_object) the trees are built from. */
static void collect_objects(struct books *b, struct symbolizer *sym, GHashTable *copies)
{
	const struct logread *lr = b->a->lr;
	GHashTable *by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *counts = site_counts(lr);
	GHashTable *for_life = g_hash_table_new(g_direct_hash, g_direct_equal);

	for (uint32_t i = 0; i < lr->hdr.max_objects; i++) {
		struct tally_object o;
		uint64_t addr;
		if (!live_object(lr, i, &o, &addr) || o.type >= b->types->len)
			continue;
		struct book_type *t = b->types->pdata[o.type];
		/* A forked child's copy of its parent's object: the parent's
		 * books say whether it leaked, as for an inherited socket;
		 * unless the child holds more references to it than at fork
		 * (close_ns keeps that net): then it is judged as its own. */
		if ((o.flags & TALLY_OBJF_INHERITED) && (int64_t)o.net <= o.close_ns) {
			t->inherited++;
			b->inherited++;
			struct book_owned k = { .type = o.type, .stack_id = o.create_stack };
			g_array_append_val(b->kept_stacks, k);   /* it may own references */
			continue;
		}
		/* the program keeps it for good: flagged so, or made where a
		 * lifetime rule says */
		if ((o.flags & TALLY_OBJF_KEPT) || created_for_life(b, sym, &o, for_life)) {
			t->kept++;
			b->kept++;
			struct book_owned k = { .type = o.type, .stack_id = o.create_stack };
			g_array_append_val(b->kept_stacks, k);   /* it may own references */
			continue;
		}
		char *site = analysis_stack_key(lr, o.create_stack);
		char *key = g_strdup_printf("%u/%s", o.type, site);
		struct book_group *g = g_hash_table_lookup(by_key, key);
		if (!g) {
			struct site_count *c = g_hash_table_lookup(counts, site);
			g = g_new0(struct book_group, 1);
			g->type = t;
			g->stack_id = o.create_stack;
			g->created = c ? c->created : 0;
			g->freed = c ? c->closed : 0;
			g->first_ns = INT64_MAX;
			g->last_ns = INT64_MIN;
			g->objects = g_array_new(FALSE, TRUE, sizeof(struct book_object));
			g->owned_by = g_array_new(FALSE, TRUE, sizeof(struct book_owned));
			g->links = g_ptr_array_new_with_free_func(link_free);
			g_hash_table_insert(by_key, key, g);
			g_hash_table_insert(copies, g, g_array_new(FALSE, FALSE, sizeof(o)));
			g_ptr_array_add(t->groups, g);
		} else {
			g_free(key);
		}
		g_free(site);
		struct book_object bo = { .addr = addr, .tid = o.tid, .time_ns = o.time_ns };
		g_array_append_val(g->objects, bo);
		g_array_append_val((GArray *)g_hash_table_lookup(copies, g), o);
		g->live++;
		t->live++;
		b->live++;
		if (o.time_ns < g->first_ns)
			g->first_ns = o.time_ns;
		if (o.time_ns > g->last_ns)
			g->last_ns = o.time_ns;
	}
	g_hash_table_destroy(for_life);
	g_hash_table_destroy(counts);
	g_hash_table_destroy(by_key);
}

/* ---- the balance tree of a group ----------------------------------------- */

/* Cells of one object the tree takes: its own ten and its spilled ones
 * (TALLY_SPILL_WINDOW at most per hash: a few hundred in practice); the
 * rest, if any, are added to its unstacked references. */
#define CELLS_MAX 1024

/* The spilled cells of every live object, by serial: one pass over the
 * spill table (format.h: an entry counts while its slot is live with its
 * serial). */
static GHashTable *spill_index(const struct logread *lr)
{
	GHashTable *by_serial = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
	                                              (GDestroyNotify)g_array_unref);
	const struct tally_header *h = &lr->hdr;

	for (uint32_t i = 0; i < h->max_spill; i++) {
		struct tally_spill e = lr->spill[i];
		if (!e.serial || e.slot >= h->max_objects || !TALLY_CELL_STACK(e.cell) ||
		    lr->objects[e.slot].state != TALLY_OBJ_LIVE ||
		    lr->objects[e.slot].serial != e.serial)
			continue;
		GArray *cells = g_hash_table_lookup(by_serial, &e.serial);
		if (cells && cells->len >= CELLS_MAX)
			continue;   /* a damaged log: no object has that many */
		if (!cells) {
			uint64_t *key = g_new(uint64_t, 1);
			*key = e.serial;
			cells = g_array_new(FALSE, FALSE, sizeof(uint64_t));
			g_hash_table_insert(by_serial, key, cells);
		}
		g_array_append_val(cells, e.cell);
	}
	return by_serial;
}

/* One object's cells as the tree takes them: (stack, net) with the
 * creation reference discounted when the policy says so, and references
 * held by live owners left out. */
struct cells {
	unsigned n;
	uint32_t stack[CELLS_MAX + 1];   /* 0: the unstacked references */
	int64_t net[CELLS_MAX + 1];
	bool discounted;
	bool global;                   /* still reachable from a global at exit */
	bool running;                  /* a thread's object, its thread still
	                                * running at exit (object_cells) */
	unsigned nowned;               /* cells held by live owners: */
	const struct owner_site *owner[CELLS_MAX];
	int64_t owned[CELLS_MAX];
	int64_t for_life;              /* references taken under a lifetime
	                                * rule's function */
};

/* Whether module m of the log is the program's executable. */
static bool module_is_program(const struct logread *lr, int m)
{
	return strncmp(lr->modules[m].path, lr->hdr.exe, sizeof(lr->hdr.exe)) == 0;
}

/* Whether module m of the log is the C library. */
static bool module_is_libc(const struct logread *lr, int m)
{
	const char *path = lr->modules[m].path, *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return g_str_has_prefix(base, "libc.so") || g_str_has_prefix(base, "libc-");
}

/* Whether stack `id` is a thread's way out: the C library's frames only
 * (its thread-local destructors, start_thread, clone), below at most the
 * innermost frames of one other module (GLib's thread cleanup, which drops
 * a GThread's own reference, often by a tail call that leaves no frame).
 * A call from a program's thread or from main has frames of its own
 * outside the C library further out. */
static bool thread_exit_stack(const struct resolver *r, uint32_t id)
{
	const uint64_t *frames;
	const struct tally_stack *st = logread_stack(r->lr, id, &frames);
	bool libc = false;
	int inner = -2;

	/* A stack cut at the capture depth may lack the program's frames
	 * further out (main's, cut to libc's start frames). */
	if (!st || st->depth >= r->lr->hdr.depth)
		return false;
	for (unsigned i = 0; i < st->depth; i++) {
		int m = modmatch_find(r->lr->modules, sizeof(*r->lr->modules), r->nmods,
		                      st->generation, frames[i] - 1);
		bool is_libc = m >= 0 && module_is_libc(r->lr, m);
		if (!libc && !is_libc && (i == 0 || m == inner)) {
			/* the innermost frames of one library; never the
			 * program's own (a pthread's start routine that drops a
			 * GThread's reference, then returns into libc) */
			if (m < 0 || module_is_program(r->lr, m))
				return false;
			inner = m;
			continue;
		}
		if (!is_libc)
			return false;
		libc = true;
	}
	return libc;
}

/* Whether some decrement of object o came from a thread's way out (its
 * own reference, dropped as it ended). */
static bool dropped_at_thread_exit(const struct resolver *r, const struct tally_object *o,
                                   const GArray *spilled)
{
	unsigned ncells = TALLY_OBJ_CELLS + (spilled ? spilled->len : 0);

	for (unsigned i = 0; i < ncells; i++) {
		uint64_t cell = i < TALLY_OBJ_CELLS ? o->cells[i]
		                                    : g_array_index(spilled, uint64_t, i - TALLY_OBJ_CELLS);
		if (TALLY_CELL_STACK(cell) && TALLY_CELL_NET(cell) < 0 &&
		    thread_exit_stack(r, TALLY_CELL_STACK(cell)))
			return true;
	}
	return false;
}

/* Whether no reference of object o was ever given back: no cell (nor its
 * unstacked references) below 0. */
static bool never_given_back(const struct tally_object *o, const GArray *spilled)
{
	unsigned ncells = TALLY_OBJ_CELLS + (spilled ? spilled->len : 0);

	for (unsigned i = 0; i < ncells; i++) {
		uint64_t cell = i < TALLY_OBJ_CELLS ? o->cells[i]
		                                    : g_array_index(spilled, uint64_t, i - TALLY_OBJ_CELLS);
		if (TALLY_CELL_STACK(cell) && TALLY_CELL_NET(cell) < 0)
			return false;
	}
	return o->unstacked >= 0;
}

static void object_cells(const struct books *b, struct resolver *r, const struct tally_object *o,
                         struct cells *c)
{
	const struct book_type *t = o->type < b->types->len ? b->types->pdata[o->type] : NULL;
	GArray *spilled = (o->flags & TALLY_OBJF_SPILLED) && b->spilled
	                  ? g_hash_table_lookup(b->spilled, &o->serial) : NULL;
	/* Still reachable at exit (a global variable reaches it, shim/reach.h): its owner is
	 * the program's global state, as while a process runs. */
	c->global = !b->discount_owner && (o->flags & TALLY_OBJF_GLOBAL);
	/* An object born with references for others (a GThread: its running
	 * thread's own) none of whose references was ever given back: the
	 * thread drops its own when it ends, a join the creator's, so it was
	 * still running at exit, and holds the object, as a global would
	 * (GLib's worker thread, which GLib never joins). */
	bool shared_birth = !b->discount_owner && !c->global && (o->flags & TALLY_OBJF_CREATED) &&
	                    t && (t->t.flags & TALLY_TYPEF_THREAD) && t->start_refs >= 2;
	c->running = shared_birth && never_given_back(o, spilled);
	int64_t discount = (b->discount_owner || c->global || c->running) &&
	                   (o->flags & TALLY_OBJF_CREATED) && t ? t->start_refs : 0;
	/* Some given back, but none on a thread's way out: the thread still
	 * ran, and holds its own (the creator's drop of the detach idiom,
	 * g_thread_unref(g_thread_new(...)), is no thread's end). */
	if (shared_birth && !c->running && !dropped_at_thread_exit(r, o, spilled)) {
		c->running = true;
		discount = t->start_refs - 1;
	}

	c->n = 0;
	c->nowned = 0;
	c->for_life = 0;
	c->discounted = false;
	unsigned ncells = TALLY_OBJ_CELLS + (spilled ? spilled->len : 0);
	int64_t unstacked = o->unstacked;
	/* What lifetime rules' functions took and did not give back, over all
	 * their cells: a temporary they took and dropped again (+1 and -1 at
	 * two stacks under them) is no reference held for life, and leaving
	 * out only its +1 would cancel a real leak of the object.  The
	 * creation cell is left to the discount below. */
	int64_t life_net = 0;
	/* The walk ran whole and found no global reaching it: nothing keeps
	 * it for life, whatever took its references (a temporary a lifetime
	 * function took and something else gave back later cancels no leak). */
	uint32_t rf = b->a->lr->hdr.reach_flags;
	bool unreached = !b->discount_owner && !c->global && !c->running &&
	                 (rf & (TALLY_REACHF_RAN | TALLY_REACHF_CUT | TALLY_REACHF_ROOTS_ONLY |
	                        TALLY_REACHF_OFF)) == TALLY_REACHF_RAN;
	for (unsigned i = 0; i < ncells && !unreached; i++) {
		uint64_t cell = i < TALLY_OBJ_CELLS ? o->cells[i]
		                                    : g_array_index(spilled, uint64_t, i - TALLY_OBJ_CELLS);
		uint32_t stack = TALLY_CELL_STACK(cell);
		if (stack && stack != o->create_stack && r->sym &&
		    stack_for_life(b, r->sym, stack, o->type, r->for_life))
			life_net += TALLY_CELL_NET(cell);
	}
	for (unsigned i = 0; i < ncells; i++) {
		uint64_t cell = i < TALLY_OBJ_CELLS ? o->cells[i]
		                                    : g_array_index(spilled, uint64_t, i - TALLY_OBJ_CELLS);
		uint32_t stack = TALLY_CELL_STACK(cell);
		int64_t net = TALLY_CELL_NET(cell);
		if (!stack)
			continue;
		/* Under a function a lifetime rule names for the type, other than
		 * the creation: held by what the library keeps for the life of
		 * the process (the default network monitor's references to the
		 * default GMainContext, made before it), all of them when their
		 * sum is positive (life_net, counted below).  Before the bound
		 * below, so that every such cell is left out alike. */
		if (life_net > 0 && stack != o->create_stack && r->sym &&
		    stack_for_life(b, r->sym, stack, o->type, r->for_life))
			continue;
		if (c->n == CELLS_MAX || c->nowned == CELLS_MAX) {
			unstacked += net;   /* beyond what one object is given here */
			continue;
		}
		/* The owners' references: what the NEW started with, in its
		 * cell (a running thread holds its own GThread reference).
		 * First, so that an owned creation cell spends the discount. */
		if (discount && stack == o->create_stack && net > 0) {
			int64_t take = net < discount ? net : discount;
			net -= take;
			discount -= take;
			c->discounted = true;
		}
		/* The creation cell under such a function: what is left of it
		 * after the owners' discount. */
		if (stack == o->create_stack && net > 0 && !unreached && r->sym &&
		    stack_for_life(b, r->sym, stack, o->type, r->for_life)) {
			c->for_life += net;
			continue;
		}
		/* Taken inside the creation of a live object: that object's. */
		if (net > 0 && b->owners) {
			const struct path *p = path_of(r, stack);
			const struct path *self = path_of(r, o->create_stack);
			const struct owner_site *os = owners_find(b->owners, p->f, p->n, self->f, self->n);
			if (os) {
				c->owner[c->nowned] = os;
				c->owned[c->nowned++] = net;
				continue;
			}
		}
		if (net) {
			c->stack[c->n] = stack;
			c->net[c->n++] = net;
		}
	}
	if (life_net > 0)
		c->for_life += life_net;
	if (discount && unstacked > 0) {
		/* the creation cell found no room: its references are among these */
		unstacked -= unstacked < discount ? unstacked : discount;
		c->discounted = true;
	}
	if (unstacked) {
		c->stack[c->n] = 0;
		c->net[c->n++] = unstacked;
	}
}

static void tree_add_object(struct bal_tree *t, struct resolver *r, const struct cells *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->stack[i]) {
			const struct path *p = path_of(r, c->stack[i]);
			bal_add(t, p->f, p->n, c->stack[i], c->net[i]);
		} else {
			bal_add(t, &unstacked_frame, 1, 0, c->net[i]);
		}
	}
}

static void tree_probe_object(struct bal_tree *t, struct resolver *r, const struct cells *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->stack[i]) {
			const struct path *p = path_of(r, c->stack[i]);
			bal_probe_add(t, p->f, p->n, c->net[i]);
		} else {
			bal_probe_add(t, &unstacked_frame, 1, c->net[i]);
		}
	}
}

/* The functions of a list of tree branches, each once: "relay_hand_on, f". */
static char *branch_names(const struct logread *lr, struct symbolizer *sym, const GPtrArray *nodes)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	char *joined = NULL;

	for (guint i = 0; i < nodes->len; i++) {
		const struct bal_node *n = nodes->pdata[i];
		struct tally_frame_info fi;
		books_node_frame(sym, n, &fi);
		char *name = frame_name(lr, n, &fi);
		symbolizer_frame_clear(&fi);
		/* two call sites in one function name it once */
		if (g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
			g_free(name);
		else
			g_ptr_array_add(names, name);
	}
	if (names->len) {
		g_ptr_array_add(names, NULL);
		joined = g_strjoinv(", ", (gchar **)names->pdata);
	}
	g_ptr_array_free(names, TRUE);
	return joined;
}

static bool entry_frame(const struct tally_frame_info *fi);

/* Names a verdict's function, candidates, what gives back, and where its
 * references may have been handed over. */
static struct book_verdict *verdict_name(const struct books *b, struct symbolizer *sym,
                                         const struct book_group *g, struct bal_verdict *v)
{
	struct book_verdict *bv = g_new0(struct book_verdict, 1);

	bv->group = g;
	bv->v = v;
	books_node_frame(sym, v->fn, &bv->function);
	bv->candidates = g_array_new(FALSE, TRUE, sizeof(struct tally_frame_info));
	for (guint i = 0; i < v->candidates->len; i++) {
		struct tally_frame_info fi;
		books_node_frame(sym, v->candidates->pdata[i], &fi);
		g_array_append_val(bv->candidates, fi);
	}
	/* A library without debug information (GIO's g_file_new_for_path
	 * creating inside an unnamed function): the verdict also names the
	 * nearest caller with a source line. */
	if (!bv->function.file) {
		for (const struct bal_node *n = v->fn->parent; n && n->parent; n = n->parent) {
			struct tally_frame_info fi;
			books_node_frame(sym, n, &fi);
			/* libc's frames (a thread's start) are no program's call */
			bool entry = entry_frame(&fi);
			if (fi.file && !entry) {
				bv->reached_from = fi;
				break;
			}
			symbolizer_frame_clear(&fi);
			if (entry)
				break;
		}
	}
	bv->dropped_by = branch_names(b->a->lr, sym, v->drops);
	GPtrArray *handed = g_ptr_array_new();
	for (guint i = 0; i < v->handed_to->len; i++)
		g_ptr_array_add(handed, (gpointer)bal_branch_name(v->handed_to->pdata[i]));
	bv->handed_to = branch_names(b->a->lr, sym, handed);
	g_ptr_array_free(handed, TRUE);
	return bv;
}

/* The verdicts of g's tree, named into b->verdicts; objects under one
 * marked leaked.  Then the tree is pruned. */
static void group_verdicts(struct books *b, struct book_group *g, GArray *copies,
                           struct resolver *r, struct symbolizer *sym)
{
	GPtrArray *found = g_ptr_array_new();
	struct cells c;

	bal_verdicts(g->tree, found);
	/* A surplus the references given back on another path cover in full
	 * was handed over, not leaked: listed apart, blames no object. */
	for (guint k = 0; k < found->len;) {
		struct bal_verdict *v = found->pdata[k];
		if (v->elsewhere >= v->net) {
			g_ptr_array_add(b->handovers, verdict_name(b, sym, g, v));
			g_ptr_array_remove_index(found, k);
		} else {
			k++;
		}
	}
	/* An object under a verdict holds what the verdict blames, whatever
	 * it gives back elsewhere. */
	for (guint i = 0; found->len && i < copies->len; i++) {
		struct book_object *bo = &g_array_index(g->objects, struct book_object, i);
		if (bo->leaked)
			continue;
		object_cells(b, r, &g_array_index(copies, struct tally_object, i), &c);
		bal_probe_begin(g->tree);
		tree_probe_object(g->tree, r, &c);
		for (guint k = 0; k < found->len && !bo->leaked; k++) {
			const struct bal_verdict *v = found->pdata[k];
			bo->leaked = bal_probe_net(g->tree, v->stop) > 0;
		}
	}
	for (guint k = 0; k < found->len; k++)
		g_ptr_array_add(b->verdicts, verdict_name(b, sym, g, found->pdata[k]));
	g_ptr_array_free(found, TRUE);
	b->cells_dropped += g->tree->cells_dropped;
	bal_prune(g->tree);
}

/* Adds refs held by the objects of site os to g's list, by site. */
static void note_owned(struct book_group *g, const struct owner_site *os, int64_t refs)
{
	g->owned += refs;
	for (guint i = 0; i < g->owned_by->len; i++) {
		struct book_owned *w = &g_array_index(g->owned_by, struct book_owned, i);
		if (w->stack_id == os->stack_id && w->type == os->type) {
			w->refs += refs;
			return;
		}
	}
	struct book_owned w = { os->type, os->stack_id, os->alive, refs };
	g_array_append_val(g->owned_by, w);
}

/* Every live and kept object's creation site, as a possible owner. */
static void collect_owners(struct books *b, struct resolver *r)
{
	b->owners = owners_new(b->a->lr->hdr.depth);
	for (guint i = 0; i < b->types->len; i++) {
		const struct book_type *t = b->types->pdata[i];
		for (guint k = 0; k < t->groups->len; k++) {
			const struct book_group *g = t->groups->pdata[k];
			const struct path *p = path_of(r, g->stack_id);
			for (guint j = 0; j < g->objects->len; j++)
				owners_add(b->owners, t->index, g->stack_id, p->f, p->n);
		}
	}
	for (guint i = 0; i < b->kept_stacks->len; i++) {
		const struct book_owned *k = &g_array_index(b->kept_stacks, struct book_owned, i);
		const struct path *p = path_of(r, k->stack_id);
		owners_add(b->owners, k->type, k->stack_id, p->f, p->n);
	}
}

/* How many of c's cells have a stack that reached the capture depth: its
 * outermost frames may be missing, and merged from the outermost frame
 * inwards it may join paths that differ only there. */
static unsigned cut_cells(const struct logread *lr, const struct cells *c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n; i++) {
		const uint64_t *frames;
		const struct tally_stack *st = c->stack[i] ? logread_stack(lr, c->stack[i], &frames)
		                                           : NULL;
		n += st && st->depth >= lr->hdr.depth;
	}
	return n;
}

/* Each object's references that count, g's tree while the node budget
 * lasts, its verdicts; the leaked counts of g, its type and b. */
static void group_balance(struct books *b, struct book_group *g, GArray *copies,
                          struct resolver *r, struct symbolizer *sym, unsigned *budget)
{
	struct cells c;

	if (*budget)
		g->tree = bal_new(*budget);
	else
		b->trees_skipped++;   /* listed, each object's net known, no tree */
	for (guint i = 0; i < copies->len; i++) {
		struct book_object *bo = &g_array_index(g->objects, struct book_object, i);
		object_cells(b, r, &g_array_index(copies, struct tally_object, i), &c);
		if (g->tree) {
			bal_object_begin(g->tree);
			tree_add_object(g->tree, r, &c);
			bal_object_end(g->tree);
		}
		b->cut_cells += cut_cells(r->lr, &c);
		bool unstacked = false;
		for (unsigned k = 0; k < c.n; k++) {
			bo->net += c.net[k];
			if (c.stack[k] == 0) {
				g->unstacked += c.net[k] < 0 ? -c.net[k] : c.net[k];
				unstacked = true;
			}
		}
		g->unstacked_objects += unstacked;
		g->owner_discounted += c.discounted;
		g->global += c.global;
		g->running += c.running;
		for (unsigned k = 0; k < c.nowned; k++)
			note_owned(g, c.owner[k], c.owned[k]);
		g->for_life += c.for_life;
		bo->leaked = bo->net > 0;
	}
	if (g->tree) {
		group_verdicts(b, g, copies, r, sym);
		*budget -= g->tree->nodes < *budget ? g->tree->nodes : *budget;
	}
	for (guint i = 0; i < g->objects->len; i++)
		g->leaked += g_array_index(g->objects, struct book_object, i).leaked;
	g->type->leaked += g->leaked;
	b->leaked += g->leaked;
}

/* ---- sockets made beside a leaked group ---------------------------------- */

/* Frames every thread starts with: libc's start frames, start_thread,
 * clone.  Sharing only these says nothing. */
static bool entry_frame(const struct tally_frame_info *fi)
{
	static const char *const entries[] = {
		"_start", "__libc_start_main", "__libc_start_call_main", "__libc_start_main_impl",
		"start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal",
	};
	const char *base = fi->module ? strrchr(fi->module, '/') : NULL;

	base = base ? base + 1 : fi->module;
	if (!base || g_str_has_prefix(base, "libc.so") || g_str_has_prefix(base, "libc-") ||
	    g_str_has_prefix(base, "libpthread") || g_str_has_prefix(base, "ld-linux"))
		return true;
	for (unsigned i = 0; fi->function && i < G_N_ELEMENTS(entries); i++)
		if (strcmp(fi->function, entries[i]) == 0)
			return true;
	return false;
}

static bool same_function(const struct tally_frame_info *a, const struct tally_frame_info *b)
{
	if (a->function && b->function)
		return strcmp(a->function, b->function) == 0;
	return a->module && b->module && strcmp(a->module, b->module) == 0 && a->func_start &&
	       a->func_start == b->func_start;
}

static void lookup(struct symbolizer *sym, const struct bal_frame *f, struct tally_frame_info *out)
{
	memset(out, 0, sizeof(*out));
	symbolizer_lookup(sym, f->generation, f->addr, true, out);
}

/* "9 µs", "0.1 ms", "12 ms", "3.4 s", "25 minutes". */
static void gap_text(int64_t ns, char *buf, size_t size)
{
	double ms = (double)ns / 1e6;

	if (ms < 0.1)
		snprintf(buf, size, "%.0f \u00b5s", ms * 1000);
	else if (ms < 10)
		snprintf(buf, size, "%.2g ms", ms);
	else if (ms < 1000)
		snprintf(buf, size, "%.0f ms", ms);
	else if (ms < 120000)
		snprintf(buf, size, "%.1f s", ms / 1000);
	else
		snprintf(buf, size, "%.0f minutes", ms / 60000);
}

/* "room_add (examples/room.c:95, :101)": where the two stacks part, in the
 * function they share.  os / ss: the first frames that differ, or NULL
 * where a stack ended. */
static char *parting_text(const struct tally_frame_info *os, const struct tally_frame_info *ss)
{
	const struct tally_frame_info *f = os ? os : ss;
	GString *s = g_string_new(NULL);
	const char *mod = f->module ? strrchr(f->module, '/') : NULL;

	mod = mod ? mod + 1 : f->module ? f->module : "?";
	if (f->function)
		g_string_append(s, f->function);
	else
		g_string_append_printf(s, "%s!fn@0x%" PRIx64, mod, f->func_start);
	if (os && os->file) {
		g_string_append_printf(s, " (%s:%d", os->file, os->line);
		if (ss && ss->file && strcmp(ss->file, os->file) == 0 && ss->line != os->line)
			g_string_append_printf(s, ", :%d", ss->line);
		else if (ss && ss->file && strcmp(ss->file, os->file) != 0)
			g_string_append_printf(s, ", %s:%d", ss->file, ss->line);
		g_string_append(s, ")");
	} else if (ss && ss->file) {
		g_string_append_printf(s, " (%s:%d)", ss->file, ss->line);
	}
	return g_string_free(s, FALSE);
}

/* The function both creation stacks are in where they part, when their
 * outer frames are the same call chain through some program code; NULL
 * when they do not share callers. */
static char *shared_call(struct symbolizer *sym, const struct path *op, const struct path *sp)
{
	struct tally_frame_info fi, of, sf;
	unsigned common = 0;
	bool program = false;

	if (op->f[0].module == BAL_SPECIAL || sp->f[0].module == BAL_SPECIAL)
		return NULL;
	while (common < op->n && common < sp->n && op->f[common].module == sp->f[common].module &&
	       op->f[common].offset == sp->f[common].offset)
		common++;
	for (unsigned i = 0; i < common && !program; i++) {
		lookup(sym, &op->f[i], &fi);
		program = !entry_frame(&fi);
		symbolizer_frame_clear(&fi);
	}
	if (!program || (common == op->n && common == sp->n))
		return NULL;
	memset(&of, 0, sizeof(of));
	memset(&sf, 0, sizeof(sf));
	if (common < op->n)
		lookup(sym, &op->f[common], &of);
	if (common < sp->n)
		lookup(sym, &sp->f[common], &sf);
	char *text = NULL;
	/* Past the shared call both are in the function it called; two
	 * different ones mean a call through a pointer: not the same call. */
	if (common == op->n || common == sp->n || same_function(&of, &sf))
		text = parting_text(common < op->n ? &of : NULL, common < sp->n ? &sf : NULL);
	symbolizer_frame_clear(&of);
	symbolizer_frame_clear(&sf);
	return text;
}

/* The socket group at gi, when its sockets were made beside g's objects. */
static struct book_link *link_sockets(const struct books *b, const struct book_group *g,
                                      guint gi, struct resolver *r, struct symbolizer *sym)
{
	const struct analysis *a = b->a;
	const struct site *s = a->groups->pdata[gi];
	char *call = shared_call(sym, path_of(r, g->stack_id), path_of(r, s->stack_id));
	struct book_link *l;
	int64_t widest = -1;

	if (!call)
		return NULL;
	l = g_new0(struct book_link, 1);
	l->group = gi;
	l->fds = g_array_new(FALSE, FALSE, sizeof(int));
	l->ports = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	for (guint i = 0; i < s->fds->len; i++) {
		int fd = g_array_index(s->fds, int, i);
		struct tally_fd_slot slot;
		int64_t nearest = -1;
		if (!logread_slot(a->lr, (uint32_t)fd, &slot))
			continue;
		/* same thread: the nearest object of the group made on it */
		for (guint k = 0; k < g->objects->len; k++) {
			const struct book_object *o = &g_array_index(g->objects, struct book_object, k);
			int64_t gap = o->time_ns > slot.time_ns ? o->time_ns - slot.time_ns
			                                        : slot.time_ns - o->time_ns;
			if (o->tid == slot.tid && (nearest < 0 || gap < nearest))
				nearest = gap;
		}
		if (nearest < 0)
			continue;
		g_array_append_val(l->fds, fd);
		uint16_t port = analysis_slot_port(&slot);
		if (port)
			g_array_append_val(l->ports, port);
		if (nearest > widest)
			widest = nearest;
	}
	if (!l->fds->len) {
		g_free(call);
		link_free(l);
		return NULL;
	}
	char gap[32];
	gap_text(widest, gap, sizeof(gap));
	l->reason = g_strdup_printf("created on the same thread under the same call of %s, %s%s "
	                            "apart", call, l->fds->len > 1 ? "at most " : "", gap);
	g_free(call);
	return l;
}

/* ---- violations ------------------------------------------------------------ */

static struct book_violation *violation_get(struct books *b, GHashTable *by_key,
                                            uint16_t kind, int type, uint32_t stack,
                                            bool certain)
{
	char key[64];
	snprintf(key, sizeof(key), "%d/%d/%u/%d", kind, type, stack, certain);
	struct book_violation *v = g_hash_table_lookup(by_key, key);
	if (!v) {
		v = g_new0(struct book_violation, 1);
		v->kind = kind;
		v->type = type;
		v->stack_id = stack;
		v->certain = certain;
		v->fds = g_array_new(FALSE, FALSE, sizeof(int));
		g_hash_table_insert(by_key, g_strdup(key), v);
		g_ptr_array_add(b->violations, v);
	}
	return v;
}

/* Counts from the tallies (exact); the fds of double closes from the
 * events that were recorded. */
static void collect_violations(struct books *b)
{
	const struct logread *lr = b->a->lr;
	GHashTable *by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (uint32_t i = 0; i < lr->hdr.max_tallies; i++) {
		struct tally_tally t;
		if (!logread_tally(lr, i, &t) || TALLY_TALLY_KIND(t.key) != TALLY_EV_VIOLATION)
			continue;
		uint16_t d = TALLY_TALLY_DETAIL(t.key);
		struct book_violation *v = violation_get(b, by_key, TALLY_VIOL_KIND(d),
		                                         TALLY_VIOL_TYPE(d), TALLY_TALLY_STACK(t.key),
		                                         TALLY_VIOL_CERTAIN(d));
		v->count += t.count;
		if (v->certain)
			b->certain_violations += t.count;
	}
	/* The events: the fds of double closes, and a floor for every count
	 * (a key the tallies had no room for still shows). */
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (uint64_t seq = 0; seq < lr->events_readable; seq++) {
		struct tally_event ev;
		if (!logread_event(lr, seq, &ev) || ev.kind != TALLY_EV_VIOLATION)
			continue;
		bool dc = ev.arg == TALLY_VIOL_DOUBLE_CLOSE;
		bool certain = dc || (ev.u.obj.detail & TALLY_OBJD_CERTAIN);
		struct book_violation *v = violation_get(b, by_key, (uint16_t)ev.arg,
		                                         dc ? -1 : ev.u.obj.type, ev.stack_id, certain);
		if (dc && v->fds->len < ANOMALY_FDS_MAX)
			g_array_append_val(v->fds, ev.fd);
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(seen, v)) + 1;
		g_hash_table_insert(seen, v, GUINT_TO_POINTER(n));
		if (v->count < n) {   /* the tallies lost it (table full) */
			b->certain_violations += certain;
			v->count = n;
		}
	}
	g_hash_table_destroy(seen);
	g_hash_table_destroy(by_key);
}

/* ---- the whole --------------------------------------------------------------- */

static gint group_order(gconstpointer pa, gconstpointer pb)
{
	const struct book_group *a = *(struct book_group *const *)pa;
	const struct book_group *b = *(struct book_group *const *)pb;

	if (a->leaked != b->leaked)
		return a->leaked > b->leaked ? -1 : 1;
	if (a->live != b->live)
		return a->live > b->live ? -1 : 1;
	return a->stack_id < b->stack_id ? -1 : a->stack_id > b->stack_id;
}

static gint type_order(gconstpointer pa, gconstpointer pb)
{
	const struct book_type *a = *(struct book_type *const *)pa;
	const struct book_type *b = *(struct book_type *const *)pb;

	if (a->leaked != b->leaked)
		return a->leaked > b->leaked ? -1 : 1;
	if (a->live != b->live)
		return a->live > b->live ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static gint verdict_order(gconstpointer pa, gconstpointer pb)
{
	const struct book_verdict *a = *(struct book_verdict *const *)pa;
	const struct book_verdict *b = *(struct book_verdict *const *)pb;

	/* a leak first, a reference maybe handed over to another thread after */
	if (!a->v->elsewhere != !b->v->elsewhere)
		return a->v->elsewhere ? 1 : -1;
	if (a->v->net != b->v->net)
		return a->v->net > b->v->net ? -1 : 1;
	return a->v->objects > b->v->objects ? -1 : a->v->objects < b->v->objects;
}

static gint violation_order(gconstpointer pa, gconstpointer pb)
{
	const struct book_violation *a = *(struct book_violation *const *)pa;
	const struct book_violation *b = *(struct book_violation *const *)pb;

	return a->count == b->count ? 0 : a->count > b->count ? -1 : 1;
}

void books_build(struct books *b, const struct analysis *a, struct symbolizer *sym)
{
	const struct tally_header *h = &a->lr->hdr;
	uint32_t nrules = h->rules_used < h->max_rules ? h->rules_used : h->max_rules;
	uint32_t ntypes = h->types_used < h->max_types ? h->types_used : h->max_types;
	GHashTable *copies = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	                                           (GDestroyNotify)g_array_unref);
	unsigned budget = BOOKS_MAX_NODES;
	struct resolver r;

	memset(b, 0, sizeof(*b));
	b->a = a;
	/* Only a process that exited with status 0 is held to every
	 * reference: one that exited on an error stopped as if killed. */
	b->discount_owner = h->exit_state != TALLY_EXITED || tally_exited_failing(h);
	b->violations_total = h->violations;
	b->rules = g_array_new(FALSE, FALSE, sizeof(struct tally_rule));
	b->types = g_ptr_array_new_with_free_func(type_free);
	b->verdicts = g_ptr_array_new_with_free_func(verdict_free);
	b->handovers = g_ptr_array_new_with_free_func(verdict_free);
	b->violations = g_ptr_array_new_with_free_func(violation_free);
	resolver_init(&r, a->lr);
	r.sym = sym;
	r.for_life = g_hash_table_new(g_direct_hash, g_direct_equal);

	g_array_append_vals(b->rules, a->lr->rules, nrules);
	for (uint32_t i = 0; i < ntypes; i++) {
		struct book_type *t = g_new0(struct book_type, 1);
		t->index = (uint16_t)i;
		memcpy(&t->t, &a->lr->types[i], sizeof(t->t));
		t->complete = !t->t.first_seen_inc && !t->t.dec_unknown && !t->t.untracked &&
		              !t->t.unstacked && !t->t.nested &&
		              !(t->t.flags & (TALLY_TYPEF_GOT_ONLY | TALLY_TYPEF_UNSEEN_NEW));
		t->groups = g_ptr_array_new_with_free_func(group_free);
		t->start_refs = 0;
		for (uint32_t k = 0; k < nrules; k++) {
			const struct tally_rule *ru = &a->lr->rules[k];
			/* a lifetime rule books nothing: it says nothing of the
			 * type's books */
			if (ru->role == TALLY_ROLE_LIFETIME)
				continue;
			if (ru->type == i && (ru->flags & TALLY_RULEF_FOUND))
				t->found = true;
			t->ruled |= ru->type == i;
			/* a new rule keeps its starting references in arg */
			unsigned refs = ru->arg ? ru->arg : 1;
			if (ru->type == i && ru->role == TALLY_ROLE_NEW &&
			    (!t->start_refs || refs < t->start_refs))
				t->start_refs = refs;
		}
		if (!t->start_refs)
			t->start_refs = 1;
		t->complete = t->complete && t->found;
		g_ptr_array_add(b->types, t);
	}
	b->kept_stacks = g_array_new(FALSE, FALSE, sizeof(struct book_owned));
	b->spilled = spill_index(a->lr);
	collect_objects(b, sym, copies);
	count_kept_sockets(b, sym);
	collect_owners(b, &r);
	for (guint i = 0; i < b->types->len; i++) {
		struct book_type *t = b->types->pdata[i];
		for (guint k = 0; k < t->groups->len; k++) {
			struct book_group *g = t->groups->pdata[k];
			group_balance(b, g, g_hash_table_lookup(copies, g), &r, sym, &budget);
		}
	}
	/* Sockets made beside the objects of a leaked group. */
	for (guint i = 0; i < b->types->len; i++) {
		struct book_type *t = b->types->pdata[i];
		for (guint k = 0; k < t->groups->len; k++) {
			struct book_group *g = t->groups->pdata[k];
			for (guint gi = 0; g->leaked && gi < a->groups->len; gi++) {
				struct book_link *l = link_sockets(b, g, gi, &r, sym);
				if (l)
					g_ptr_array_add(g->links, l);
			}
		}
		g_ptr_array_sort(t->groups, group_order);
	}
	g_ptr_array_sort(b->types, type_order);
	g_ptr_array_sort(b->verdicts, verdict_order);
	g_ptr_array_sort(b->handovers, verdict_order);
	collect_violations(b);
	g_ptr_array_sort(b->violations, violation_order);
	g_hash_table_destroy(copies);
	owners_free(b->owners);
	b->owners = NULL;
	g_array_free(b->kept_stacks, TRUE);
	b->kept_stacks = NULL;
	g_hash_table_destroy(b->spilled);
	b->spilled = NULL;
	resolver_free(&r);
}

void books_free(struct books *b)
{
	/* verdicts point into the groups' trees: free them first */
	g_ptr_array_free(b->verdicts, TRUE);
	g_ptr_array_free(b->handovers, TRUE);
	g_ptr_array_free(b->types, TRUE);
	g_ptr_array_free(b->violations, TRUE);
	g_array_free(b->rules, TRUE);
	if (b->kept_sites)
		g_hash_table_destroy(b->kept_sites);
	memset(b, 0, sizeof(*b));
}

int books_check(const struct books *b, unsigned *leaked, unsigned *violations)
{
	if (leaked)
		*leaked = b->leaked;
	if (violations)
		*violations = b->certain_violations > UINT_MAX ? UINT_MAX
		                                               : (unsigned)b->certain_violations;
	return b->leaked || b->certain_violations;
}
