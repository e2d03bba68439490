#!/bin/bash
# Still reachable through the heap: an object alive at a normal exit that a
# global variable reaches through malloc'd memory, a GObject's private part
# or the far end of a large GObject instance is not a leak (its creation
# reference is presumed held there); a reference beyond it is.  An object
# reached only from a cycle no global reaches, from a local, or through a
# pointer into the middle of a block still is a leak.
# tests/progs/ref_reach.c says which object is which.
. "$(dirname "$0")/lib.sh"

t_prog ref_reach
SRC="$TOP/tests/progs/ref_reach.c"
# The line of the rl_new call marked /* X */ in the program.
line_of() { grep -n "/\* $1 \*/" "$SRC" | cut -d: -f1; }
L_A=$(line_of A) L_B=$(line_of B) L_C=$(line_of C) L_D=$(line_of D) L_F=$(line_of F)
L_G=$(line_of G) L_H=$(line_of H) L_J=$(line_of J) L_K=$(line_of K)
L_EXTRA=$(grep -n 'never dropped' "$SRC" | cut -d: -f1)
RULES='rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec; gobject'

"$T_BIN" >"$T_TMP/bare.out" 2>&1
t_rc $? 0 "ref_reach without tally"
for mode in entry got; do
	t_run "$T_TMP/$mode.log" --hook "$mode" --rules "$RULES" -- "$T_BIN"
	t_rc "$T_RC" 0 "$mode: tally run (the program's status)"
	t_same "$(head -n 1 "$T_OUT")" ok "$mode: the program's output"
	grep -qi 'segmentation\|signal\|ERROR\|CRITICAL' "$T_ERR" &&
		t_fail "$mode: an error: $(grep -i 'segmentation\|signal\|ERROR\|CRITICAL' "$T_ERR")" || t_pass
	t_report "$T_TMP/$mode.log" "$mode"
	J=$T_JSON
	t_eq "$J" '[.objects.types[] | select(.type == "rl") | [.created, .live, .leaked]][0]' \
		'[9,9,4]' "$mode: rl: C, D, F and G leaked"
	t_eq "$J" '[.objects.types[] | select(.type == "rl") | .groups[] | select(.global > 0) |
	           .stack[0].line] | sort' "$(printf '%s\n' $L_A $L_B $L_C $L_H $L_J $L_K | sort -n | paste -sd, | sed 's/.*/[&]/')" \
		"$mode: rl: A, B, C, H (an mmapped chunk), J (100000 blocks down) and K (a thread's arena) reachable"
	t_eq "$J" '[.verdicts[] | select(.type == "rl") | [.function, .line, .net]] | sort' \
		"[[\"extra_ref\",$L_EXTRA,1],[\"main\",$L_D,1],[\"main\",$L_F,1],[\"main\",$L_G,1]]" \
		"$mode: rl: C's extra reference, and D, F and G's creation ones, blamed"
	t_eq "$J" '[.objects.types[] | select(.type == "GObject") | [.created, .live, .leaked]][0]' \
		'[4,4,0]' "$mode: GObject: the box, E in its private part, I far in it and the subclass reachable"
	t_eq "$J" '[.objects.types[] | select(.type == "GObject") | .groups[].global] | add' 4 \
		"$mode: GObject: all four marked reachable"
	t_eq "$J" '.objects.reach | [.ran, .cut_short, .roots_only, .blocks > 100000]' \
		'[true,false,false,true]' "$mode: the walk ran whole, through the list's blocks"
	t_run "$T_TMP/$mode.check.log" --check --hook "$mode" --rules "$RULES" -- "$T_BIN"
	t_rc "$T_RC" 1 "$mode: tally run --check fails: 4 leaked"
done

# TALLY_REACH_MAX bounds the walk: at 1 MiB the list of 100000 holders (8
# MB) is cut and J counts as leaked; at 0 only what a global points at
# directly counts (none of the rl objects here).
TALLY_REACH_MAX=1 t_run "$T_TMP/small.log" --rules "$RULES" -- "$T_BIN"
t_report "$T_TMP/small.log" small
t_eq "$T_JSON" '.objects.reach | [.ran, .cut_short, .roots_only, .off]' '[true,true,false,false]' \
	"TALLY_REACH_MAX=1: the walk stopped at 1 MiB"
t_true "$T_JSON" "[.objects.types[] | select(.type == \"rl\") | .groups[] | select(.stack[0].line == $L_J) | .leaked][0] == 1" \
	"TALLY_REACH_MAX=1: J, at the list's far end, counts as leaked"
TALLY_REACH_MAX=0 t_run "$T_TMP/off.log" --rules "$RULES" -- "$T_BIN"
t_report "$T_TMP/off.log" off
t_eq "$T_JSON" '.objects.reach | [.ran, .roots_only, .off, .blocks]' '[true,true,true,0]' \
	"TALLY_REACH_MAX=0: roots only, on purpose"
t_eq "$T_JSON" '[.objects.types[] | select(.type == "rl") | .leaked][0]' 9 \
	"TALLY_REACH_MAX=0: every rl object is behind heap memory: all 9 leaked"
grep -q 'the walk through heap memory was off: TALLY_REACH_MAX=0' "$T_OUT" && t_pass ||
	t_fail "TALLY_REACH_MAX=0: the text report says the walk was off"

# Past the walk's limits: what is reachable only beyond them is a leak, and
# the report says the walk was cut short.
t_run "$T_TMP/many.log" --rules "$RULES" -- "$T_BIN" --many
t_rc "$T_RC" 0 "--many: tally run (the program's status)"
t_report "$T_TMP/many.log" many
t_eq "$T_JSON" '.objects.reach | [.ran, .cut_short, .roots_only]' '[true,true,false]' \
	"--many: the walk stopped at its limits"
t_eq "$T_JSON" '[.objects.types[] | select(.type == "rl") | [.created, .leaked]][0]' '[1,1]' \
	"--many: L, beyond them, counts as leaked"
grep -q 'the walk from the globals stopped at its limits after [0-9]* heap blocks' "$T_OUT" &&
	t_pass || t_fail "--many: the text report says the walk stopped: $(grep -i reachable "$T_OUT")"
t_done
