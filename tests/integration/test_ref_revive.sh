#!/bin/bash
# A reference taken while a decrement that released the object is still
# under way is not a reference after release (tests/progs/ref_revive.c,
# with TALLY_ENFORCE=abort, in both hook modes).
#
# The books take a decrement before the real call (after it the memory may
# already be another object's), so a g_object_unref of the last reference
# closes them at once.  GObject's dispose then may take a reference to its
# object, to keep it (resurrection) or to drop it again (as g_signal_emit
# does); another thread may take one while dispose runs.  Each such
# reference brings the books back ("revived"), and the program runs to its
# end: it used to abort with a certain after-release.  GLib's
# g_array_free/g_ptr_array_free drop one reference of several: the glib
# preset calls them decrements (it called them frees, and the later
# g_array_unref of a shared array was a certain after-release).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_revive
PROG=$T_BIN

# r_revived DUMP FN: how many "revived" references were taken with a stack
# through function FN.
r_revived() {
	awk -v c="$2" "$R_AWK_DEFS"'
		$1 == "revived" && field("type") == "GObject" && stack_has(field("stack"), c)' \
		"$1" "$1" | grep -c .
}

for mode in entry got; do
	what="revive $mode"
	log="$T_TMP/revive-$mode.log"
	t_run_ok "$log" --hook "$mode" --enforce abort --rules 'gobject; glib' -- "$PROG"
	t_same "$(grep -c '^revived 0x' "$T_OUT")/$(grep -c '^raced 0x' "$T_OUT")/$(grep -c '^done$' "$T_OUT")" \
		1/1/1 "$what: the program ran to its end"
	r_dump "$log" "revive-$mode"
	r_no_violations "$D" "$what"
	for c in created:4 freed:4 balanced:0 dec_unknown:0 first_seen_inc:0 unstacked:0; do
		t_same "$(r_type "$D" GObject "${c%%:*}")" "${c#*:}" "$what: type GObject ${c%%:*}"
	done
	for ty in GArray GPtrArray; do
		t_same "$(r_type "$D" $ty created)/$(r_type "$D" $ty freed)/$(r_count "$D" $ty)" 1/1/0 \
			"$what: $ty created/freed/alive"
	done
	t_same "$(r_count "$D" GObject)" 0 "$what: live GObjects"
	# dispose's own references (one kept, two dropped again at once, the
	# second after the first one's unref released the object again, the
	# outer unref still under way) and the other thread's, each brought
	# the books back.
	# The fourth object: the other thread's reference, then dispose's
	# after that thread's unref returned (the last unref still under way).
	t_same "$(r_revived "$D" t_obj_dispose)/$(r_revived "$D" race_thread)" 4/2 \
		"$what: revived in t_obj_dispose/race_thread"
done

# 300 threads' last unrefs under way at once, more than the shim counts
# (256): those past it stay marked released until their slot is reused,
# and no dispose's reference is a violation.
t_run_ok "$T_TMP/many.log" --enforce abort --rules gobject -- "$PROG" --many 300
t_same "$(grep '^together ' "$T_OUT")" "together 300" "many: every dispose ran"
r_dump "$T_TMP/many.log" many
r_no_violations "$D" "many"
t_same "$(r_type "$D" GObject created)/$(r_type "$D" GObject freed)" 300/300 \
	"many: GObject created/freed"

t_done
