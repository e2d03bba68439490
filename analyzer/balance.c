/*
 * balance — merge cells into the tree, read verdicts off it, prune it.
 */
#include "balance.h"

#include <string.h>

/* ---- the index: (parent, frame key) -> node ---------------------------- */

static guint node_hash(gconstpointer p)
{
	const struct bal_node *n = p;
	uint64_t h = (uint64_t)(uintptr_t)n->parent * 0x9e3779b97f4a7c15ull;

	h ^= n->frame.offset + 0x632be59bd9b4e019ull + (h << 6) + (h >> 2);
	h ^= n->frame.module * 0xff51afd7ed558ccdull;
	return (guint)(h ^ (h >> 32));
}

static gboolean node_equal(gconstpointer pa, gconstpointer pb)
{
	const struct bal_node *a = pa, *b = pb;

	return a->parent == b->parent && a->frame.module == b->frame.module &&
	       a->frame.offset == b->frame.offset;
}

struct bal_tree *bal_new(unsigned max_nodes)
{
	struct bal_tree *t = g_new0(struct bal_tree, 1);

	t->root = g_new0(struct bal_node, 1);
	t->index = g_hash_table_new(node_hash, node_equal);
	t->touched = g_ptr_array_new();
	t->max_nodes = max_nodes;
	return t;
}

static void node_free(struct bal_node *n)
{
	if (n->children) {
		for (guint i = 0; i < n->children->len; i++)
			node_free(n->children->pdata[i]);
		g_ptr_array_free(n->children, TRUE);
	}
	g_free(n);
}

void bal_free(struct bal_tree *t)
{
	if (!t)
		return;
	node_free(t->root);
	if (t->index)
		g_hash_table_destroy(t->index);
	g_ptr_array_free(t->touched, TRUE);
	g_free(t);
}

/* The child of parent for frame f; made when `make` and the budget allows,
 * else NULL. */
static struct bal_node *child_get(struct bal_tree *t, struct bal_node *parent,
                                  const struct bal_frame *f, bool make)
{
	struct bal_node probe = { .parent = parent, .frame = *f };
	struct bal_node *n = t->index ? g_hash_table_lookup(t->index, &probe) : NULL;

	if (n || !make || !t->index || t->nodes >= t->max_nodes)
		return n;
	n = g_new0(struct bal_node, 1);
	n->parent = parent;
	n->frame = *f;
	if (!parent->children)
		parent->children = g_ptr_array_new();
	g_ptr_array_add(parent->children, n);
	g_hash_table_add(t->index, n);
	t->nodes++;
	return n;
}

/* ---- adding objects ------------------------------------------------------ */

/* Counts net for the current object at n. */
static void touch(struct bal_tree *t, struct bal_node *n, int64_t net)
{
	if (n->stamp != t->stamp) {
		n->stamp = t->stamp;
		n->cur = 0;
		g_ptr_array_add(t->touched, n);
	}
	n->cur += net;
}

void bal_object_begin(struct bal_tree *t)
{
	t->stamp++;
	t->probing = false;
	g_ptr_array_set_size(t->touched, 0);
}

bool bal_add(struct bal_tree *t, const struct bal_frame *frames, unsigned n,
             uint32_t stack_id, int64_t net)
{
	struct bal_node *path[n + 1];

	/* The whole path first: a cell is merged entirely or not at all, so
	 * every node's net stays the sum of the cells below it. */
	path[0] = t->root;
	for (unsigned i = 0; i < n; i++) {
		path[i + 1] = child_get(t, path[i], &frames[i], true);
		if (!path[i + 1]) {
			t->cells_dropped++;
			return false;
		}
	}
	for (unsigned i = 0; i <= n; i++) {
		path[i]->net += net;
		if (net < 0)
			path[i]->minus += net;
		if (!path[i]->stack_id)
			path[i]->stack_id = stack_id;
		touch(t, path[i], net);
	}
	path[n]->self += net;
	if (n)
		path[n]->stack_id = stack_id;
	return true;
}

void bal_object_end(struct bal_tree *t)
{
	for (guint i = 0; i < t->touched->len; i++) {
		struct bal_node *n = t->touched->pdata[i];
		if (n->cur > 0)
			n->objects++;
	}
	g_ptr_array_set_size(t->touched, 0);
}

void bal_probe_begin(struct bal_tree *t)
{
	bal_object_begin(t);
	t->probing = true;
}

void bal_probe_add(struct bal_tree *t, const struct bal_frame *frames, unsigned n,
                   int64_t net)
{
	struct bal_node *at = t->root;

	touch(t, at, net);
	for (unsigned i = 0; i < n; i++) {
		at = child_get(t, at, &frames[i], false);
		if (!at)
			return;   /* not merged (budget): in no node below */
		touch(t, at, net);
	}
}

int64_t bal_probe_net(const struct bal_tree *t, const struct bal_node *node)
{
	return node->stamp == t->stamp ? node->cur : 0;
}

/* ---- verdicts ------------------------------------------------------------ */

/* The branches of a node: its children with a non-zero net (a zero one is
 * balanced), and its own cells as one more branch. */
struct branches {
	unsigned pos, neg;
	const struct bal_node *pos_child;   /* the last positive child */
	bool pos_self;                      /* its own cells are positive */
};

static struct branches branches_of(const struct bal_node *n)
{
	struct branches b = { 0 };

	for (guint i = 0; n->children && i < n->children->len; i++) {
		const struct bal_node *c = n->children->pdata[i];
		if (c->net > 0) {
			b.pos++;
			b.pos_child = c;
		} else if (c->net < 0) {
			b.neg++;
		}
	}
	if (n->self > 0) {
		b.pos++;
		b.pos_self = true;
	} else if (n->self < 0) {
		b.neg++;
	}
	return b;
}

/* The positive cells under n, through positive children only (a negative
 * branch gives back more than it takes, whatever it holds inside). */
static void collect_candidates(const struct bal_node *n, GPtrArray *out)
{
	if (n->self > 0)
		g_ptr_array_add(out, (gpointer)n);
	for (guint i = 0; n->children && i < n->children->len; i++) {
		const struct bal_node *c = n->children->pdata[i];
		if (c->net > 0)
			collect_candidates(c, out);
	}
}

/* The node naming a branch's function: for a node that is a call (it has
 * children), the function it called; for a cell, the function that made it. */
static const struct bal_node *callee(const struct bal_node *n, int sign)
{
	for (guint i = 0; n->children && i < n->children->len; i++) {
		const struct bal_node *c = n->children->pdata[i];
		if ((sign > 0 && c->net > 0) || (sign < 0 && c->net < 0))
			return c;
	}
	return n;
}

const struct bal_node *bal_branch_name(const struct bal_node *n)
{
	/* a node set aside for its own cells holds a positive net */
	return n->net < 0 ? callee(n, -1) : n;
}

static gint by_taken_desc(gconstpointer pa, gconstpointer pb)
{
	const struct bal_node *a = *(const struct bal_node *const *)pa;
	const struct bal_node *b = *(const struct bal_node *const *)pb;

	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	/* a tie in the order of the code: two calls in one function read top
	 * to bottom */
	if (a->frame.offset != b->frame.offset)
		return a->frame.offset < b->frame.offset ? -1 : 1;
	return 0;
}

/* The descent's state: verdicts found, negative branches set aside on the
 * way to the current node. */
struct descent {
	GPtrArray *out;
	GPtrArray *aside;
};

/* The nodes under n's positive branches that drop references (a negative
 * branch there, or a negative cell of their own), added to drops, at most
 * 8 in all: the drops a verdict's count has beside those of n's own
 * negative branches (counted already: not looked at here). */
static void add_inner_drops(const struct bal_node *n, GPtrArray *drops, bool top)
{
	for (guint i = 0; n->children && i < n->children->len && drops->len < 8; i++) {
		const struct bal_node *c = n->children->pdata[i];
		if (c->net < 0) {
			if (!top && !g_ptr_array_find(drops, c, NULL))
				g_ptr_array_add(drops, (gpointer)c);
			continue;
		}
		if (c->self < 0 && !g_ptr_array_find(drops, c, NULL))
			g_ptr_array_add(drops, (gpointer)c);
		add_inner_drops(c, drops, false);
	}
}

/* A verdict at stop.  cells_only: the leak is the cells made in stop's
 * callee (positive leaves under it, and its own cells), besides calls that
 * are leaks of their own. */
static void verdict_add(struct descent *d, const struct bal_node *stop, bool cells_only)
{
	struct bal_verdict *v = g_new0(struct bal_verdict, 1);

	v->stop = stop;
	v->candidates = g_ptr_array_new();
	v->drops = g_ptr_array_new();
	v->aside = g_ptr_array_copy(d->aside, NULL, NULL);
	v->handed_to = g_ptr_array_new();
	v->objects = stop->objects;
	if (cells_only) {
		v->at = v->fn = stop;
		if (stop->self > 0) {
			v->net = stop->self;
			g_ptr_array_add(v->candidates, (gpointer)stop);
		}
		for (guint i = 0; stop->children && i < stop->children->len; i++) {
			const struct bal_node *c = stop->children->pdata[i];
			if (c->net <= 0 || c->children)
				continue;
			if (v->fn == stop)
				v->fn = c;
			v->net += c->net;
			g_ptr_array_add(v->candidates, (gpointer)c);
		}
		/* Objects holding some: all of stop's when nothing else is held
		 * under it, else at least as many as at the busiest site. */
		bool calls = false;
		for (guint i = 0; stop->children && i < stop->children->len; i++) {
			const struct bal_node *c = stop->children->pdata[i];
			calls |= c->net != 0 && c->children;
		}
		if (calls) {
			v->objects = 0;
			for (guint i = 0; i < v->candidates->len; i++) {
				const struct bal_node *c = v->candidates->pdata[i];
				if (c->objects > v->objects)
					v->objects = c->objects;
			}
		}
	} else {
		const struct bal_node *at = stop;
		for (;;) {
			struct branches b = branches_of(at);
			if (b.pos != 1 || b.pos_self)
				break;
			at = b.pos_child;
		}
		v->at = at;
		v->fn = callee(at, +1);
		v->net = stop->net;
		collect_candidates(at, v->candidates);
		for (guint i = 0; stop->children && i < stop->children->len; i++) {
			const struct bal_node *c = stop->children->pdata[i];
			if (c->net < 0) {
				g_ptr_array_add(v->drops, (gpointer)callee(c, -1));
				v->dropped -= c->net;
			}
		}
		if (stop->self < 0) {
			g_ptr_array_add(v->drops, (gpointer)stop);
			v->dropped -= stop->self;
		}
	}
	g_ptr_array_sort(v->candidates, by_taken_desc);
	for (guint i = 0; i < v->candidates->len; i++)
		v->taken += ((const struct bal_node *)v->candidates->pdata[i])->self;
	/* Decrements inside a positive branch (a callee that drops some of
	 * the references it was given) are not among the negative branches
	 * above; with them the references dropped are what was taken less
	 * what is left.  "Takes 6 for each 1 dropped" read 12 taken, 2
	 * dropped, net 1. */
	if (v->taken - v->net > v->dropped) {
		v->dropped = v->taken - v->net;
		add_inner_drops(stop, v->drops, true);   /* who made those drops */
	}
	g_ptr_array_add(d->out, v);
}

/* Sets n's negative branches aside before going down into its child. */
static guint aside_push(struct descent *d, const struct bal_node *n)
{
	guint mark = d->aside->len;

	for (guint i = 0; n->children && i < n->children->len; i++) {
		const struct bal_node *c = n->children->pdata[i];
		if (c->net < 0)
			g_ptr_array_add(d->aside, (gpointer)c);
	}
	if (n->self < 0)
		g_ptr_array_add(d->aside, (gpointer)n);
	return mark;
}

/* What a set-aside branch gave back: a child's net, or the cells of the
 * node it was set aside from. */
static int64_t aside_amount(const struct bal_node *n)
{
	return n->net < 0 ? -n->net : n->self < 0 ? -n->self : 0;
}

static void find(struct descent *d, const struct bal_node *n)
{
	struct branches b = branches_of(n);

	if (n->net <= 0 || b.pos == 0)
		return;
	if (b.neg) {
		if (b.pos == 1 && !b.pos_self && b.pos_child->minus < 0) {
			/* they meet further in */
			guint mark = aside_push(d, n);
			find(d, b.pos_child);
			g_ptr_array_set_size(d->aside, mark);
		} else {
			verdict_add(d, n, false);   /* they meet here and do not cancel */
		}
		return;
	}
	if (b.pos == 1 && !b.pos_self) {
		find(d, b.pos_child);
		return;
	}
	if (b.pos == 1) {
		verdict_add(d, n, false);   /* a leaf: the cells end here */
		return;
	}
	/* Several positive branches, none negative: each call made here is an
	 * independent leak; the cells made here directly (reference calls on
	 * several lines of one function) are one, with several candidates. */
	bool cells = b.pos_self;
	for (guint i = 0; n->children && i < n->children->len; i++) {
		const struct bal_node *c = n->children->pdata[i];
		if (c->net > 0 && c->children)
			find(d, c);
		else if (c->net > 0)
			cells = true;
	}
	if (cells)
		verdict_add(d, n, true);
}

/* Marks the verdicts whose net what the others set aside covers. */
static void find_handovers(GPtrArray *found)
{
	for (guint i = 0; i < found->len; i++) {
		struct bal_verdict *v = found->pdata[i];
		for (guint k = 0; k < found->len; k++) {
			const struct bal_verdict *o = found->pdata[k];
			for (guint j = 0; k != i && j < o->aside->len; j++) {
				const struct bal_node *n = o->aside->pdata[j];
				if (g_ptr_array_find(v->handed_to, n, NULL) ||
				    g_ptr_array_find(v->aside, n, NULL))
					continue;
				g_ptr_array_add(v->handed_to, (gpointer)n);
				v->elsewhere += aside_amount(n);
			}
		}
		if (v->elsewhere < v->net) {
			v->elsewhere = 0;
			g_ptr_array_set_size(v->handed_to, 0);
		}
	}
}

static gint by_verdict(gconstpointer pa, gconstpointer pb)
{
	const struct bal_verdict *a = *(const struct bal_verdict *const *)pa;
	const struct bal_verdict *b = *(const struct bal_verdict *const *)pb;

	if (!a->elsewhere != !b->elsewhere)
		return a->elsewhere ? 1 : -1;
	if (a->net != b->net)
		return a->net > b->net ? -1 : 1;
	return 0;
}

void bal_verdicts(const struct bal_tree *t, GPtrArray *out)
{
	struct descent d = { g_ptr_array_new(), g_ptr_array_new() };

	find(&d, t->root);
	find_handovers(d.out);
	g_ptr_array_sort(d.out, by_verdict);
	for (guint i = 0; i < d.out->len; i++)
		g_ptr_array_add(out, d.out->pdata[i]);
	g_ptr_array_free(d.out, TRUE);
	g_ptr_array_free(d.aside, TRUE);
}

void bal_verdict_free(gpointer p)
{
	struct bal_verdict *v = p;

	g_ptr_array_free(v->candidates, TRUE);
	g_ptr_array_free(v->drops, TRUE);
	g_ptr_array_free(v->aside, TRUE);
	g_ptr_array_free(v->handed_to, TRUE);
	g_free(v);
}

/* ---- pruning ------------------------------------------------------------- */

static gint by_net_desc(gconstpointer pa, gconstpointer pb)
{
	const struct bal_node *a = *(const struct bal_node *const *)pa;
	const struct bal_node *b = *(const struct bal_node *const *)pb;

	if (a->net != b->net)
		return a->net > b->net ? -1 : 1;
	return a->frame.offset < b->frame.offset ? -1 : a->frame.offset > b->frame.offset;
}

static unsigned subtree_size(const struct bal_node *n)
{
	unsigned size = 1;

	for (guint i = 0; n->children && i < n->children->len; i++)
		size += subtree_size(n->children->pdata[i]);
	return size;
}

/* Frees the balanced subtrees under n; returns how many nodes went. */
static unsigned prune(struct bal_node *n)
{
	unsigned freed = 0;

	if (!n->children)
		return 0;
	for (guint i = 0; i < n->children->len;) {
		struct bal_node *c = n->children->pdata[i];
		if (c->net == 0) {
			freed += subtree_size(c);
			node_free(c);
			g_ptr_array_remove_index(n->children, i);
		} else {
			freed += prune(c);
			i++;
		}
	}
	if (!n->children->len) {
		g_ptr_array_free(n->children, TRUE);
		n->children = NULL;
	} else {
		g_ptr_array_sort(n->children, by_net_desc);
	}
	return freed;
}

void bal_prune(struct bal_tree *t)
{
	if (t->index) {
		g_hash_table_destroy(t->index);
		t->index = NULL;
	}
	t->nodes -= prune(t->root);
}
