#!/bin/bash
# Reading a log while 8 threads write it as fast as they can: every report
# succeeds, is valid JSON, and its books are sane (nothing negative, the
# process running); the final report after exit is exact.
. "$(dirname "$0")/lib.sh"

t_prog fd_threads
"$TALLY" run --log "$T_TMP/live.log" -- "$T_BIN" 8 100000 3 >"$T_OUT" 2>"$T_ERR" &
run=$!
T_BG_PIDS="${T_BG_PIDS:-} $run"
# The log is complete once its magic is written (last, after the file is
# allocated and the header filled): a report of it before then is refused.
for _ in $(seq 100); do
	[ "$(head -c 8 "$T_TMP/live.log" 2>/dev/null)" = TALLYLOG ] && break
	sleep 0.05
done
reads=0 bad=0
while kill -0 "$run" 2>/dev/null && [ $reads -lt 40 ]; do
	if "$TALLY" report --json "$T_TMP/live.log" >"$T_TMP/r.json" 2>"$T_TMP/r.err" &&
	   jq -e '.sockets.created >= .sockets.open and .sockets.open >= 0 and
	          (.process.running == true or .process.state == "exited")' "$T_TMP/r.json" >/dev/null; then
		reads=$((reads + 1))
	else
		bad=$((bad + 1))
		t_fail "live report $reads: $(head -c 300 "$T_TMP/r.err") $(head -c 300 "$T_TMP/r.json")"
		break
	fi
done
wait "$run"
t_rc $? 0 "tally run"
# At least one read while it ran (usually 10 to 40; a loaded host, 2).
[ $reads -ge 1 ] || t_fail "no live report before the program ended"
t_report "$T_TMP/live.log"
t_eq "$T_JSON" '[.sockets.created, .sockets.closed, .sockets.open]' '[800024,800000,24]' "final books"
t_log "$reads live reports while it ran"
t_done
