#!/bin/bash
# Reading the log of a running process (tests/progs/fd_live.c, 4 sockets
# open, then asleep): `tally report` says running, 4 open; after SIGKILL the
# log is still whole and says "killed or crashed", 4 open.
. "$(dirname "$0")/lib.sh"

t_prog fd_live
PROG=$T_BIN
LOG=$T_TMP/live.log

"$TALLY" run --log "$LOG" -- "$PROG" >"$T_TMP/live.out" 2>"$T_TMP/live.err" &
RUN_PID=$!
T_PIDS+=("$RUN_PID")
t_wait_file "$T_TMP/live.out" '^ready [0-9]+$' 10 || t_fatal "fd_live did not print 'ready' within 10 s: $(cat "$T_TMP/live.err")"
PID=$(awk '$1 == "ready" { print $2 }' "$T_TMP/live.out")
T_PIDS+=("$PID")

check_books() {
	local json=$1 when=$2
	t_totals "$json" 5 1 4
	t_site "$json" live_udp '{"open":2,"created":2,"closed":0}'
	t_site "$json" live_tcp '{"open":2,"created":3,"closed":1}'
	t_group "$json" live_udp '[.family, .type, (.ports | length), (.fds | length)]' '["inet","dgram",2,2]'
	t_group "$json" live_tcp '[.family, .type, .ports, (.fds | length)]' '["inet","stream",[],2]'
	t_eq "$json" '[.events.claimed, .events.recorded, .events.torn]' '[8,8,0]' \
		"$when: events (5 socket, 2 bind, 1 close)"
}

for i in 1 2; do   # twice: reading changes nothing
	t_report "$LOG" "running$i"
	t_eq "$T_JSON" '[.process.pid, .process.running, .process.state]' "[$PID,true,\"running\"]" \
		"while running (read $i): [pid, running, state]"
	check_books "$T_JSON" "while running"
done
kill -0 "$PID" 2>/dev/null && t_pass || t_fail "fd_live died while its log was read"

kill -KILL "$PID"
# tally run reaps it (a zombie would still look alive), reports, and
# exits with 128 + 9.
for ((i = 0; i < 100; i++)); do
	kill -0 "$RUN_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$RUN_PID" 2>/dev/null; then
	t_fatal "tally run did not exit within 10 s after its command was killed"
fi
wait "$RUN_PID"
t_rc $? 137 "tally run of a SIGKILLed command"
grep -qxF "tally: log: $LOG" "$T_TMP/live.err" && t_pass ||
	t_fail "tally run stderr lacks 'tally: log: $LOG': $(cat "$T_TMP/live.err")"

t_report "$LOG" killed
t_eq "$T_JSON" '[.process.pid, .process.running, .process.state]' "[$PID,false,\"killed or crashed\"]" \
	"after SIGKILL: [pid, running, state]"
check_books "$T_JSON" "after SIGKILL"
t_clean_events "$T_JSON"

t_done
