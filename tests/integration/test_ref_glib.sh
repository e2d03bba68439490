#!/bin/bash
# GObject and GLib reference books (tests/progs/ref_gobject_leak.c), read
# with ref_logdump, in both hook modes (TALLY_HOOK=entry and got).
#
# TALLY_RULES=gobject: of the 5 objects the program creates (3 of a GObject
# subclass, 2 of a GInitiallyUnowned subclass whose floating reference
# g_object_ref_sink takes over), exactly one stays alive, the one
# leak_one_ref() took a reference of: net 1, that reference in a cell
# whose innermost frame is leak_one_ref.  The sunk floaty objects are
# closed, with no underflow or violation.  With --no-leak: none alive.
#
# TALLY_RULES=glib: the GHashTable, GMainContext/GMainLoop/GSource and
# GBytes the program references in balance are closed at exit; GObject's
# own param-spec pool (a GHashTable kept for the life of the process) is
# the one GLib object alive.  With --leak-bytes: one live GBytes, its
# extra reference in leak_bytes_ref.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_gobject_leak
PROG=$T_BIN
SRC=$TOP/tests/progs/ref_gobject_leak.c
LEAK_LINE=$(r_line "$SRC" leak_one_ref 'g_object_ref\(')
BYTES_LINE=$(r_line "$SRC" leak_bytes_ref 'g_bytes_ref\(')

# GLib's own reference counting would defeat two of the glib preset's types
# if every call were seen: g_main_loop_run() takes its reference with an
# inline atomic and drops it with g_main_loop_unref() (the books would
# reach 0 early, and the program's own unref be "after release");
# g_source_attach() and the main loop's prepare/check take references with
# g_source_ref() and drop them with the static g_source_unref_internal().
# The preset hooks GMainLoop and GSource through the GOT only ("got"), in
# both modes; those types are then never "complete", so no violation of
# theirs can abort the program: the last check runs it with
# TALLY_ENFORCE=abort.

for mode in entry got; do
	export TALLY_HOOK=$mode

	# ---- TALLY_RULES=gobject, with the leak ---------------------------
	what="gobject $mode"
	log="$T_TMP/gobject-$mode.log"
	TALLY_RULES=gobject t_run_ok "$log" -- "$PROG"
	leaked=$(t_value "$T_OUT" leaked)
	floaties=$(awk '$1 == "floaty" { print $2 }' "$T_OUT")
	r_dump "$log" "gobject-$mode"

	t_same "$(r_rule "$D" g_object_ref_sink flags)" FOUND,PRESET "$what: g_object_ref_sink rule"
	t_same "$(r_rule "$D" g_object_ref_sink calls)" 3 "$what: g_object_ref_sink calls"
	# Every GObject of the process is the program's: 3 things, 2 floaties.
	for c in created:5 freed:4 first_seen_inc:0 dec_unknown:0 balanced:0 untracked:0 unstacked:0 nested:0; do
		t_same "$(r_type "$D" GObject "${c%%:*}")" "${c#*:}" "$what: type GObject ${c%%:*}"
	done
	r_no_violations "$D" "$what"
	t_same "$(r_live "$D" GObject)" "$leaked" "$what: the one live GObject is the leaked one"
	t_same "$(r_count "$D" GObject make_thing)/$(r_count "$D" GObject make_floaty)" 1/0 \
		"$what: live objects created in make_thing/make_floaty"
	for f in $floaties; do
		t_same "$(r_obj "$D" "$f" net)" "" "$what: sunk floaty $f is not live"
	done
	t_same "$(r_obj "$D" "$leaked" net)/$(r_obj "$D" "$leaked" flags)" 1/created "$what: leaked object's net/flags"
	t_same "$(r_cells_total "$D" "$leaked")" 1 "$what: leaked object's cells add up to its net"
	t_same "$(r_cells "$D" "$leaked" leak_one_ref)" 1:1 "$what: cells (cells:net) in leak_one_ref"
	t_report "$log" "gobject-$mode"
	if r_json_books "$T_JSON"; then
		t_same "$(r_json_live "$T_JSON" GObject)" 1 "$what: report: live GObjects"
		if r_json_verdict "$T_JSON" GObject leak_one_ref "$LEAK_LINE"; then t_pass; else
			t_fail "$what: report: no verdict on GObject at leak_one_ref line $LEAK_LINE"
		fi
		r_json_verdicts_consistent "$T_JSON" "$what"
	fi

	# ---- TALLY_RULES=gobject, --no-leak: nothing alive ----------------
	what="gobject --no-leak $mode"
	log="$T_TMP/gobject-noleak-$mode.log"
	TALLY_RULES=gobject t_run_ok "$log" -- "$PROG" --no-leak
	r_dump "$log" "gobject-noleak-$mode"
	t_same "$(r_type "$D" GObject created)/$(r_type "$D" GObject freed)" 5/5 "$what: GObject created/freed"
	t_same "$(r_count "$D" '*')" 0 "$what: live objects"
	r_no_violations "$D" "$what"
	t_report "$log" "gobject-noleak-$mode"
	if r_json_books "$T_JSON"; then
		t_same "$(r_json_live "$T_JSON" GObject)" 0 "$what: report: live GObjects"
	fi

	# ---- TALLY_RULES=glib, all balanced -------------------------------
	what="glib $mode"
	log="$T_TMP/glib-$mode.log"
	TALLY_RULES=glib t_run_ok "$log" -- "$PROG" --no-leak
	r_dump "$log" "glib-$mode"
	for ty in GHashTable GBytes GMainContext; do
		t_same "$(r_type "$D" $ty first_seen_inc)/$(r_type "$D" $ty dec_unknown)" 0/0 \
			"$what: $ty first_seen_inc/dec_unknown"
	done
	t_same "$(r_count "$D" '*' glib_hash)/$(r_count "$D" '*' glib_bytes)" 0/0 \
		"$what: live objects created in glib_hash/glib_bytes"
	t_same "$(r_count "$D" GBytes)/$(r_count "$D" GMainContext)/$(r_count "$D" GMainLoop)" 0/0/0 \
		"$what: live GBytes/GMainContext/GMainLoop"
	# GObject keeps its param-spec pool (a GHashTable) for ever.
	t_same "$(r_count "$D" GHashTable)/$(r_count "$D" GHashTable g_param_spec_pool_new)" 1/1 \
		"$what: live GHashTables, of them GObject's param-spec pool"
	t_same "$(r_violations "$D")" "$(r_violations "$D" GMainLoop)" "$what: violations other than GMainLoop's"
	t_same "$(r_count "$D" '*' glib_loop)" 0 "$what: live objects created in glib_loop"
	r_no_violations "$D" "$what"
	r_types_note "$D" GHashTable GMainContext GMainLoop GSource GBytes

	# ---- TALLY_RULES=glib, one GBytes reference leaked ----------------
	what="glib --leak-bytes $mode"
	log="$T_TMP/glib-bytes-$mode.log"
	TALLY_RULES=glib t_run_ok "$log" -- "$PROG" --no-leak --leak-bytes
	bytes=$(t_value "$T_OUT" bytes)
	r_dump "$log" "glib-bytes-$mode"
	t_same "$(r_live "$D" GBytes)" "$bytes" "$what: the one live GBytes is the leaked one"
	t_same "$(r_obj "$D" "$bytes" net)" 1 "$what: leaked GBytes net"
	t_same "$(r_cells_total "$D" "$bytes")" 1 "$what: leaked GBytes cells add up to its net"
	t_same "$(r_cells "$D" "$bytes" leak_bytes_ref)" 1:1 "$what: cells (cells:net) in leak_bytes_ref"
	t_report "$log" "glib-bytes-$mode"
	if r_json_books "$T_JSON"; then
		t_same "$(r_json_live "$T_JSON" GBytes)" 1 "$what: report: live GBytes"
		if r_json_verdict "$T_JSON" GBytes leak_bytes_ref "$BYTES_LINE"; then t_pass; else
			t_fail "$what: report: no verdict on GBytes at leak_bytes_ref line $BYTES_LINE"
		fi
	fi
done

# A correct GLib program under the glib preset and TALLY_ENFORCE=abort
# runs to its end (it used to abort on GMainLoop's inline reference).
TALLY_RULES=glib TALLY_ENFORCE=abort t_run_ok "$T_TMP/glib-abort.log" -- "$PROG" --no-leak

# Any GObject program under the glib preset: GObject's param-spec pool
# keeps its GHashTable for the life of the process, found from a global
# only through the pool; the preset's lifetime rule counts it kept, and
# --check passes (it failed on a false leak before).
cat >"$T_TMP/min.c" <<'EOC'
#include <glib-object.h>
int main(void)
{
	GObject *o = g_object_new(G_TYPE_OBJECT, NULL);
	g_object_unref(o);
	return 0;
}
EOC
gcc -O2 -g -o "$T_TMP/min" "$T_TMP/min.c" $(pkg-config --cflags --libs gobject-2.0) ||
	t_fatal "cannot build min.c"
t_run "$T_TMP/min.log" --check --rules "gobject; glib" -- "$T_TMP/min"
t_rc "$T_RC" 0 "tally run --check --rules 'gobject; glib' of a correct GObject program"
t_report "$T_TMP/min.log" min
t_eq "$T_JSON" '[.objects.leaked, ([.objects.types[] | select(.type == "GHashTable") | .kept] | add)]' \
	'[0,1]' "min: [leaked, GHashTables kept]"

t_done
