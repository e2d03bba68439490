/*
 * owners — creation sites of live objects, found by their innermost frame.
 */
#include "owners.h"

#include <glib.h>
#include <string.h>

/* Frames that must agree, at least, when a stack lost its outermost ones. */
#define OWNER_MIN_FRAMES 3

struct site_entry {
	struct owner_site site;
	unsigned n;
	struct bal_frame *f;           /* outermost first */
};

struct owners {
	unsigned depth;
	GHashTable *by_inner;          /* innermost frame key -> GPtrArray of
	                                * struct site_entry * */
	GHashTable *by_stack;          /* stack id -> struct site_entry * */
	GPtrArray *all;                /* owns the entries */
};

static bool same_frame(const struct bal_frame *a, const struct bal_frame *b)
{
	return a->module == b->module && a->offset == b->offset;
}

static gpointer frame_key(const struct bal_frame *f)
{
	return GSIZE_TO_POINTER((gsize)(f->offset * 0x9e3779b97f4a7c15ull) ^ f->module);
}

static void entry_free(gpointer p)
{
	struct site_entry *e = p;

	g_free(e->f);
	g_free(e);
}

struct owners *owners_new(unsigned depth)
{
	struct owners *o = g_new0(struct owners, 1);

	o->depth = depth;
	o->by_inner = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
	                                    (GDestroyNotify)g_ptr_array_unref);
	o->by_stack = g_hash_table_new(g_direct_hash, g_direct_equal);
	o->all = g_ptr_array_new_with_free_func(entry_free);
	return o;
}

void owners_free(struct owners *o)
{
	if (!o)
		return;
	g_hash_table_destroy(o->by_inner);
	g_hash_table_destroy(o->by_stack);
	g_ptr_array_free(o->all, TRUE);
	g_free(o);
}

struct owner_site *owners_add(struct owners *o, uint16_t type, uint32_t stack_id,
                              const struct bal_frame *f, unsigned n)
{
	struct site_entry *e = g_hash_table_lookup(o->by_stack, GUINT_TO_POINTER(stack_id));

	if (!e) {
		e = g_new0(struct site_entry, 1);
		e->site.type = type;
		e->site.stack_id = stack_id;
		e->n = n;
		e->f = g_memdup2(f, n * sizeof(*f));
		g_ptr_array_add(o->all, e);
		g_hash_table_insert(o->by_stack, GUINT_TO_POINTER(stack_id), e);
		if (n && f[n - 1].module != BAL_SPECIAL) {
			gpointer key = frame_key(&f[n - 1]);
			GPtrArray *list = g_hash_table_lookup(o->by_inner, key);
			if (!list) {
				list = g_ptr_array_new();
				g_hash_table_insert(o->by_inner, key, list);
			}
			g_ptr_array_add(list, e);
		}
	}
	e->site.alive++;
	return &e->site;
}

/* Whether the call chain c[0..j] (outermost first, c[j] its innermost
 * frame here) is the creation stack of e: the frames agree from the
 * innermost outwards as far as both go, and where one ends first it is
 * because it lost its outermost frames to the depth limit. */
static bool chain_is(const struct owners *o, const struct bal_frame *c, unsigned j, unsigned cn,
                     const struct site_entry *e)
{
	unsigned overlap = j + 1 < e->n ? j + 1 : e->n;

	for (unsigned t = 0; t < overlap; t++)
		if (!same_frame(&c[j - t], &e->f[e->n - 1 - t]))
			return false;
	if (j + 1 == e->n)
		return true;   /* both end at the same outermost frame */
	/* the longer one goes on: the shorter must have been cut short */
	bool shorter_cut = j + 1 < e->n ? cn == o->depth : e->n == o->depth;
	return shorter_cut && overlap >= OWNER_MIN_FRAMES;
}

/* Whether e's creation stack is the frames self[0..nself). */
static bool is_site(const struct site_entry *e, const struct bal_frame *self, unsigned nself)
{
	if (e->n != nself)
		return false;
	for (unsigned i = 0; i < nself; i++)
		if (!same_frame(&e->f[i], &self[i]))
			return false;
	return true;
}

const struct owner_site *owners_find(const struct owners *o, const struct bal_frame *f,
                                     unsigned n, const struct bal_frame *self, unsigned nself)
{
	/* j: the frame of the call that created the owner; at least one frame
	 * of the cell lies deeper, inside the creating function.  From the
	 * innermost out: of nested creations the innermost is the owner. */
	for (unsigned j = n > 0 ? n - 1 : 0; j-- > 0;) {
		if (f[j].module == BAL_SPECIAL)
			continue;
		GPtrArray *list = g_hash_table_lookup(o->by_inner, frame_key(&f[j]));
		for (guint i = 0; list && i < list->len; i++) {
			const struct site_entry *e = list->pdata[i];
			if (same_frame(&f[j], &e->f[e->n - 1]) && chain_is(o, f, j, n, e) &&
			    !is_site(e, self, nself))
				return &e->site;
		}
	}
	return NULL;
}
