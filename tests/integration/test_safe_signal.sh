#!/bin/bash
# Signal handlers that close sockets while three threads create and close
# sockets in a loop (safe_signal: SIGALRM every 200 us from setitimer,
# SIGUSR1 from the workers, for 1.5 s): the handlers interrupt the shim in
# the middle of its own work.  Under tally: no crash, no hang, exit 0; the
# report's open sockets are exactly the ones the program says it left open
# (count and fd numbers); created == closed + open; some events were indeed
# raised inside the shim (losses.nested > 0: else this tested nothing).
# (The same run's "closed-unseen" anomalies: test_safe_close_race.sh.)
. "$(dirname "$0")/lib.sh"

t_prog safe_signal
P=$T_BIN

for run in 1 2; do
	log=$T_TMP/signal$run.log
	t_run_limited "$log" --json -- "$P" 1.5
	case $T_RC in
	0) t_pass ;;
	124|137) t_fail "run $run: tally run -- safe_signal hung (killed after ${LIMIT}s)" ;;
	*) t_fail "run $run: tally run -- safe_signal exited $T_RC, expected 0; stderr: $(head -c 600 "$T_ERR")" ;;
	esac
	t_expect_log_line "$log"
	[ -f "$log" ] || continue
	head -n -1 "$T_OUT" >"$T_TMP/signal$run.prog"
	open=$(t_value "$T_TMP/signal$run.prog" open)
	fds=$(sed -n 's/^open-fds//p' "$T_TMP/signal$run.prog" | tr ' ' '\n' | jq -sc 'sort')
	t_same "$(t_value "$T_TMP/signal$run.prog" failures)" 0 "run $run: failed socket()/close() calls"
	if [ -z "$open" ]; then
		t_fail "run $run: safe_signal printed no 'open N' line: $(cat "$T_TMP/signal$run.prog")"
		continue
	fi
	t_log "run $run: $(tr '\n' ' ' <"$T_TMP/signal$run.prog" | cut -c1-100)..."

	t_report "$log" "signal$run"
	J=$T_JSON
	t_eq "$J" '.sockets.open' "$open" "run $run: .sockets.open vs the program's count"
	t_eq "$J" '.sockets.created == .sockets.closed + .sockets.open' true \
		"run $run: created == closed + open ($(jq -c '.sockets | [.created, .closed, .open]' "$J"))"
	t_eq "$J" '[.sockets.groups[].fds[]] | sort' "$fds" "run $run: open fds in the report vs the program's"
	t_true "$J" '.losses.nested > 0' "run $run: some events raised inside the shim (losses.nested > 0)"
	t_eq "$J" '[.process.running, .process.state]' '[false,"exited"]' "run $run: process state"
	t_eq "$J" '.events.torn' 0 "run $run: torn events"
done

t_done
