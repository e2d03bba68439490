#!/bin/bash
# A close-everything loop (4997 closes of fds that are not open) is counted
# in full (the tallies), recorded with stacks only for the first 1024, and
# leaves the event area to the rest: the socket opened after it is still
# recorded.
. "$(dirname "$0")/lib.sh"

t_prog fd_close_all
# Close the test's own inherited fds first so every close in the loop fails.
t_run "$T_TMP/c.log" -- bash -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 10>&- 11>&- 12>&- 255>&- 2>/dev/null; exec "$0" 5000' "$T_BIN"
t_rc "$T_RC" 0 "tally run"
# bash wrote c.log and exec'd the program, which wrote its own: the one
# tally run reports.
log=$(sed -n 's/^tally: log: //p' "$T_ERR")
[ "$log" = "$T_TMP/c.log.1" ] || t_fail "reported log: $log"
t_report "$log"
closed=$(sed -n 's/^closed \([0-9]*\) .*/\1/p' "$T_OUT")
t_eq "$T_JSON" '.closes_not_open' "$((4997 - closed))" "closes of fds not open, counted"
t_eq "$T_JSON" '[.anomalies[] | select(.kind == "double-close") | .count] | add' \
	"$((4997 - closed))" "every close of an fd not open in the anomalies"
t_eq "$T_JSON" '[.anomalies[] | select(.kind == "double-close" and (.stack | length) > 0) | .count] | add' \
	1024 "the first 1024 with a stack"
t_eq "$T_JSON" '[.sockets.open, .sockets.groups[0].stack[0].function]' '[1,"after_the_loop"]' \
	"the socket after the loop"
t_eq "$T_JSON" '.dropped' 0 "events dropped"
t_done
