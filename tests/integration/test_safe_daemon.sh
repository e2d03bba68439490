#!/bin/bash
# MEASURED.md hazard 1: the shim must keep no fd in the program and never
# read or write one.  (libunwind's own memory check keeps a pipe open: the
# first socket became fd 5, and a daemon that closes fds 3..255 and reuses 3
# and 4 hung in read(3) on its own socket.)  Checked directly, as hazard 5
# says a test suite cannot:
#   - a daemon closing fds 3..255 (and one using close_range(3, ~0U, 0))
#     gets fds 3 and 4 for its two UDP sockets and reads back its own
#     datagrams, with identical output with and without the shim;
#   - a plain program's first socket is fd 3 with and without the shim;
#   - /proc/PID/fd of a process under the shim, after it made sockets of
#     every kind (stacks captured from new sites), holds only fds the
#     program opened: no pipe, no log file.
# Every run is under `timeout`: a hang is a failure, never a stuck test.
. "$(dirname "$0")/lib.sh"

# Inherited fds (a make jobserver, the runner's) would move "fd 3"; this
# test is about fd numbers, so it starts from 0, 1, 2 only.  255 is bash's
# own (close-on-exec) copy of this script.
for f in /proc/$$/fd/*; do
	f=${f##*/}
	if [ "$f" -gt 2 ] && [ "$f" -ne 255 ]; then
		eval "exec $f>&-" 2>/dev/null
	fi
done

# s_preload OUT CMD...: CMD with the shim preloaded directly (no tally CLI),
# logging into $T_TMP; stdout to OUT.  Sets S_RC.
s_preload() {
	local out=$1; shift
	timeout -k 5 $LIMIT env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/pre.%e.%p" "$@" \
		>"$out" 2>"$out.err"
	S_RC=$?
	return $S_RC
}

t_prog safe_daemon
D=$T_BIN

# ---- the daemon: close 3..255 / close_range, then reuse fds 3 and 4 --------
printf '%s\n' 'udp fds 3 4' 'read fd 3: datagram to a' 'read fd 4: datagram to b' \
	>"$T_TMP/daemon.want"
for mode in closeall closerange; do
	timeout -k 5 $LIMIT "$D" $mode >"$T_TMP/$mode.plain" 2>&1
	t_status $? "safe_daemon $mode without the shim"
	t_same_file "$T_TMP/$mode.plain" "$T_TMP/daemon.want" "safe_daemon $mode without the shim"

	s_preload "$T_TMP/$mode.preload" "$D" $mode
	t_status $S_RC "LD_PRELOAD=libtally.so safe_daemon $mode"
	t_same_file "$T_TMP/$mode.preload" "$T_TMP/$mode.plain" \
		"safe_daemon $mode: LD_PRELOAD=libtally.so vs without"

	log=$T_TMP/$mode.log
	t_run_limited "$log" --json -- "$D" $mode
	t_status $T_RC "tally run -- safe_daemon $mode"
	t_expect_log_line "$log"
	# The program's lines, then the JSON report as the last line.
	head -n -1 "$T_OUT" >"$T_TMP/$mode.tally"
	t_same_file "$T_TMP/$mode.tally" "$T_TMP/$mode.plain" \
		"safe_daemon $mode: under tally run vs without"
	if [ -f "$log" ]; then
		t_report "$log"
		# 2 UDP + 1 TCP + 4 socketpairs (2 fds each), all closed: and the
		# shim did record them, with stacks.
		t_totals "$T_JSON" 11 11 0
		t_eq "$T_JSON" "$T_JQ_DEFS"'[site("udp_loopback")[] | [.created, .closed]] |
			transpose | map(add)' '[2,2]' "$mode: [created, closed] under udp_loopback"
		t_eq "$T_JSON" '[.process.running, .process.state]' '[false,"exited"]' \
			"$mode: process state"
		t_eq "$T_JSON" '.losses.nested' 0 "$mode: events without stack (nested)"
	fi
done

# ---- the first socket of a plain program is fd 3 ---------------------------
timeout -k 5 $LIMIT "$D" first >"$T_TMP/first.plain" 2>&1
t_status $? "safe_daemon first without the shim"
t_same "$(cat "$T_TMP/first.plain")" "first socket fd 3" "first socket without the shim"
s_preload "$T_TMP/first.preload" "$D" first
t_status $S_RC "LD_PRELOAD=libtally.so safe_daemon first"
t_same "$(cat "$T_TMP/first.preload")" "first socket fd 3" \
	"first socket with LD_PRELOAD=libtally.so"
t_run_limited "$T_TMP/first.log" -- "$D" first
t_status $T_RC "tally run -- safe_daemon first"
t_same "$(head -n 1 "$T_OUT")" "first socket fd 3" "first socket under tally run"

# ---- /proc/PID/fd holds only the program's own fds -------------------------
# check_fds HOW OUT: the process that wrote "pid P" / "ready" into OUT.
check_fds() {
	local how=$1 out=$2 pid want got f target ls_line bad=""
	if ! t_wait_file "$out" '^ready$' 10; then
		t_fail "$how: safe_daemon hold never got ready: $(cat "$out" "$out.err" 2>/dev/null)"
		return 1
	fi
	pid=$(t_value "$out" pid)
	want=$( (printf '0\n1\n2\n'; sed -n 's/^fds //p' "$out" | tr ' ' '\n') |
		sort -un | tr '\n' ' ')
	got=""
	for f in /proc/"$pid"/fd/*; do
		f=${f##*/}
		got="$got $f"
		target=$(readlink "/proc/$pid/fd/$f")
		ls_line="$f -> $target"
		if [ "$f" -gt 2 ]; then
			case "$target" in
			socket:*) ;;
			*) bad="$bad [$ls_line]" ;;
			esac
		fi
	done
	got=$(printf '%s\n' $got | sort -un | tr '\n' ' ')
	t_same "$got" "$want" "$how: fds in /proc/$pid/fd (the program's: 0 1 2 and its sockets)"
	t_same "${bad:-none}" none "$how: fds above 2 that are not the program's sockets"
	if [ "$got" != "$want" ] || [ -n "$bad" ]; then
		ls -l "/proc/$pid/fd" | sed 's/^/    /' >&2
	fi
	kill -TERM "$pid" 2>/dev/null
	return 0
}

s_preload "$T_TMP/hold.preload" "$D" hold &
bg=$!
T_PIDS+=("$bg")
check_fds "LD_PRELOAD=libtally.so safe_daemon hold" "$T_TMP/hold.preload"
wait "$bg"
t_status $? "LD_PRELOAD=libtally.so safe_daemon hold (ended by SIGTERM)"

timeout -k 5 $LIMIT "$TALLY" run --log "$T_TMP/hold.log" --json -- "$D" hold \
	>"$T_TMP/hold.tally" 2>"$T_TMP/hold.tally.err" &
bg=$!
T_PIDS+=("$bg")
check_fds "tally run -- safe_daemon hold" "$T_TMP/hold.tally"
wait "$bg"
t_status $? "tally run -- safe_daemon hold (ended by SIGTERM)"
if [ -f "$T_TMP/hold.log" ]; then
	t_report "$T_TMP/hold.log"
	# What the shim says is open is what the program said it holds.
	t_eq "$T_JSON" '[.sockets.groups[].fds[]] | sort' \
		"$(sed -n 's/^fds //p' "$T_TMP/hold.tally" | tr ' ' '\n' | jq -sc 'sort')" \
		"hold: open fds in the report vs the program's list"
fi

t_done
