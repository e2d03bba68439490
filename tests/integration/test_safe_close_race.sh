#!/bin/bash
# Every socket safe_signal makes is closed with close() (by a thread or in
# a signal handler) or left open: none is closed behind the shim's back,
# so the report must show no "closed-unseen" anomaly (docs/REPORT.md: a
# socket whose fd came back "without a close the shim could see").
#
# What provokes a false one: the close() wrapper clears its fd slot only
# after the real close returned; a signal is delivered exactly at that
# return, and while its handler runs, another thread's socket() can get
# the same fd number and find the slot still taken.  safe_signal (SIGALRM
# every 200 us, SIGUSR1 from the workers, 3 threads churning sockets) hits
# this window hundreds of times a second.
. "$(dirname "$0")/lib.sh"

t_prog safe_signal
P=$T_BIN

for run in 1 2; do
	log=$T_TMP/race$run.log
	t_run_limited "$log" --json -- "$P" 1.0
	t_rc $T_RC 0 "run $run: tally run -- safe_signal 1.0"
	[ -f "$log" ] || { t_fail "run $run: no log $log: $(cat "$T_ERR")"; continue; }
	t_report "$log" "race$run"
	t_eq "$T_JSON" '[.anomalies[] | select(.kind == "closed-unseen") | .count] | add // 0' 0 \
		"run $run: sockets reported closed-unseen (each was closed by close())"
	t_eq "$T_JSON" '[.anomalies[] | select(.kind == "double-close") | .count] | add // 0' 0 \
		"run $run: double closes (there are none)"
done

t_done
