/*
 * Unit test of shim/rules.c, the rule parser and its presets, over tables
 * in plain memory.  Known answers: each role, the explicit and the default
 * type, (ARG), new(N), sink(ARG, FLOATING), "got", TYPE: resurrects,
 * TYPE: kept_if(OFFSET, MASK[, GET_TYPE]), both
 * separators, comments and blank items; every preset parses with no
 * warning and marks its rules; a later rule for a function replaces the
 * earlier one.  Each bad item gives exactly one warning line that names
 * where it came from and its line, and the good items around it apply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "settings.h"

/* ---- tables and warnings ------------------------------------------------- */

static struct tally_rule rule_mem[TALLY_MAX_RULES];
static struct tally_type type_mem[TALLY_MAX_TYPES];
static struct rule_tables t;

/* Warning lines received by the parser's warn callback. */
#define WARN_MAX 16
static char warnings[WARN_MAX][600];
static int nwarnings;

static void collect_warning(const char *line)
{
	if (nwarnings < WARN_MAX)
		snprintf(warnings[nwarnings], sizeof(warnings[0]), "%s", line);
	nwarnings++;
}

/* Empty tables of the given capacity (the log's, by default). */
static void tables(uint32_t max_rules, uint32_t max_types)
{
	memset(rule_mem, 0xa5, sizeof(rule_mem));   /* the parser must write every field */
	memset(type_mem, 0xa5, sizeof(type_mem));
	memset(&t, 0, sizeof(t));
	t.rules = rule_mem;
	t.max_rules = max_rules;
	t.types = type_mem;
	t.max_types = max_types;
	nwarnings = 0;
	memset(warnings, 0, sizeof(warnings));
}

static int setup(void **state)
{
	tables(TALLY_MAX_RULES, TALLY_MAX_TYPES);
	return 0;
}

/* Parses `text` from origin "TALLY_RULES"; returns the warning count, and
 * checks it equals the lines the callback received. */
static int parse(const char *text)
{
	int before = nwarnings;
	int n = rules_parse(&t, text, "TALLY_RULES", collect_warning);
	assert_int_equal(n, nwarnings - before);
	return n;
}

/* The rule for `function`, failing the test when there is none. */
static const struct tally_rule *rule(const char *function)
{
	int i = rules_find(&t, function);
	if (i < 0)
		fail_msg("no rule for %s", function);
	return &t.rules[i];
}

static const char *type_name(const struct tally_rule *r)
{
	assert_true(r->type < t.ntypes);
	return t.types[r->type].name;
}

static const struct tally_type *type_named(const char *name)
{
	for (uint32_t i = 0; i < t.ntypes; i++)
		if (strcmp(t.types[i].name, name) == 0)
			return &t.types[i];
	fail_msg("no type %s", name);
	return NULL;
}

/* Warning i starts with "tally: ORIGIN line LINE: ignoring rule \"" and
 * contains `what` (the item's text or the reason). */
static void assert_warning(int i, const char *origin, unsigned line, const char *what)
{
	char prefix[128];

	assert_true(i < nwarnings);
	snprintf(prefix, sizeof(prefix), "tally: %s line %u: ignoring rule \"", origin, line);
	if (strncmp(warnings[i], prefix, strlen(prefix)) != 0)
		fail_msg("warning \"%s\" does not start with \"%s\"", warnings[i], prefix);
	if (!strstr(warnings[i], what))
		fail_msg("warning \"%s\" does not say \"%s\"", warnings[i], what);
	assert_null(strchr(warnings[i], '\n'));
}

/* ---- the grammar ----------------------------------------------------------- */

static void every_role_is_understood(void **state)
{
	assert_int_equal(parse("x_new = new; x_ref = inc; x_unref = dec; x_free = free;"
	                       "x_ref_sink = sink; x_take_ref = take"), 0);
	assert_int_equal(t.nrules, 6);
	assert_int_equal(rule("x_new")->role, TALLY_ROLE_NEW);
	assert_int_equal(rule("x_ref")->role, TALLY_ROLE_INC);
	assert_int_equal(rule("x_unref")->role, TALLY_ROLE_DEC);
	assert_int_equal(rule("x_free")->role, TALLY_ROLE_FREE);
	assert_int_equal(rule("x_ref_sink")->role, TALLY_ROLE_SINK);
	assert_int_equal(rule("x_take_ref")->role, TALLY_ROLE_TAKE);
	/* lifetime rules: one per function and type, beside a hooked rule of
	 * the same function, which they never replace */
	assert_int_equal(parse("X: x_pool_new = lifetime; Y: x_pool_new = lifetime;"
	                       "x_pool_new = new"), 0);
	unsigned lifetimes = 0;
	for (uint32_t i = 0; i < t.nrules; i++)
		lifetimes += t.rules[i].role == TALLY_ROLE_LIFETIME &&
		             strcmp(t.rules[i].function, "x_pool_new") == 0;
	assert_int_equal(lifetimes, 2);
	assert_int_equal(rule("x_pool_new")->role, TALLY_ROLE_NEW);   /* the hooked one */
	assert_int_equal(parse("X: x_pool_new = lifetime"), 0);   /* the same again: replaced */
	lifetimes = 0;
	for (uint32_t i = 0; i < t.nrules; i++)
		lifetimes += t.rules[i].role == TALLY_ROLE_LIFETIME;
	assert_int_equal(lifetimes, 2);
	/* lifetime patterns: every type ("*"), a function suffix ("*_get_type") */
	assert_int_equal(parse("*: *_get_type = lifetime; *: x_class_ref = lifetime;"
	                       "X: *_get_type = lifetime; *: *_get_type = lifetime"), 0);
	unsigned any = 0, suffix = 0;
	for (uint32_t i = 0; i < t.nrules; i++) {
		if (t.rules[i].role != TALLY_ROLE_LIFETIME)
			continue;
		any += !!(t.rules[i].flags & TALLY_RULEF_ANY_TYPE);
		suffix += strcmp(t.rules[i].function, "*_get_type") == 0;
	}
	assert_int_equal(any, 2);      /* the repeated one replaced */
	assert_int_equal(suffix, 2);   /* every type's, and X's */
	/* new starts with one reference (carried in arg); the others act on
	 * the first argument */
	assert_int_equal(rule("x_new")->arg, 1);
	assert_int_equal(rule("x_ref")->arg, 0);
	assert_int_equal(rule("x_free")->arg, 0);
	/* only sink has a floating check, by default GObject's */
	assert_string_equal(rule("x_ref_sink")->floating, "g_object_is_floating");
	assert_string_equal(rule("x_ref")->floating, "");
	assert_string_equal(rule("x_new")->floating, "");
	for (uint32_t i = 0; i < t.nrules; i++) {
		assert_int_equal(t.rules[i].flags & ~TALLY_RULEF_ANY_TYPE, 0);
		assert_int_equal(t.rules[i].calls, 0);
		assert_int_equal(t.rules[i].got_sites, 0);
		assert_int_equal(t.rules[i].entries, 0);
	}
	/* in the order given */
	assert_string_equal(t.rules[0].function, "x_new");
	assert_string_equal(t.rules[5].function, "x_take_ref");

	for (unsigned r = TALLY_ROLE_NEW; r < TALLY_ROLE_MAX; r++)
		assert_string_not_equal(rules_role_name(r), "?");
	assert_string_equal(rules_role_name(TALLY_ROLE_SINK), "sink");
	assert_string_equal(rules_role_name(0), "?");
	assert_string_equal(rules_role_name(TALLY_ROLE_MAX), "?");
}

static void type_is_given_or_the_function_without_its_last_word(void **state)
{
	assert_int_equal(parse("Pub: gw_publisher_ref = inc\n"
	                       "gw_publisher_unref = dec\n"
	                       "gw_publisher_new = new\n"
	                       "plain = inc\n"
	                       " Spaced :  spaced_fn  =  dec "), 0);
	assert_string_equal(type_name(rule("gw_publisher_ref")), "Pub");
	assert_string_equal(type_name(rule("gw_publisher_unref")), "gw_publisher");
	/* one type entry for the two rules that share it */
	assert_int_equal(rule("gw_publisher_new")->type, rule("gw_publisher_unref")->type);
	assert_string_equal(type_name(rule("plain")), "plain");
	assert_string_equal(type_name(rule("spaced_fn")), "Spaced");
	assert_int_equal(t.ntypes, 4);
	for (uint32_t i = 0; i < t.ntypes; i++) {
		assert_int_equal(t.types[i].flags, 0);
		assert_int_equal(t.types[i].created, 0);
		assert_int_equal(t.types[i].freed, 0);
	}
}

static void arg_count_and_floating_in_parentheses(void **state)
{
	assert_int_equal(parse("a_unref = dec(2)\n"
	                       "b_ref = inc ( 5 )\n"
	                       "c_free = free(1)\n"
	                       "GThread: g_thread_new = new(2)\n"
	                       "d_new = new(64)\n"
	                       "GVariant: g_variant_ref_sink = sink(0, g_variant_is_floating)\n"
	                       "e_sink = sink(3)\n"
	                       "f_sink = sink(1,f_is_floating)"), 0);
	assert_int_equal(rule("a_unref")->arg, 2);
	assert_int_equal(rule("b_ref")->arg, 5);
	assert_int_equal(rule("c_free")->arg, 1);
	assert_int_equal(rule("g_thread_new")->role, TALLY_ROLE_NEW);
	assert_int_equal(rule("g_thread_new")->arg, 2);
	assert_int_equal(rule("d_new")->arg, 64);
	assert_string_equal(rule("g_variant_ref_sink")->floating, "g_variant_is_floating");
	assert_int_equal(rule("g_variant_ref_sink")->arg, 0);
	assert_string_equal(rule("e_sink")->floating, "g_object_is_floating");
	assert_int_equal(rule("e_sink")->arg, 3);
	assert_string_equal(rule("f_sink")->floating, "f_is_floating");
	assert_int_equal(rule("f_sink")->arg, 1);
}

static void varargs_passes_more_stack_arguments_on(void **state)
{
	assert_int_equal(parse("v_new = new varargs; w_new = new(2) got varargs;"
	                       "x_new = new varargs got; y_new = new"), 0);
	assert_int_equal(rule("v_new")->flags, TALLY_RULEF_VARARGS);
	assert_int_equal(rule("w_new")->flags, TALLY_RULEF_VARARGS | TALLY_RULEF_GOT);
	assert_int_equal(rule("w_new")->arg, 2);
	assert_int_equal(rule("x_new")->flags, TALLY_RULEF_VARARGS | TALLY_RULEF_GOT);
	assert_int_equal(rule("y_new")->flags, 0);
	/* the gobject preset's g_object_new is one */
	assert_int_equal(parse("gobject"), 0);
	assert_true(rule("g_object_new")->flags & TALLY_RULEF_VARARGS);
	assert_false(rule("g_object_ref")->flags & TALLY_RULEF_VARARGS);
}

static void got_hooks_a_rule_through_the_got_only(void **state)
{
	assert_int_equal(parse("a_ref = inc got; a_unref = dec(1) got\n"
	                       "A: a_new = new(2)  got  # comment\n"
	                       "a_sink = sink(0, a_is_floating) got\n"
	                       "a_take = take"), 0);
	assert_int_equal(t.nrules, 5);
	assert_int_equal(rule("a_ref")->flags, TALLY_RULEF_GOT);
	assert_int_equal(rule("a_ref")->role, TALLY_ROLE_INC);
	assert_int_equal(rule("a_unref")->flags, TALLY_RULEF_GOT);
	assert_int_equal(rule("a_unref")->arg, 1);
	assert_int_equal(rule("a_new")->flags, TALLY_RULEF_GOT);
	assert_int_equal(rule("a_new")->arg, 2);
	assert_string_equal(type_name(rule("a_new")), "A");
	assert_int_equal(rule("a_sink")->flags, TALLY_RULEF_GOT);
	assert_string_equal(rule("a_sink")->floating, "a_is_floating");
	assert_int_equal(rule("a_take")->flags, 0);
	/* a function named "got" is still a function */
	assert_int_equal(parse("got = inc"), 0);
	assert_int_equal(rule("got")->role, TALLY_ROLE_INC);
	assert_int_equal(rule("got")->flags, 0);
	/* a later rule without it clears it */
	assert_int_equal(parse("a_ref = inc"), 0);
	assert_int_equal(rule("a_ref")->flags, 0);
}

static void resurrects_marks_the_type_and_adds_no_rule(void **state)
{
	assert_int_equal(parse("Pool: resurrects\nPool: pool_buf_new = new\nOther: resurrects"), 0);
	assert_int_equal(t.nrules, 1);
	assert_int_equal(t.ntypes, 2);
	assert_true(type_named("Pool")->flags & TALLY_TYPEF_RESURRECTS);
	assert_true(type_named("Other")->flags & TALLY_TYPEF_RESURRECTS);
	assert_string_equal(type_name(rule("pool_buf_new")), "Pool");
	/* marking a type after its rules works as well */
	assert_int_equal(parse("Late: late_ref = inc; Late: resurrects"), 0);
	assert_true(type_named("Late")->flags & TALLY_TYPEF_RESURRECTS);
	assert_string_equal(type_name(rule("late_ref")), "Late");
}

static void unseen_new_marks_the_type_and_adds_no_rule(void **state)
{
	assert_int_equal(parse("V: unseen_new\nV: v_new = new"), 0);
	assert_int_equal(t.nrules, 1);
	assert_true(type_named("V")->flags & TALLY_TYPEF_UNSEEN_NEW);
	assert_false(type_named("V")->flags & TALLY_TYPEF_RESURRECTS);
	assert_int_equal(parse("glib"), 0);
	assert_true(type_named("GVariant")->flags & TALLY_TYPEF_UNSEEN_NEW);
	assert_true(type_named("GThread")->flags & TALLY_TYPEF_UNSEEN_NEW);
	assert_true(type_named("GThread")->flags & TALLY_TYPEF_THREAD);
	assert_false(type_named("GVariant")->flags & TALLY_TYPEF_THREAD);
	assert_int_equal(parse("W: thread"), 0);
	assert_int_equal(type_named("W")->flags, TALLY_TYPEF_THREAD);
	assert_false(type_named("GHashTable")->flags & TALLY_TYPEF_UNSEEN_NEW);
}

static void kept_if_names_the_flag_of_kept_objects(void **state)
{
	assert_int_equal(parse("T: kept_if(16, 4)\nU: kept_if( 48 , 1 , gst_object_get_type )\n"
	                       "T: t_new = new"), 0);
	assert_int_equal(t.nrules, 1);
	assert_int_equal(t.ntypes, 2);
	const struct tally_type *ty = type_named("T"), *u = type_named("U");
	assert_int_equal(ty->kept_offset, 16);
	assert_int_equal(ty->kept_mask, 4);
	assert_string_equal(ty->kept_gtype, "");
	assert_int_equal(ty->kept, 0);
	assert_int_equal(u->kept_offset, 48);
	assert_int_equal(u->kept_mask, 1);
	assert_string_equal(u->kept_gtype, "gst_object_get_type");
	assert_string_equal(type_name(rule("t_new")), "T");
	/* a type without it reads 0: nothing is kept */
	assert_int_equal(parse("V: v_new = new"), 0);
	assert_int_equal(type_named("V")->kept_mask, 0);
	/* the largest mask */
	assert_int_equal(parse("W: kept_if(4096, 4294967295)"), 0);
	assert_int_equal(type_named("W")->kept_mask, 4294967295u);
	/* a mask, and an offset, in hexadecimal */
	assert_int_equal(parse("X: kept_if(0x10, 0x100)\nY: kept_if(0, 0xFFFFFFFF)"), 0);
	assert_int_equal(type_named("X")->kept_offset, 16);
	assert_int_equal(type_named("X")->kept_mask, 256);
	assert_int_equal(type_named("Y")->kept_mask, 4294967295u);
}

static void separators_comments_and_blank_items(void **state)
{
	assert_int_equal(parse("# a comment line; not_a_rule = inc\n"
	                       "a_ref = inc;b_ref = inc ;; c_ref=inc\r\n"
	                       "\n"
	                       "   \t  \n"
	                       ";;;\n"
	                       "d_ref = inc  # trailing comment; e_ref = inc\n"
	                       "f_ref = inc #\n"
	                       "g_ref = inc"), 0);
	static const char *const good[] = { "a_ref", "b_ref", "c_ref", "d_ref", "f_ref", "g_ref" };

	assert_int_equal(t.nrules, 6);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(rule(good[i])->role, TALLY_ROLE_INC);
	/* what follows a '#' is a comment up to the newline, ';' included */
	assert_int_equal(rules_find(&t, "not_a_rule"), -1);
	assert_int_equal(rules_find(&t, "e_ref"), -1);
}

static void nothing_at_all_is_no_rule(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("   "), 0);
	assert_int_equal(parse("\n\n;\n# only a comment"), 0);
	assert_int_equal(t.nrules, 0);
	assert_int_equal(t.ntypes, 0);
}

static void a_later_rule_for_a_function_replaces_the_earlier(void **state)
{
	assert_int_equal(parse("a_ref = inc; b_ref = inc\nT: a_ref = dec(1)\nb_ref = new(3)"), 0);
	assert_int_equal(t.nrules, 2);
	assert_int_equal(rules_find(&t, "a_ref"), 0);   /* same place */
	assert_int_equal(rule("a_ref")->role, TALLY_ROLE_DEC);
	assert_int_equal(rule("a_ref")->arg, 1);
	assert_string_equal(type_name(rule("a_ref")), "T");
	assert_int_equal(rule("b_ref")->role, TALLY_ROLE_NEW);
	assert_int_equal(rule("b_ref")->arg, 3);
	/* and from a second text (TALLY_RULES then TALLY_RULES_FILE) */
	assert_int_equal(rules_parse(&t, "a_ref = sink", "rules.txt", collect_warning), 0);
	assert_int_equal(t.nrules, 2);
	assert_int_equal(rule("a_ref")->role, TALLY_ROLE_SINK);
	assert_string_equal(rule("a_ref")->floating, "g_object_is_floating");
}

/* ---- presets ----------------------------------------------------------------- */

/* Rule lines in a preset's text (each has one '='). */
static unsigned rule_lines(const char *text)
{
	unsigned n = 0;
	for (const char *p = text; *p; p++)
		n += *p == '=';
	return n;
}

static void each_preset_parses_without_a_warning(void **state)
{
	static const char *const names[] = { "gateway", "gobject", "gst", "glib", "type_system" };
	const unsigned type_system = rule_lines(rules_preset("type_system"));

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *text = rules_preset(names[i]);
		assert_non_null(text);
		tables(TALLY_MAX_RULES, TALLY_MAX_TYPES);
		if (parse(names[i]) != 0)
			fail_msg("preset %s: %d warnings, the first: %s", names[i], nwarnings, warnings[0]);
		assert_true(t.nrules > 0);
		for (uint32_t r = 0; r < t.nrules; r++) {
			if (!(t.rules[r].flags & TALLY_RULEF_PRESET))
				fail_msg("preset %s: rule %s lacks TALLY_RULEF_PRESET", names[i],
				         t.rules[r].function);
			assert_true(t.rules[r].role >= TALLY_ROLE_NEW && t.rules[r].role < TALLY_ROLE_MAX);
			assert_true(t.rules[r].type < t.ntypes ||
			            (t.rules[r].flags & TALLY_RULEF_ANY_TYPE));
		}
		/* every rule line of the preset made one rule (no function twice),
		 * with those of the presets it includes */
		unsigned want = rule_lines(text) + (strcmp(names[i], "gst") == 0 ?
		                                    rule_lines(rules_preset("gobject")) : 0);
		if (strcmp(names[i], "gobject") == 0 || strcmp(names[i], "gst") == 0 ||
		    strcmp(names[i], "glib") == 0)
			want += type_system;
		assert_int_equal(t.nrules, want);
	}
	/* all four together fit the log's tables, and the type system's rules
	 * they share are there once */
	tables(TALLY_MAX_RULES, TALLY_MAX_TYPES);
	assert_int_equal(parse("gateway; gobject; gst; glib"), 0);
	unsigned shared = 0, every_type = 0;
	for (uint32_t r = 0; r < t.nrules; r++)
		shared += (t.rules[r].flags & TALLY_RULEF_ANY_TYPE) != 0;
	for (const char *p = rules_preset("gobject"); (p = strstr(p, "*:")) != NULL; p += 2)
		every_type++;   /* gobject's own every-type lifetime rules */
	assert_int_equal(shared, type_system + every_type);
	assert_null(rules_preset("nonesuch"));
}

static void gst_includes_gobject_and_its_pools_resurrect(void **state)
{
	assert_int_equal(parse("gst"), 0);
	assert_int_equal(rule("g_object_ref")->role, TALLY_ROLE_INC);
	assert_int_equal(rule("g_object_unref")->role, TALLY_ROLE_DEC);
	assert_int_equal(rule("gst_object_ref")->type, rule("g_object_ref")->type);
	assert_string_equal(type_name(rule("gst_object_ref")), "GObject");
	assert_string_equal(rule("g_object_ref_sink")->floating, "g_object_is_floating");
	assert_true(type_named("GstMiniObject")->flags & TALLY_TYPEF_RESURRECTS);
	assert_true(type_named("GstBuffer")->flags & TALLY_TYPEF_RESURRECTS);
	assert_false(type_named("GObject")->flags & TALLY_TYPEF_RESURRECTS);
	assert_false(type_named("GstCaps")->flags & TALLY_TYPEF_RESURRECTS);
	/* MAY_BE_LEAKED: GstObject.flags bit 0, GstMiniObject.flags bit 2 */
	assert_int_equal(type_named("GObject")->kept_offset, 48);
	assert_int_equal(type_named("GObject")->kept_mask, 1);
	assert_string_equal(type_named("GObject")->kept_gtype, "gst_object_get_type");
	assert_int_equal(type_named("GstCaps")->kept_offset, 16);
	assert_int_equal(type_named("GstCaps")->kept_mask, 4);
	assert_string_equal(type_named("GstCaps")->kept_gtype, "");
	assert_int_equal(type_named("GstBuffer")->kept_mask, 4);
	/* naming it twice changes nothing */
	uint32_t nrules = t.nrules, ntypes = t.ntypes;
	assert_int_equal(parse("gobject; gst"), 0);
	assert_int_equal(t.nrules, nrules);
	assert_int_equal(t.ntypes, ntypes);
}

static void glib_threads_start_with_two_references(void **state)
{
	assert_int_equal(parse("glib"), 0);
	/* the main loop's own references do not balance: GOT only */
	assert_int_equal(rule("g_main_loop_unref")->flags, TALLY_RULEF_PRESET | TALLY_RULEF_GOT);
	assert_int_equal(rule("g_source_new")->flags, TALLY_RULEF_PRESET | TALLY_RULEF_GOT);
	assert_int_equal(rule("g_hash_table_unref")->flags, TALLY_RULEF_PRESET);
	assert_int_equal(rule("g_thread_new")->role, TALLY_ROLE_NEW);
	assert_int_equal(rule("g_thread_new")->arg, 2);
	assert_int_equal(rule("g_hash_table_new")->arg, 1);
	/* a shared array outlives g_array_free until its last unref */
	assert_int_equal(rule("g_array_free")->role, TALLY_ROLE_DEC);
	assert_int_equal(rule("g_ptr_array_free")->role, TALLY_ROLE_DEC);
	assert_int_equal(rule("g_variant_new_int64")->role, TALLY_ROLE_NEW);
	assert_string_equal(rule("g_variant_ref_sink")->floating, "g_variant_is_floating");
	assert_string_equal(type_name(rule("g_main_loop_unref")), "GMainLoop");
}

static void a_user_rule_after_a_preset_overrides_it(void **state)
{
	assert_int_equal(parse("gateway\ngw_publisher: gw_publisher_unref = free\nmy_ref = inc"), 0);
	assert_int_equal(t.nrules, 4);
	assert_int_equal(rule("gw_publisher_unref")->role, TALLY_ROLE_FREE);
	/* no longer the preset's: a missing function is then worth a warning */
	assert_false(rule("gw_publisher_unref")->flags & TALLY_RULEF_PRESET);
	assert_true(rule("gw_publisher_ref")->flags & TALLY_RULEF_PRESET);
	assert_false(rule("my_ref")->flags & TALLY_RULEF_PRESET);
	assert_string_equal(type_name(rule("gw_publisher_new")), "gw_publisher");
}

/* ---- errors: one line each, the rest applies ---------------------------------- */

/* Parses "good_a = inc\n<bad>\ngood_b = dec" and checks exactly one
 * warning for line 2 that quotes the item and says `why`. */
static void one_bad_item(const char *bad, const char *why)
{
	char text[512];

	tables(TALLY_MAX_RULES, TALLY_MAX_TYPES);
	snprintf(text, sizeof(text), "good_a = inc\n%s\ngood_b = dec", bad);
	if (parse(text) != 1)
		fail_msg("\"%s\": %d warnings, expected 1 (first: %s)", bad, nwarnings, warnings[0]);
	assert_warning(0, "TALLY_RULES", 2, why);
	/* the item is quoted as given, without its outer blanks */
	char quoted[128];
	size_t len = strlen(bad);
	while (len && bad[len - 1] == ' ')
		len--;
	snprintf(quoted, sizeof(quoted), "\"%.*s\"", (int)len, bad);
	if (len <= 80 && !strstr(warnings[0], quoted))
		fail_msg("warning \"%s\" does not quote the item as %s", warnings[0], quoted);
	assert_int_equal(rule("good_a")->role, TALLY_ROLE_INC);
	assert_int_equal(rule("good_b")->role, TALLY_ROLE_DEC);
	assert_int_equal(t.nrules, 2);
}

static void each_error_is_one_line_and_the_rest_applies(void **state)
{
	one_bad_item("x_ref = bump", "unknown role");
	one_bad_item("x_ref = ", "unknown role");
	one_bad_item("x_ref inc", "expected '='");
	one_bad_item("T: x_ref", "expected '='");
	one_bad_item("T: x_ref inc", "expected '='");
	one_bad_item("x_ref = inc(x)", "expected a number");
	one_bad_item("x_ref = inc()", "expected a number");
	one_bad_item("x_ref = inc(-1)", "expected a number");
	one_bad_item("x_ref = inc(1", "expected ')'");
	one_bad_item("x_ref = inc(12345)", "first 6 arguments");
	one_bad_item("x_new = new(99999)", "1 to 64 references");
	one_bad_item("x_ref = inc(1, x_is_floating)", "expected ')'");
	one_bad_item("x_ref = inc(6)", "first 6 arguments");
	one_bad_item("x_ref = dec(99)", "first 6 arguments");
	one_bad_item("x_new = new(0)", "1 to 64 references");
	one_bad_item("x_new = new(65)", "1 to 64 references");
	one_bad_item("x_sink = sink(0, )", "floating-check function");
	one_bad_item("gobjekt", "unknown preset");
	one_bad_item("x_ref = inc x", "unexpected text");
	one_bad_item("x_ref = inc gotten", "only \"got\" and \"varargs\" may follow");
	one_bad_item("x_ref = inc got got", "unexpected text");
	one_bad_item("x_new = new varargs varargs", "unexpected text");
	one_bad_item("x_new = new varargs(1)", "unexpected text");
	one_bad_item("x_ref = inc got(1)", "unexpected text");
	one_bad_item("x_ref = got", "unknown role");
	one_bad_item("x_ref = inc(1) x", "unexpected text");
	/* patterns are for lifetime rules only, and need a type */
	one_bad_item("*: x_ref = inc", "only lifetime rules");
	one_bad_item("T: *_ref = dec", "only lifetime rules");
	one_bad_item("*_get_type = lifetime", "needs a TYPE");
	one_bad_item("T: * = lifetime", "needs a suffix");
	one_bad_item("*: resurrects", "lifetime rules only");
	one_bad_item("*: unseen_new", "lifetime rules only");
	one_bad_item("*: thread", "lifetime rules only");
	one_bad_item("*: kept_if(16, 4)", "lifetime rules only");
	one_bad_item("T*: x_new = lifetime", "expected '='");
	one_bad_item("x_ref = inc, y_ref = inc", "unexpected text");
	one_bad_item("T: x_ref = inc = dec", "unexpected text");
	one_bad_item("T: resurrects now", "expected '='");
	one_bad_item("T:", "expected a function name after the type");
	one_bad_item("= inc", "expected a function");
	one_bad_item("x-ref = inc", "expected '='");
	one_bad_item("T: kept_if", "expected kept_if(OFFSET, MASK[, GET_TYPE])");
	one_bad_item("T: kept_if(3, 4)", "multiple of 4");
	one_bad_item("T: kept_if(8192, 4)", "at most 4096");
	one_bad_item("T: kept_if(x, 4)", "multiple of 4");
	one_bad_item("T: kept_if(0 4)", "expected ','");
	one_bad_item("T: kept_if(0, 0)", "MASK must be");
	one_bad_item("T: kept_if(0, 4294967296)", "MASK must be");
	one_bad_item("T: kept_if(0, 4", "expected ')'");
	one_bad_item("T: kept_if(0, 4, )", "GET_TYPE must be");
	one_bad_item("T: kept_if(0, 4, f) x", "expected ')'");
}

static void overlong_names_are_refused(void **state)
{
	char fn63[64], fn64[65], ty39[40], ty40[41], fl47[48], fl48[49], text[256];

	memset(fn63, 'f', 63), fn63[63] = 0;
	memset(fn64, 'f', 64), fn64[64] = 0;
	memset(ty39, 'T', 39), ty39[39] = 0;
	memset(ty40, 'T', 40), ty40[40] = 0;
	memset(fl47, 'g', 47), fl47[47] = 0;
	memset(fl48, 'g', 48), fl48[48] = 0;

	/* the longest names that fit the log's fields are taken whole */
	snprintf(text, sizeof(text), "%s: %s = sink(0, %s)", ty39, fn63, fl47);
	assert_int_equal(parse(text), 0);
	assert_string_equal(rule(fn63)->function, fn63);
	assert_string_equal(rule(fn63)->floating, fl47);
	assert_string_equal(type_name(rule(fn63)), ty39);

	snprintf(text, sizeof(text), "%s = inc", fn64);
	one_bad_item(text, "at most 63 characters");
	snprintf(text, sizeof(text), "T: %s = inc", fn64);
	one_bad_item(text, "expected a function name after the type");
	snprintf(text, sizeof(text), "%s: x_ref = inc", ty40);
	one_bad_item(text, "type name longer than 39 characters");
	snprintf(text, sizeof(text), "%s: resurrects", ty40);
	one_bad_item(text, "type name longer than 39 characters");
	snprintf(text, sizeof(text), "x_sink = sink(0, %s)", fl48);
	one_bad_item(text, "floating-check function");
	one_bad_item("x_ref = incrementincrement", "unknown role");
}

static void a_long_item_is_quoted_shortened(void **state)
{
	char text[400];
	memset(text, 'z', 300);
	memcpy(text + 300, " = inc", 7);
	assert_int_equal(parse(text), 1);
	assert_warning(0, "TALLY_RULES", 1, "at most 63 characters");
	assert_true(strlen(warnings[0]) < 300);
}

static void too_many_rules(void **state)
{
	tables(3, TALLY_MAX_TYPES);
	assert_int_equal(parse("a_ref = inc; a_unref = dec\na_new = new\n"
	                       "a_free = free\n"
	                       "a_ref = dec"), 1);
	assert_warning(0, "TALLY_RULES", 3, "too many rules");
	assert_warning(0, "TALLY_RULES", 3, "a_free = free");
	assert_int_equal(t.nrules, 3);
	assert_int_equal(rules_find(&t, "a_free"), -1);
	/* a full table still takes a new rule for a function it has */
	assert_int_equal(rule("a_ref")->role, TALLY_ROLE_DEC);
	assert_int_equal(rule("a_new")->role, TALLY_ROLE_NEW);
}

static void too_many_rules_adds_no_type(void **state)
{
	/* A rule refused for a full rule table leaves the type table as it
	 * was: a type no rule has would show up in the report with nothing. */
	tables(1, TALLY_MAX_TYPES);
	assert_int_equal(parse("A: a_ref = inc\nB: b_ref = inc"), 1);
	assert_warning(0, "TALLY_RULES", 2, "too many rules");
	assert_int_equal(t.nrules, 1);
	assert_int_equal(t.ntypes, 1);
}

static void too_many_types(void **state)
{
	tables(TALLY_MAX_RULES, 2);
	assert_int_equal(parse("A: a_ref = inc\nB: b_ref = inc\n\nC: c_ref = inc\n"
	                       "A: a_unref = dec\nD: resurrects\nB: resurrects"), 2);
	assert_warning(0, "TALLY_RULES", 4, "too many types");
	assert_warning(0, "TALLY_RULES", 4, "C: c_ref = inc");
	assert_warning(1, "TALLY_RULES", 6, "too many types");
	assert_int_equal(t.ntypes, 2);
	assert_int_equal(t.nrules, 3);
	assert_int_equal(rules_find(&t, "c_ref"), -1);
	assert_int_equal(rule("a_unref")->type, rule("a_ref")->type);
	assert_true(type_named("B")->flags & TALLY_TYPEF_RESURRECTS);
}

static void warnings_name_their_origin_and_line(void **state)
{
	/* lines count newlines, also inside comments and after ';' items */
	assert_int_equal(rules_parse(&t,
	                             "# rules for the gateway\n"
	                             "a_ref = inc; b_ref = bump\n"
	                             "\n"
	                             "c_ref = inc # fine; d_ref = nope\n"
	                             "e_ref =\n"
	                             "f_ref = inc",
	                             "/etc/gw.rules", collect_warning),
	                 2);
	assert_warning(0, "/etc/gw.rules", 2, "b_ref = bump");
	assert_warning(1, "/etc/gw.rules", 5, "e_ref =");
	assert_int_equal(t.nrules, 3);
	assert_non_null(rule("a_ref"));
	assert_non_null(rule("c_ref"));
	assert_non_null(rule("f_ref"));
}

static void a_preset_beside_errors_still_applies(void **state)
{
	assert_int_equal(parse("gateway; nope = ; gobjekt\nglib"), 2);
	assert_warning(0, "TALLY_RULES", 1, "nope =");
	assert_warning(1, "TALLY_RULES", 1, "gobjekt");
	assert_non_null(rule("gw_publisher_ref"));
	assert_non_null(rule("g_thread_new"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(every_role_is_understood, setup),
		cmocka_unit_test_setup(type_is_given_or_the_function_without_its_last_word, setup),
		cmocka_unit_test_setup(arg_count_and_floating_in_parentheses, setup),
		cmocka_unit_test_setup(got_hooks_a_rule_through_the_got_only, setup),
		cmocka_unit_test_setup(resurrects_marks_the_type_and_adds_no_rule, setup),
		cmocka_unit_test_setup(kept_if_names_the_flag_of_kept_objects, setup),
		cmocka_unit_test_setup(separators_comments_and_blank_items, setup),
		cmocka_unit_test_setup(nothing_at_all_is_no_rule, setup),
		cmocka_unit_test_setup(a_later_rule_for_a_function_replaces_the_earlier, setup),
		cmocka_unit_test_setup(each_preset_parses_without_a_warning, setup),
		cmocka_unit_test_setup(gst_includes_gobject_and_its_pools_resurrect, setup),
		cmocka_unit_test_setup(glib_threads_start_with_two_references, setup),
		cmocka_unit_test_setup(a_user_rule_after_a_preset_overrides_it, setup),
		cmocka_unit_test_setup(each_error_is_one_line_and_the_rest_applies, setup),
		cmocka_unit_test_setup(overlong_names_are_refused, setup),
		cmocka_unit_test_setup(a_long_item_is_quoted_shortened, setup),
		cmocka_unit_test_setup(too_many_rules, setup),
		cmocka_unit_test_setup(too_many_rules_adds_no_type, setup),
		cmocka_unit_test_setup(too_many_types, setup),
		cmocka_unit_test_setup(warnings_name_their_origin_and_line, setup),
		cmocka_unit_test_setup(varargs_passes_more_stack_arguments_on, setup),
		cmocka_unit_test_setup(unseen_new_marks_the_type_and_adds_no_rule, setup),
		cmocka_unit_test_setup(a_preset_beside_errors_still_applies, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
