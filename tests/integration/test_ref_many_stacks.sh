#!/bin/bash
# An object referenced from more call stacks than its books have cells
# (tests/progs/ref_many_stacks.c): the references past the tenth stack
# are booked without their stack, so the report cannot tell where they
# were taken or given back.  Its verdict on the leaked object must say it
# is uncertain (text and JSON "unstacked"), not blame the cells it has as
# if they were the whole story.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_many_stacks
RULES='rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec'

t_run_ok "$T_TMP/many.log" --rules "$RULES" -- "$T_BIN"
leaked=$(t_value "$T_OUT" leaked)
r_dump "$T_TMP/many.log" many
t_same "$(r_live "$D" rl)" "$leaked" "the one live rl is the leaked one"
t_same "$(r_obj "$D" "$leaked" net)" 1 "its net"
[ "$(r_obj "$D" "$leaked" unstacked)" != 0 ] && t_pass || t_fail "none of its references went without a cell"
grep -q '^  .* +1 in 1 of 1 leaked rl; uncertain: [0-9]* references of 1 of these objects were booked without a stack' "$T_OUT" &&
	t_pass || t_fail "the text verdict does not say it is uncertain: $(grep 'leaked rl' "$T_OUT" | head -n 1)"
t_report "$T_TMP/many.log" many
t_eq "$T_JSON" '[.verdicts[] | select(.type == "rl") | .unstacked > 0] | unique' '[true]' \
	"report: every rl verdict is marked with its unstacked references"
t_done
