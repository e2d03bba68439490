#!/bin/bash
# Failed calls and double closes stay exact when the event area is full
# (the log's tallies): after 3000 socket+close pairs fill a 1024-event
# area, 500 binds fail with EADDRINUSE at port_taken() and a socket is
# closed twice 40 times at close_twice().  The report counts all of them,
# with their stacks, in JSON and in text.
. "$(dirname "$0")/lib.sh"

t_prog fd_fail_flood
t_run "$T_TMP/f.log" --log-size 1M -- "$T_BIN" 3000 500 40
t_rc "$T_RC" 0 "tally run"
t_same "$(cat "$T_OUT" | grep '^binds')" "binds failed 500 double closes 40" "the program's own count"
t_report "$T_TMP/f.log"
J=$T_JSON
t_true "$J" '.dropped > 5000' "the event area was full long before the failures"
t_eq "$J" '[.failures[] | [.call, .errno, .count, .stack[0].function]]' \
	'[["bind","EADDRINUSE",500,"port_taken"]]' "failed binds, all counted, with their stack"
t_eq "$J" '[.anomalies[] | select(.kind == "double-close") | [.count, .stack[0].function]]' \
	'[[40,"close_twice"]]' "double closes, all counted, with their stack"
t_eq "$J" '[.violations[] | select(.kind == "double-close") | .count] | add' 40 \
	"double closes as violations"
t_eq "$J" '.tallies_lost' 0 "nothing lost from the tallies"
t_eq "$J" '.sockets | [.created, .closed, .open]' '[3042,3042,0]' "sockets: exact"

"$TALLY" report "$T_TMP/f.log" >"$T_TMP/f.txt" 2>&1
grep -q '^  500 x bind failed with EADDRINUSE$' "$T_TMP/f.txt" && t_pass ||
	t_fail "text report lacks '500 x bind failed with EADDRINUSE'"
grep -q 'DROPPED (event area full: the timeline ends there' "$T_TMP/f.txt" && t_pass ||
	t_fail "text report does not say what a full event area means"
t_done
