#!/bin/bash
# A longjmp out of a hooked reference call abandons it: the shim's
# per-thread stack of calls under way (shim/hooks_ref.c) must forget it.
# Otherwise a later call for the same object from a deeper frame (the usual
# case: the program goes on and calls a helper) finds the abandoned entry,
# is taken for a nested call and is not booked.  shim/hooks_jump.c wraps
# longjmp, siglongjmp and __longjmp_chk for this.
# rev_longjmp: the object's real count is 3, its books must say net 3,
# with longjmp, siglongjmp, and __longjmp_chk (a _FORTIFY_SOURCE build).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_longjmp

if nm -D "$PROGS/rev_longjmp_chk" | grep -q ' U __longjmp_chk'; then
	t_pass
else
	t_fail "rev_longjmp_chk does not call __longjmp_chk: the fortified case is not tested"
fi
# name, program, extra argument
while read -r name prog arg; do
	rev_base "$name" "$prog" "$T_TMP/base.objects" $arg
	t_same "$(cat "$T_TMP/$name.base.out")" "ok count 3" "$name: without tally"
	for mode in entry got; do
		rev_run "$name" "$prog" TALLY_RULES="$REV_RULES" TALLY_HOOK=$mode -- \
			"$T_TMP/$name.$mode.objects" $arg
		r_dump "$R.log" "$name.$mode"
		addr=$(awk '$2 == "o" { print $3 }' "$T_TMP/$name.$mode.objects")
		t_same "$(r_obj "$D" "$addr" net)" 3 "$name, $mode: net of o in the books (its count is 3)"
		t_same "$(r_cells "$D" "$addr" take)" "2:2" "$name, $mode: take()'s two references booked"
	done
done <<'EOF'
longjmp rev_longjmp
siglongjmp rev_longjmp sig
longjmp_chk rev_longjmp_chk
siglongjmp_chk rev_longjmp_chk sig
EOF
t_done
