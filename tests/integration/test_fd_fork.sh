#!/bin/bash
# fork (tests/progs/fd_fork.c): each child writes a log of its own, named
# after the parent's with a suffix, listed by `tally run` as "tally: also:
# PATH (pid N, child process)"; the child's report has the sockets it leaked
# (and inherited ones it kept), the parent's has only its own; no log ever
# overwrites another file.
. "$(dirname "$0")/lib.sh"

t_prog fd_fork
PROG=$T_BIN

# child_log PID: the path `tally run` gave for child PID ("" if none).
child_log() {
	sed -n "s/^tally: also: \(.*\) (pid $1, child process)\$/\1/p" "$T_ERR"
}

# ---- 3 children, child k leaks k sockets ------------------------------
t_run_ok "$T_TMP/x.log" -- "$PROG" 3
PARENT=$(t_value "$T_OUT" parent) SOCK=$(t_value "$T_OUT" sock)
t_same "$(grep -c '^tally: also: ' "$T_ERR")" 3 "number of 'tally: also:' lines"
t_report "$T_TMP/x.log" parent
J=$T_JSON
t_eq "$J" '[.process.pid, .process.state]' "[$PARENT,\"exited\"]" "parent log: [pid, state]"
t_totals "$J" 1 1 0
t_site "$J" parent_sock '{"open":0,"created":1,"closed":1}'
t_eq "$J" '.sockets.groups' '[]' "parent log: groups"
# socket, 3 x fork, close: the children's events are not in it.
t_eq "$J" '[.events.claimed, .events.recorded]' '[5,5]' "parent log: events [claimed, recorded]"
t_clean_events "$J"

declare -A seen=()
for k in 1 2 3; do
	CPID=$(awk -v k="$k" '$1 == "child" && $2 == k { print $3 }' "$T_OUT")
	[ -n "$CPID" ] || { t_fail "child $k printed no pid"; continue; }
	CLOG=$(child_log "$CPID")
	if [ -z "$CLOG" ] || [ ! -f "$CLOG" ]; then
		t_fail "no 'tally: also: PATH (pid $CPID, child process)' line naming a file for child $k"
		continue
	fi
	t_pass
	case "$CLOG" in "$T_TMP/x.log"?*) t_pass ;; *) t_fail "child $k log $CLOG is not named after $T_TMP/x.log" ;; esac
	[ -z "${seen[$CLOG]:-}" ] && t_pass || t_fail "child $k log $CLOG shared with child ${seen[$CLOG]}"
	seen[$CLOG]=$k
	t_report "$CLOG" "child$k"
	CJ=$T_JSON
	t_eq "$CJ" '[.process.pid, .process.ppid, .process.state]' "[$CPID,$PARENT,\"exited\"]" \
		"child $k log: [pid, ppid, state]"
	# Its own k sockets; the inherited one (it came in open, and was
	# closed) is counted apart.
	t_totals "$CJ" "$k" 0 "$k"
	t_eq "$CJ" '[.sockets.inherited, .sockets.inherited_open]' '[1,0]' "child $k log: inherited"
	t_site "$CJ" child_sock "{\"open\":$k,\"created\":$k,\"closed\":0}"
	t_group "$CJ" child_sock '[.family, .type, (.fds | length), .stack[0].function, .stack[1].function]' \
		"[\"inet\",\"dgram\",$k,\"child_sock\",\"child_main\"]"
	t_eq "$CJ" '.sockets.groups | length' 1 "child $k log: groups"
	# fork (child side), close of the inherited socket, k sockets.
	t_eq "$CJ" '[.events.claimed, .events.recorded]' "[$((2 + k)),$((2 + k))]" "child $k log: events"
	t_clean_events "$CJ"
done
# The parent's log is still the parent's after the children wrote theirs.
t_report "$T_TMP/x.log" parent-again
t_eq "$T_JSON" '[.process.pid, .sockets.created, .events.claimed]' "[$PARENT,1,5]" \
	"parent log re-read after the run"

# ---- a child that keeps the inherited socket --------------------------
t_run_ok "$T_TMP/keep.log" -- "$PROG" 1 keep
SOCK=$(t_value "$T_OUT" sock)
CPID=$(awk '$1 == "child" { print $3 }' "$T_OUT")
CLOG=$(child_log "$CPID")
if [ -f "$CLOG" ]; then
	t_report "$CLOG" keep-child
	CJ=$T_JSON
	t_totals "$CJ" 1 0 2
	t_eq "$CJ" '[.sockets.inherited, .sockets.inherited_open, .sockets.leaked]' '[1,1,1]' \
		"keep child: inherited"
	t_group "$CJ" parent_sock '[.open, .fds, .family, .type]' "[1,[$SOCK],\"inet\",\"stream\"]"
	t_group "$CJ" child_sock '[.open, .family]' '[1,"inet"]'
else
	t_fail "keep: no log found for child $CPID: $(cat "$T_ERR")"
fi
t_report "$T_TMP/keep.log" keep-parent
t_totals "$T_JSON" 1 1 0

# ---- existing files are never overwritten -----------------------------
# A file that is not a log at the --log path: the run picks another name.
echo precious >"$T_TMP/y.log"
t_run "$T_TMP/y.log" -- "$PROG" 1
t_rc "$T_RC" 0 "tally run --log over an existing file"
t_same "$(cat "$T_TMP/y.log")" precious "content of the file already at the --log path"
MAIN=$(sed -n 's/^tally: log: //p' "$T_ERR")
case "$MAIN" in "$T_TMP/y.log"?*) t_pass ;; *) t_fail "log beside an existing file: '$MAIN'" ;; esac
if [ -f "$MAIN" ]; then
	t_report "$MAIN" y
	t_eq "$T_JSON" '.process.pid' "$(t_value "$T_OUT" parent)" "pid in the log beside y.log"
fi
# The same --log twice: the second run's logs get new names; the first
# run's log still describes the first run.
t_run_ok "$T_TMP/z.log" -- "$PROG" 1
FIRST_PID=$(t_value "$T_OUT" parent)
t_run "$T_TMP/z.log" -- "$PROG" 2
SECOND=$(sed -n 's/^tally: log: //p' "$T_ERR")
[ -n "$SECOND" ] && [ "$SECOND" != "$T_TMP/z.log" ] && t_pass ||
	t_fail "second run with the same --log reused the name: '$SECOND'"
t_same "$(grep -c '^tally: also: ' "$T_ERR")" 2 "second run: 'tally: also:' lines (its 2 children only)"
t_report "$T_TMP/z.log" z-first
t_eq "$T_JSON" '.process.pid' "$FIRST_PID" "first run's log after a second run"
t_same "$(ls "$T_TMP" | grep -c '^z\.log')" 5 "logs named z.log*: 1 + 1 child, then 1 + 2 children"

# ---- plain LD_PRELOAD: a child that did nothing leaves no log ----------
# A process forking helpers for weeks must not fill /dev/shm with a log
# per helper: a child whose log records nothing of its own removes it at
# exit (_exit, or exit through the destructors); one that made a socket,
# or a call that failed, keeps its log.
cat >"$T_TMP/helpers.c" <<'EOF'
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
static void helper(int how)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (how == 2)
			socket(AF_INET, SOCK_DGRAM, 0);
		if (how == 3)
			listen(-1, 1);   /* fails: EBADF, tallied */
		if (how == 0)
			_exit(0);
		exit(0);
	}
	waitpid(pid, NULL, 0);
}
int main(void)
{
	helper(0);
	helper(1);
	helper(2);
	helper(3);
	return 0;
}
EOF
gcc -O2 -o "$T_TMP/helpers" "$T_TMP/helpers.c" || t_fatal "cannot build helpers.c"
mkdir -p "$T_TMP/plain"
env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/plain/h.%p" "$T_TMP/helpers"
t_rc $? 0 "helpers under LD_PRELOAD"
t_same "$(ls "$T_TMP/plain" | wc -l)" 3 \
	"logs left by a parent and 4 helpers, one of which made a socket and one a failed call"

t_done
