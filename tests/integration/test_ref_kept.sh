#!/bin/bash
# kept_if: objects alive at a normal exit whose flag says they are kept on
# purpose (GStreamer's MAY_BE_LEAKED) are not leaks; every other live
# object is.  The flag is read at exit from the program's memory, so an
# object freed behind the books' back, or a fake GObject whose GType check
# faults, must be skipped without harm: the program exits 0 as without
# tally.  An object a global variable holds at exit is still reachable:
# its creation reference is not a leak, a reference beyond it is.
# tests/progs/ref_kept.c says which object is which.
. "$(dirname "$0")/lib.sh"

t_prog ref_kept
RULES='kt: kt_new = new; kt: kt_ref = inc; kt: kt_unref = dec; kt: kept_if(0, 2); gt: gt_new = new; gt: kept_if(8, 1, g_object_get_type)'

"$T_BIN" >"$T_TMP/bare.out" 2>&1
t_rc $? 0 "ref_kept without tally"
for mode in entry got; do
	t_run "$T_TMP/$mode.log" --hook "$mode" --rules "$RULES" -- "$T_BIN"
	t_rc "$T_RC" 0 "$mode: tally run (the program's status)"
	t_same "$(head -n 1 "$T_OUT")" ok "$mode: the program's output"
	grep -qi 'segmentation\|signal' "$T_ERR" && t_fail "$mode: a signal: $(cat "$T_ERR")" || t_pass
	t_report "$T_TMP/$mode.log" "$mode"
	J=$T_JSON
	t_eq "$J" '.objects | [.live, .kept, .leaked]' '[5,2,4]' "$mode: objects live (not kept), kept, leaked"
	t_eq "$J" '[.objects.types[] | select(.type == "kt") | [.created, .freed, .kept, .leaked]][0]' \
		'[6,1,1,3]' "$mode: kt: A kept; B, the unmapped C and H leaked; F freed; G reachable"
	t_eq "$J" '[.objects.types[] | select(.type == "kt") | .groups[] | .global] | add' 2 \
		"$mode: kt: G and H still reachable from globals"
	t_eq "$J" '[.verdicts[] | select(.type == "kt" and .function == "extra_ref") | .net]' '[1]' \
		"$mode: kt: H's reference beyond its creation one blamed on extra_ref"
	t_eq "$J" '[.objects.types[] | select(.type == "gt") | [.created, .kept, .leaked]][0]' \
		'[2,1,1]' "$mode: gt: the real GObject kept, the fake leaked"
	t_run "$T_TMP/$mode.check.log" --check --hook "$mode" --rules "$RULES" -- "$T_BIN"
	t_rc "$T_RC" 1 "$mode: tally run --check fails: 4 leaked"
done

# Bad kept_if rules: one warning each, the others apply.
for bad in 'kt: kept_if(3, 2)' 'kt: kept_if(0, 0)' 'kt: kept_if(0 2)' 'kt: kept_if(0, 2, )' 'kt: kept_if'; do
	out=$(env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/bad.%p" TALLY_RULES="$bad; kt: kt_new = new" "$T_BIN" 2>&1 >/dev/null)
	n=$(grep -c 'ignoring rule' <<<"$out")
	t_same "$n" 1 "one warning for '$bad' (got: $out)"
done
t_done
