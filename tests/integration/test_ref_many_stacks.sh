#!/bin/bash
# An object referenced from more call stacks than its own ten cells
# (tests/progs/ref_many_stacks.c: 24 cells of +1 or -1, then keep_one's
# reference, never given back).  The books spill the rest into the log's
# spill table (format.h, version 4), so no reference goes without its stack
# and the report names keep_one; before, those references were booked
# without a stack and the verdict blamed what was left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_many_stacks
RULES='rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec'
SRC=$TOP/tests/progs/ref_many_stacks.c
KEEP_LINE=$(r_line "$SRC" keep_one 'rl_ref\(')

for hook in entry got; do
	what="many stacks $hook"
	log="$T_TMP/many-$hook.log"
	t_run_ok "$log" --hook "$hook" --rules "$RULES" -- "$T_BIN"
	leaked=$(t_value "$T_OUT" leaked)
	r_dump "$log" "many-$hook"
	t_same "$(r_live "$D" rl)" "$leaked" "$what: the one live rl is the leaked one"
	t_same "$(r_obj "$D" "$leaked" net)/$(r_obj "$D" "$leaked" unstacked)" 1/0 \
		"$what: its net / references without a stack"
	t_same "$(r_obj "$D" "$leaked" spilled)" 17 "$what: its cells past its own ten, spilled"
	t_same "$(r_cells_total "$D" "$leaked")" 1 "$what: its cells add up to its net"
	t_same "$(r_cells "$D" "$leaked" keep_one)" 1:1 "$what: cells (cells:net) in keep_one"
	grep -q 'uncertain' "$T_OUT" && t_fail "$what: a verdict calls itself uncertain" || t_pass
	t_report "$log" "many-$hook"
	t_eq "$T_JSON" '[.verdicts[] | select(.type == "rl") | [.function, .within, .unstacked]] | sort' \
		'[["keep_one","main",0],["make","main",0]]' \
		"$what: report: candidates keep_one and make (unmake gives back one of the two)"
	if r_json_verdict "$T_JSON" rl keep_one "$KEEP_LINE"; then t_pass; else
		t_fail "$what: report: no verdict at keep_one line $KEEP_LINE"
	fi
	r_json_verdicts_consistent "$T_JSON" "$what"
done
t_done
