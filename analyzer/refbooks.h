/*
 * books — the reference-count part of a log, before it is formatted: the
 * objects still alive, grouped by type and creation stack; each group's
 * balance tree and the verdicts read off it (which function takes the
 * references that are not given back); the open sockets that probably
 * belong to a leaked group; the enforcement violations; the coverage of
 * each rule.
 *
 * Objects, type and rule counters, and the per-stack obj_created /
 * obj_closed come from the tables, exact when the event area is full;
 * violations are grouped from the events (the header's total is exact).
 *
 * Owner policy: when the process did not run to a normal exit (it runs,
 * was killed, or exec'd), the creation reference of a live object (the +1
 * of its NEW) is presumed held by its owner and discounted before any
 * verdict; at a normal exit every reference still held is a leak.
 */
#ifndef TALLY_ANALYZER_BOOKS_H
#define TALLY_ANALYZER_BOOKS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "analysis.h"
#include "balance.h"
#include "symbolize.h"

/* Memory bound: nodes kept over all balance trees of a report.  A group
 * whose tree does not fit is listed without one (books.trees_skipped). */
#define BOOKS_MAX_NODES (1u << 20)

/* A group keeps this many object addresses (for the JSON report). */
#define BOOKS_ADDRS_MAX 16

/* One live object, as its group keeps it. */
struct book_object {
	uint64_t addr;
	uint32_t tid;                  /* thread that opened its books */
	int64_t time_ns;               /* when (mono) */
	int64_t net;                   /* references that count: the books' net
	                                * less a discounted creation reference */
	bool leaked;                   /* net > 0, or positive under a verdict */
};

/* An open socket group that probably holds a leaked object group. */
struct book_link {
	guint group;                   /* index into analysis.groups */
	GArray *fds;                   /* int: those of its fds made on the thread
	                                * of one of the objects */
	GArray *ports;                 /* uint16_t: their bound local ports */
	char *reason;                  /* for people: "created on the same
	                                * thread under the same call of room_add
	                                * (examples/room.c:95, :101), 0.1 ms apart" */
};

struct book_type;

/* The live objects of one type made at one creation stack (stacks that
 * resolve to the same frames are one group). */
struct book_group {
	struct book_type *type;
	uint32_t stack_id;             /* creation stack (NEW, or the first
	                                * increment of an object first seen so) */
	uint64_t created, freed;       /* objects opened / closed at this stack,
	                                * every type (stack table: exact) */
	unsigned live;                 /* alive at the end of the log */
	unsigned leaked;               /* of those, struct book_object.leaked */
	unsigned owner_discounted;     /* creation references discounted */
	unsigned global;               /* of those, objects a global variable
	                                * held at exit (still reachable) */
	unsigned running;              /* of those, a thread's objects whose
	                                * thread still ran at exit (it holds
	                                * them; no reference given back) */
	int64_t owned;                 /* references held by live owners (taken
	                                * inside their creation: owners.h), not
	                                * counted */
	GArray *owned_by;              /* struct book_owned: by which owners */
	int64_t for_life;              /* references taken under a function a
	                                * lifetime rule names for the type
	                                * (g_network_monitor_get_default
	                                * referencing the default GMainContext):
	                                * held for the life of the process, not
	                                * counted */
	int64_t first_ns, last_ns;     /* creation of the oldest / newest live */
	int64_t unstacked;             /* references of the live objects booked
	                                * without their stack (more stacks than
	                                * an object's cells), in absolute value:
	                                * not 0, the group's verdicts are
	                                * uncertain */
	unsigned unstacked_objects;    /* live objects with such references */
	GArray *objects;               /* struct book_object, slot order */
	struct bal_tree *tree;         /* pruned; NULL when the node budget was
	                                * spent before this group */
	GPtrArray *links;              /* struct book_link * */
};

/* References of a group's objects held by the live objects of one
 * creation site. */
struct book_owned {
	uint16_t type;                 /* the owners' type */
	uint32_t stack_id;             /* their creation stack */
	unsigned alive;                /* live or kept objects made there */
	int64_t refs;                  /* references of the group they hold */
};

/* One type and how far its books can be trusted. */
struct book_type {
	uint16_t index;                /* in the log's type table */
	struct tally_type t;           /* a copy of its entry */
	bool complete;                 /* no blind spot: first_seen_inc,
	                                * dec_unknown, untracked, unstacked and
	                                * nested all 0, and some function of its
	                                * rules was found */
	bool found;                    /* a function of its rules was found in
	                                * the process: something could be booked */
	bool ruled;                    /* some rule still names it (a later rule
	                                * for the same function may have moved
	                                * its only one to another type) */
	unsigned start_refs;           /* references an object starts with: the
	                                * fewest of its new rules' (GThread: 2,
	                                * the caller's and the thread's own) */
	unsigned live, leaked;         /* over its groups */
	unsigned kept;                 /* alive at exit, kept on purpose (its
	                                * kept_if flag): in no group, no leak */
	unsigned inherited;            /* alive, copied from the parent at fork:
	                                * the parent's, in no group, no leak */
	GPtrArray *groups;             /* struct book_group *, leaked first, then
	                                * most alive first */
};

/* A verdict of one group, named. */
struct book_verdict {
	const struct book_group *group;
	struct bal_verdict *v;
	struct tally_frame_info function;  /* v->fn's frame: the function */
	GArray *candidates;            /* struct tally_frame_info, as
	                                * v->candidates: the increment sites */
	char *dropped_by;              /* functions of v->drops, ", " between;
	                                * NULL when nothing is given back */
	char *handed_to;               /* functions of v->handed_to: where the
	                                * references may have been given back
	                                * by another thread; NULL when not */
	struct tally_frame_info reached_from;  /* when the function has no
	                                * source line (a stripped library's):
	                                * its nearest caller that has one, the
	                                * program's call that led there; else
	                                * all 0 */
};

/* Violations of one kind, type, stack and certainty. */
struct book_violation {
	uint16_t kind;                 /* enum tally_violation */
	int type;                      /* type index; -1 for double-close */
	uint32_t stack_id;
	bool certain;                  /* the type's books were complete */
	uint64_t count;                /* exact, from the tallies */
	GArray *fds;                   /* int: double-close, the first
	                                * ANOMALY_FDS_MAX fds */
};

struct books {
	const struct analysis *a;
	bool discount_owner;           /* the owner policy (see above) */
	GArray *rules;                 /* struct tally_rule: copies of the used
	                                * entries */
	GPtrArray *types;              /* struct book_type *, every type in the
	                                * table, most leaked, then most alive */
	GPtrArray *verdicts;           /* struct book_verdict *, largest net
	                                * first, those partly handed over last */
	GPtrArray *handovers;          /* struct book_verdict *: imbalances as
	                                * large as the references given back on
	                                * another path with no increment there (a
	                                * reference handed to another thread and
	                                * dropped there): not leaks */
	struct owners *owners;         /* creation sites of live objects, while
	                                * building */
	GArray *kept_stacks;           /* struct book_owned: creation sites of
	                                * kept objects (owners too), while
	                                * building */
	GHashTable *spilled;           /* live object serial (uint64_t *) ->
	                                * GArray of its spilled cells
	                                * (uint64_t), while building */
	GPtrArray *violations;         /* struct book_violation *, most first */
	uint64_t violations_total;     /* every one seen (header, exact) */
	unsigned live;                 /* live objects in the books, kept ones
	                                * not included */
	unsigned kept;                 /* alive at exit, kept on purpose */
	uint64_t kept_sockets;         /* open at a normal exit, of the process's
	                                * own, made under an every-type lifetime
	                                * rule's function: kept, not leaked */
	GHashTable *kept_sites;        /* stack id -> how many of those its
	                                * socket group holds */
	unsigned inherited;            /* alive, inherited from the parent at fork */
	unsigned leaked;               /* of those, leaked (struct book_object) */
	uint64_t certain_violations;   /* of those, certain */
	unsigned trees_skipped;        /* groups without a tree (node budget) */
	uint64_t cells_dropped;        /* cells not merged into a tree (budget) */
	uint64_t cut_cells;            /* cells whose stack reached the capture
	                                * depth (its outer frames may be cut) */
};

/* Builds the books of the analysed log.  sym names verdicts and finds the
 * frames two stacks share (linking sockets); it is not kept. */
void books_build(struct books *b, const struct analysis *a, struct symbolizer *sym);
void books_free(struct books *b);

/* Whether a verdict's references may be calls still in flight: the
 * process did not exit normally (it runs, or was killed) and the verdict
 * holds at most one reference per object (a per-packet reference taken
 * when the log was read looks just so). */
static inline bool books_maybe_in_flight(const struct books *b, const struct bal_verdict *v)
{
	return b->discount_owner && v->net <= (int64_t)v->objects;
}

/* For `tally run --check`: *leaked = live objects whose references count
 * (positive net after the owner discount, or under a verdict), *violations
 * = certain violations recorded.  Returns 1 when either is non-zero, else
 * 0.  Either pointer may be NULL. */
int books_check(const struct books *b, unsigned *leaked, unsigned *violations);

/* Whether there is anything to report: rules or types were set, or
 * violations seen.
 * Without, a report prints nothing of the books (JSON: empty lists). */
bool books_any(const struct books *b);

/* "all references count" (normal exit) or "creation reference discounted". */
const char *books_policy(const struct books *b);

/* How far a type's books go, one sentence for people: "books complete" or
 * "books incomplete: 3 objects first seen by an increment, 12 decrements
 * of unknown objects".  g_free it. */
char *books_trust(const struct book_type *t);

/* "new", "inc", "dec", "free", "sink", "take"; "?" for others. */
const char *books_role_name(uint8_t role);

/* "underflow", "after-release", "double-close"; "unknown" for others. */
const char *books_violation_name(uint16_t kind);

/* What a tree node that is no frame stands for ("stack lost: ...", "booked
 * without a stack: ..."), or NULL for a frame. */
const char *books_node_missing(const struct logread *lr, const struct bal_node *n);

/* The symbolized frame of a tree node (zeroed for one that is no frame);
 * clear with symbolizer_frame_clear. */
void books_node_frame(struct symbolizer *sym, const struct bal_node *n,
                      struct tally_frame_info *out);

/* How many open sockets of the group made at `stack_id` are kept for the
 * life of the process (lifetime rules), 0 when none or no books. */
unsigned books_kept_sockets_at(const struct books *b, uint32_t stack_id);

#endif
