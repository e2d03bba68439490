#!/bin/bash
# A process that exits with a status other than 0 stopped on an error, as
# if killed: what it still held is no leak; one that was killed neither
# (a test's server or private dbus-daemon at teardown).  GLib's tests run subprocesses
# that fail on purpose (g_test_trap_subprocess), and their sockets and
# objects failed tally run --check.  The log keeps exit's or _exit's status
# (exit_status in the report); --check leaves such a child out and says so.
. "$(dirname "$0")/lib.sh"

t_prog run_exitcodes
t_run "$T_TMP/all.log" --check -- "$T_BIN"
t_rc "$T_RC" 1 "all: --check fails on the child that exited 0 with a socket open"
t_same "$(grep -c '^child' "$T_OUT")" 5 "all: five children ran"
t_same "$(grep '^child k' "$T_OUT")" "child k: -15" "all: the k child was killed by SIGTERM"
grep -q '^tally: check failed: 1 socket left open (1 by child processes)$' "$T_ERR" && t_pass ||
	t_fail "all: the check line: $(grep 'check failed' "$T_ERR")"
t_same "$(grep -c 'exited with status [234]: what it still held is not counted' "$T_ERR")" 3 \
	"all: the three failing children (_exit, exit, quick_exit) are left out, each said once"
t_same "$(grep -c 'did not exit (killed, crashed or still running): what it still held is not counted' "$T_ERR")" 1 \
	"all: the killed child (a test's server at teardown) is left out, said once"
for status in 0 2 3 4; do
	log=$(for f in "$T_TMP"/all.log*; do
		"$TALLY" report --json "$f" | jq -r --argjson s "$status" \
			'select(.process.exit_status == $s and (.process.cmdline | length) == 2) | .log'
	done | head -n 1)
	[ -n "$log" ] && t_pass || t_fail "all: no child log with exit_status $status"
done
for f in "$T_TMP"/all.log*; do
	"$TALLY" report --json "$f" | jq -e 'select(.process.exit_status == 2) | .sockets.leaked == 0' >/dev/null &&
		{ t_pass; "$TALLY" report "$f" | grep -q '^sockets: .* open at the end (it exited on an error: not counted as leaked)$' &&
			t_pass || t_fail "all: the exit-2 child's sockets line: $("$TALLY" report "$f" | grep '^sockets')"; }
done
t_report "$T_TMP/all.log" main
t_eq "$T_JSON" '[.process.state, .process.exit_status]' '["exited",0]' "all: the parent exited with 0"

t_run "$T_TMP/failing.log" --check -- "$T_BIN" failing
t_rc "$T_RC" 0 "failing: --check passes when only failing or killed children left sockets open"

# A failing child's certain violation still fails --check (a review: it
# was dropped with its leaks).
t_prog rev_failchild
t_run "$T_TMP/viol.log" --check --rules 't: rv_new = new; t: rv_ref = dec' -- "$T_BIN"
t_same "$(cat "$T_OUT" | grep '^child')" "child: 1" "violation: the child exited with 1"
t_rc "$T_RC" 1 "violation: --check fails"
grep -q '^tally: check failed: 1 certain violation (1 by child processes)$' "$T_ERR" && t_pass ||
	t_fail "violation: the check line: $(grep 'check failed' "$T_ERR")"
# A certain violation made before an exec stands (the images before an
# exec were left out of --check; a review found it).
t_run "$T_TMP/exec.log" --check --rules 't: rv_new = new; t: rv_ref = dec' -- "$T_BIN" exec
t_rc "$T_RC" 1 "before exec: --check fails"
grep -q '^tally: check failed: 1 certain violation (1 by images before an exec)$' "$T_ERR" && t_pass ||
	t_fail "before exec: the check line: $(grep 'check failed' "$T_ERR")"
t_done
