#!/bin/bash
# A process killed with SIGKILL in the middle of its work leaves a log that
# still reads: safe_sigkill makes 6 sockets, closes 2, then loops opening a
# socket and closing it at once.  The test stops it (SIGSTOP) at a moment
# it is asleep between iterations (not inside a wrapper: /proc/PID/syscall
# says clock_nanosleep), lists the sockets in /proc/PID/fd, and kills it
# with SIGKILL.  Then: `tally run` exits 128+9; `tally report --json LOG`
# exits 0; process.running is false and state "killed or crashed"; the
# report's open sockets are exactly the ones /proc/PID/fd listed (4, the
# churn socket being closed at that moment), the 4 from keep_socket.
. "$(dirname "$0")/lib.sh"

t_prog safe_sigkill
P=$T_BIN

# proc_state PID: the state letter in /proc/PID/stat (after "(comm)").
proc_state() { sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null; }

# stop_asleep PID: leaves PID stopped while it sleeps in clock_nanosleep
# (or nanosleep), trying up to 100 times; returns 1 if it never managed.
stop_asleep() {
	local pid=$1 i j nr
	for ((i = 0; i < 100; i++)); do
		kill -STOP "$pid" || return 1
		for ((j = 0; j < 200; j++)); do
			[ "$(proc_state "$pid")" = T ] && break
			sleep 0.01
		done
		[ "$(proc_state "$pid")" = T ] || return 1
		nr=$(cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)
		case $nr in
		230|35) return 0 ;;   # clock_nanosleep, nanosleep (x86-64)
		"") S_NOTE="(/proc/$pid/syscall unreadable: stopped wherever it was)"; return 0 ;;
		esac
		kill -CONT "$pid"
		sleep 0.0$((RANDOM % 9 + 1))
	done
	return 1
}

for run in 1 2 3; do
	log=$T_TMP/kill$run.log
	out=$T_TMP/kill$run.out
	S_NOTE=""
	timeout -k 5 $LIMIT "$TALLY" run --log "$log" --json -- "$P" >"$out" 2>"$out.err" &
	bg=$!
	T_PIDS+=("$bg")
	if ! t_wait_file "$out" '^ready$' 10; then
		t_fail "run $run: safe_sigkill never got ready: $(cat "$out" "$out.err")"
		kill -TERM "$bg" 2>/dev/null
		wait "$bg"
		continue
	fi
	pid=$(t_value "$out" pid)
	sleep 0.$((run * 2))   # let the loop run a while (0.2, 0.4, 0.6 s)
	if ! stop_asleep "$pid"; then
		t_fail "run $run: could not stop safe_sigkill ($pid) while it slept"
		kill -KILL "$pid" 2>/dev/null
		wait "$bg"
		continue
	fi
	listed=$(for f in /proc/"$pid"/fd/*; do
		case $(readlink "$f") in socket:*) echo "${f##*/}" ;; esac
	done | jq -sc 'sort')
	kill -KILL "$pid"
	wait "$bg"
	rc=$?
	t_log "run $run: sockets in /proc/$pid/fd before SIGKILL: $listed $S_NOTE"
	t_rc "$rc" 137 "run $run: tally run -- safe_sigkill killed by SIGKILL"
	T_ERR=$out.err t_expect_log_line "$log"
	[ -f "$log" ] || continue

	t_report "$log" "kill$run"   # ends the test if it fails
	J=$T_JSON
	t_pass
	t_eq "$J" '[.process.running, .process.state]' '[false,"killed or crashed"]' \
		"run $run: process state"
	t_eq "$J" ".process.pid" "$pid" "run $run: pid"
	t_eq "$J" '[.sockets.groups[].fds[]] | sort' "$listed" \
		"run $run: open fds in the report vs /proc/$pid/fd just before SIGKILL"
	t_eq "$J" '.sockets.open' "$(jq length <<<"$listed")" "run $run: .sockets.open"
	t_true "$J" '.sockets.open == 4 or .sockets.open == 5' "run $run: 4 kept (+1 churn) open"
	t_group "$J" keep_socket '[.open, .created, .closed]' '[4,6,2]'
	t_eq "$J" '.sockets.created == .sockets.closed + .sockets.open' true \
		"run $run: created == closed + open ($(jq -c '.sockets | [.created, .closed, .open]' "$J"))"
	t_true "$J" '.sockets.created > 6' "run $run: the loop ran (created > 6)"
	# `tally run --json` printed the same report as its last line.
	tail -n 1 "$out" >"$T_TMP/kill$run.run.json"
	t_eq "$T_TMP/kill$run.run.json" '[.sockets.open, .process.state]' \
		"$(jq -c '[.sockets.open, .process.state]' "$J")" "run $run: tally run's own report"
done

t_done
