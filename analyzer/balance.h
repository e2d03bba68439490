/*
 * balance — the balance tree of one group of objects, and the verdicts read
 * off it.
 *
 * Every reference the books hold on an object is a cell: a call stack and
 * the net count taken there.  The cells of a group's objects are merged
 * into one tree from the outermost frame inwards (under a virtual root,
 * children keyed by resolved frame), so that the references taken and the
 * ones given back under the same call meet in one node.  A node's net is
 * inclusive; a subtree whose net is 0 is balanced and pruned.  What is left
 * is where references were taken and not given back.
 *
 * The tree knows nothing of symbols: frames come in resolved (module +
 * offset, or a special key), the caller names them.  Memory is bounded by a
 * node budget given at creation; cells past it are counted, not merged.
 */
#ifndef TALLY_BALANCE_H
#define TALLY_BALANCE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* bal_frame.module for a path element that is no frame: offset then holds a
 * special stack id (TALLY_STACK_LOST, ...), or 0 for references booked
 * without any stack (an object's `unstacked`). */
#define BAL_SPECIAL 0xffffffffu

/* One frame of a path, as the tree keys it. */
struct bal_frame {
	uint32_t module;             /* canonical module + 1; 0: in no known
	                              * module; BAL_SPECIAL: no frame */
	uint64_t offset;             /* address - bias; the address when in no
	                              * module; the special id for BAL_SPECIAL */
	uint32_t generation;         /* of the stack it came from, and */
	uint64_t addr;               /* the return address: for the symbolizer */
};

struct bal_node {
	struct bal_node *parent;     /* NULL for the root */
	GPtrArray *children;         /* struct bal_node *; NULL when none.
	                              * After bal_prune: net != 0 only, largest
	                              * net first */
	struct bal_frame frame;      /* meaningless for the root */
	uint32_t stack_id;           /* a stack through this node: for a node
	                              * where cells end, one of theirs */
	int64_t net;                 /* inclusive: every cell through here */
	int64_t self;                /* cells ending exactly here */
	int64_t minus;               /* sum of the negative cells under here:
	                              * < 0 when the subtree gives references
	                              * back itself */
	unsigned objects;            /* objects with a positive inclusive net
	                              * here (bal_object_end counts them) */
	/* scratch for the object being added */
	int64_t cur;
	unsigned stamp;
};

struct bal_tree {
	struct bal_node *root;
	GHashTable *index;           /* (parent, frame key) -> node; NULL
	                              * after bal_prune */
	GPtrArray *touched;          /* nodes the current object reached */
	unsigned stamp;              /* current object */
	unsigned nodes, max_nodes;   /* nodes held; the budget */
	uint64_t cells_dropped;      /* cells not merged: budget spent */
	bool probing;                /* bal_probe_*: look up, do not book */
};

/* A verdict: where the imbalance is, and which increments it names. */
struct bal_verdict {
	const struct bal_node *stop;     /* where increments and decrements meet
	                                  * and do not cancel, or where a leak
	                                  * ends when nothing is given back */
	const struct bal_node *at;       /* from stop, down while exactly one
	                                  * branch is positive: the increment */
	const struct bal_node *fn;       /* the node whose frame's function is
	                                  * the verdict's function */
	GPtrArray *candidates;           /* const struct bal_node *: the
	                                  * increment call sites (positive
	                                  * cells) under `at`, largest first */
	GPtrArray *drops;                /* const struct bal_node *: negative
	                                  * branches at stop (each the node
	                                  * naming its function) */
	int64_t net;                     /* held at stop: the imbalance */
	int64_t taken;                   /* sum of the candidates' cells */
	int64_t dropped;                 /* given back under stop (a positive
	                                  * number): its negative branches, and
	                                  * at least taken - net (drops inside
	                                  * positive branches) */
	unsigned objects;                /* objects positive under stop */
	GPtrArray *aside;                /* const struct bal_node *: negative
	                                  * branches passed on the way down to
	                                  * stop (see bal_verdicts); name them
	                                  * with bal_branch_name */
	int64_t elsewhere;               /* references given back on other
	                                  * verdicts' ways down, as many as net
	                                  * or more: this verdict's references
	                                  * may have been handed over there (a
	                                  * thread's reference dropped by the
	                                  * thread); 0 when not */
	GPtrArray *handed_to;            /* const struct bal_node *: those
	                                  * branches, when elsewhere > 0 */
};

/* A tree holding at most max_nodes nodes besides the root. */
struct bal_tree *bal_new(unsigned max_nodes);
void bal_free(struct bal_tree *t);

/* Adding one object: begin, add each of its cells, end.  bal_add books
 * `net` references held at the path frames[0..n) (outermost first), ending
 * at a cell of stack `stack_id`.  Returns false when the node budget ran
 * out (the cell is then counted in cells_dropped, not merged). */
void bal_object_begin(struct bal_tree *t);
bool bal_add(struct bal_tree *t, const struct bal_frame *frames, unsigned n,
             uint32_t stack_id, int64_t net);
void bal_object_end(struct bal_tree *t);

/* Verdicts of the tree, appended to out (struct bal_verdict *, free with
 * bal_verdict_free), those not explained as hand-overs first, then by net.
 * Call before bal_prune.  Descends from the root: at a node with positive
 * net, into its only positive branch when no branch is negative; positive
 * net split over several branches with none negative is several
 * independent leaks, each followed on its own; a node with a negative
 * branch, or a leaf, is where the imbalance is.  Stop nodes hold a positive
 * net.
 *
 * One refinement: when the only positive branch of a node with negative
 * branches gives references back itself (its subtree has negative cells),
 * the increments and decrements of that branch meet further in, and the
 * descent goes on there; the negative branches passed are set aside (a
 * thread dropping at its end the reference another thread took for it).
 * A verdict whose net is covered by what other verdicts set aside is
 * marked as maybe handed over (`elsewhere`). */
void bal_verdicts(const struct bal_tree *t, GPtrArray *out);
void bal_verdict_free(gpointer v);

/* The node naming the function of a branch in aside or handed_to: for a
 * call, the function called that gave back; else the node itself. */
const struct bal_node *bal_branch_name(const struct bal_node *n);

/* Whether one object holds a positive net under a node: begin, add the
 * object's cells again (nothing is booked, no node made), then ask.  Call
 * before bal_prune. */
void bal_probe_begin(struct bal_tree *t);
void bal_probe_add(struct bal_tree *t, const struct bal_frame *frames, unsigned n,
                   int64_t net);
int64_t bal_probe_net(const struct bal_tree *t, const struct bal_node *node);

/* Drops the balanced subtrees (net 0) and the lookup index; sorts children
 * largest net first. */
void bal_prune(struct bal_tree *t);

#endif
