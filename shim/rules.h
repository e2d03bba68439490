/*
 * rules — which functions of the program are reference functions, and what
 * they do to the object they are given.
 *
 * Grammar (README "Rules"), items separated by ';' or newlines:
 *
 *   gobject                         a preset: gobject, gst, glib, gateway
 *   [TYPE:] FUNCTION = ROLE [(ARG [, FLOATING])] [got]
 *   TYPE: resurrects                objects of TYPE may be referenced again
 *                                   after their count reached 0 (pools)
 *   TYPE: kept_if(OFFSET, MASK[, GET_TYPE])
 *                                   an object of TYPE alive at a normal
 *                                   exit whose 32-bit word at OFFSET has a
 *                                   bit of MASK set is kept on purpose, not
 *                                   leaked (GStreamer's MAY_BE_LEAKED); with
 *                                   GET_TYPE, only a GObject of that GType
 *   # comment                       to the end of the line
 *
 * ROLE is new, inc, dec, free, sink or take; ARG the index of the object
 * argument (default 0); FLOATING, for sink, the function telling whether
 * the object is floating (default g_object_is_floating).  TYPE defaults to
 * FUNCTION without its last "_word" (gw_publisher_ref -> gw_publisher).
 * "got" hooks the function through GOT entries only, even when entries
 * are patched: for a library whose own calls do not balance through its
 * exported functions (GMainLoop takes its reference inline and drops it
 * through g_main_loop_unref).
 *
 * The parser writes straight into the log's rule and type tables and never
 * allocates: it runs in the shim's constructor.  A bad item gives one
 * warning line and is skipped; the others still apply.
 */
#ifndef TALLY_RULES_H
#define TALLY_RULES_H

#include <stdint.h>

#include "tally/format.h"

struct rule_tables {
	struct tally_rule *rules;
	uint32_t max_rules, nrules;
	struct tally_type *types;
	uint32_t max_types, ntypes;
};

/* Parses `text` (rules as in TALLY_RULES) into `t`, appending.  `origin`
 * names the source in warnings ("TALLY_RULES", a file name).  Calls `warn`
 * with one complete line per rejected item.  Returns the warning count. */
int rules_parse(struct rule_tables *t, const char *text, const char *origin,
                void (*warn)(const char *line));

/* The text of preset `name`, or NULL. */
const char *rules_preset(const char *name);

/* Index of the hooked rule for `function` (not a lifetime rule), or -1. */
int rules_find(const struct rule_tables *t, const char *function);

/* The role's name ("new", "inc", ...), or "?". */
const char *rules_role_name(unsigned role);

#endif
