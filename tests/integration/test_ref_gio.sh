#!/bin/bash
# A correct GLib/GIO program under `tally run --check --rules 'glib;gobject'`
# (tests/progs/ref_gio.c): GLib's worker thread (started by a unix signal
# source, never joined), GTask's thread pool and its queue (made in
# g_task_get_type), the attribute lists of GIO's file classes (made in
# their class_init) and GIO's modules live as long as the process.  The
# presets' lifetime rules ("*: *_get_type", "*: g_type_class_ref",
# g_io_module_new) count them kept, and a GThread none of whose references
# was ever given back (its thread still ran at exit) holds itself: --check
# passes.  Before, --check failed this program with 7 leaked objects.
# GVariants it makes where no rule sees them (g_variant_builder_end), and
# GThreads GLib's pools make so at released GHashTables' addresses, are new
# objects, not references after release (they aborted it under
# --enforce abort).
# With --leak, the one GFile the program loses is caught, and the verdict,
# in GIO's unnamed function, says it was reached from leak_one_file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_gio
PROG=$T_BIN
SRC=$TOP/tests/progs/ref_gio.c
LEAK_LINE=$(r_line "$SRC" leak_one_file 'g_file_new_for_path[(]')

t_run_ok "$T_TMP/ok.log" --check --rules 'glib;gobject' -- "$PROG"
t_same "$(cat "$T_OUT" | grep -c '^done$')" 1 "no leak: the program ran to its end"
t_same "$(grep '^many properties' "$T_OUT")" "many properties: name many, enabled 1" \
	"no leak: g_object_new with 46 words of stack arguments gets them all (varargs)"
# tally run's coverage lines go only to its own stderr: a child's stderr
# that its parent reads back is what the child wrote (they broke
# gsubprocess's and spawn's own tests).
t_same "$(grep "^child's stderr" "$T_OUT")" "child's stderr: 0 bytes" \
	"no leak: nothing of tally's on the stderr of COMMAND's child"
grep -q '^tally: rule g_object_unref (dec, GObject): 1 entry' "$T_ERR" && t_pass ||
	t_fail "no leak: COMMAND itself still says what each rule hooked: $(head -3 "$T_ERR")"
t_report "$T_TMP/ok.log" ok
t_eq "$T_JSON" '[.objects.types[].leaked] | add' 0 "no leak: nothing leaked"
t_eq "$T_JSON" '.verdicts | length' 0 "no leak: no verdict"
# What the lifetime rules keep, all from GLib itself (GIO's modules depend
# on what is installed): the worker thread, the task pool's queue, a file
# class's attribute list.
t_eq "$T_JSON" '[.objects.types[] | select(.type == "GThread") | [.live, .leaked, (.groups | map(.running + .global) | add)]][0]' \
	'[1,0,1]' "no leak: GLib's worker thread alive, still running at exit or reachable, not leaked"
t_true "$T_JSON" '[.objects.types[] | select(.type == "GAsyncQueue") | .kept][0] >= 1' \
	"no leak: GTask's pool queue kept"
t_true "$T_JSON" '[.objects.types[] | select(.type == "GArray") | .kept][0] >= 1' \
	"no leak: a GIO class's attribute list kept"
# The default network monitor's reference to the default GMainContext,
# made before it: taken under a lifetime rule's function, held for good
# (before, the context leaked +1 and --check failed).
t_eq "$T_JSON" '[.objects.types[] | select(.type == "GMainContext") | [.leaked, (.groups | map(.for_life) | add) > 0]][0]' \
	'[0,true]' "no leak: the network monitor's references to the default GMainContext held for life"
# GVariants made unseen at the addresses of released ones: new objects,
# no reference after release (before "GVariant: unseen_new", --check failed
# on 2 to 40 certain violations, and TALLY_ENFORCE=abort aborted).
t_eq "$T_JSON" '.violations | length' 0 "no leak: no violation"
# Calls nested deeper than the shim follows (a GVariant 100 deep freed
# recursively, a chain of 40 disposes): booked without an entry, each a
# blind spot (GLib's gvariant test "leaked" 131 before, the chain aborted).
t_true "$T_JSON" '[.objects.types[] | select(.type == "GObject") | .nested > 0 and (.complete | not)][0]' \
	"no leak: the calls too deep to follow are blind spots of GObject"
t_true "$T_JSON" '[.objects.types[] | select(.type == "GVariant") | .first_seen_inc > 0 and .unseen_new and (.complete | not)][0]' \
	"no leak: GVariants made unseen are booked as first seen, the books never called complete"
t_run_ok "$T_TMP/abort.log" --enforce abort --rules 'glib;gobject' -- "$PROG"
t_eq "$T_JSON" '[.rules[] | select(.role == "lifetime" and .type == "*") | .function] | map(select(startswith("g_type") or startswith("*"))) | sort' \
	'["*_get_type","g_type_class_ref","g_type_default_interface_ref"]' \
	"no leak: the type system's lifetime rules, once each"

t_run "$T_TMP/leak.log" --check --rules 'glib;gobject' -- "$PROG" --leak
t_rc "$T_RC" 1 "leak: --check fails"
grep -q '^tally: check failed: .*leaked' "$T_ERR" && t_pass ||
	t_fail "leak: no 'check failed ... leaked' line: $(cat "$T_ERR")"
t_report "$T_TMP/leak.log" leak
t_eq "$T_JSON" '[.objects.types[] | select(.leaked > 0) | [.type, .leaked]]' '[["GObject",1]]' \
	"leak: one GObject leaked, nothing else"
t_eq "$T_JSON" '[.verdicts[] | [.type, .net, .objects, .reached_from.function, .reached_from.line]]' \
	"[[\"GObject\",1,1,\"leak_one_file\",$LEAK_LINE]]" \
	"leak: the verdict, reached from leak_one_file at the g_file_new_for_path line"
"$TALLY" report "$T_TMP/leak.log" >"$T_TMP/leak.txt"
grep -q "reached from leak_one_file at tests/progs/ref_gio.c:$LEAK_LINE, takes 1 reference never given back" \
	"$T_TMP/leak.txt" && t_pass || t_fail "leak: the text verdict: $(grep 'takes' "$T_TMP/leak.txt")"

t_done
