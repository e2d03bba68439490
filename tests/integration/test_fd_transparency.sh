#!/bin/bash
# The shim changes nothing a program can see (MEASURED.md, hazard 5):
# tests/progs/fd_transparency.c writes a transcript of fd numbers, errno
# after successful calls (preset to a sentinel), errno of failing calls,
# FD_CLOEXEC/O_NONBLOCK of new fds, the fd table at main() and after
# everything is closed, and what a forked child sees.  The transcript must
# hold no MISMATCH and be identical bare, with LD_PRELOAD, and under
# `tally run`.
. "$(dirname "$0")/lib.sh"

t_prog fd_transparency
PROG=$T_BIN

# Same stdin/stdout/stderr for every run: they show in the fd table.
"$PROG" "$T_TMP/bare.txt" </dev/null >"$T_TMP/bare.out" 2>&1
t_rc $? 0 "fd_transparency bare"
env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/preload.log" \
	"$PROG" "$T_TMP/preload.txt" </dev/null >"$T_TMP/preload.out" 2>&1
t_rc $? 0 "fd_transparency with LD_PRELOAD"
"$TALLY" run --log "$T_TMP/run.log" -- "$PROG" "$T_TMP/run.txt" </dev/null >"$T_TMP/run.out" 2>"$T_TMP/run.err"
t_rc $? 0 "tally run fd_transparency"
# Preloaded without a log: switched off, and with one that cannot be
# created.  The shim then only forwards (a close once read the missing
# log's header and crashed).
env LD_PRELOAD="$TALLY_LIB" TALLY_DISABLE=1 \
	"$PROG" "$T_TMP/disabled.txt" </dev/null >"$T_TMP/disabled.out" 2>&1
t_rc $? 0 "fd_transparency with TALLY_DISABLE=1"
env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/no-such-dir/x.log" \
	"$PROG" "$T_TMP/nolog.txt" </dev/null >"$T_TMP/nolog.out" 2>&1
t_rc $? 0 "fd_transparency with a log that cannot be created"
t_same "$(grep -c '^tally: ' "$T_TMP/nolog.out")" 1 "warning lines without a log"

for t in bare preload run disabled nolog; do
	if [ ! -s "$T_TMP/$t.txt" ]; then
		t_fail "$t: no transcript"
		continue
	fi
	if grep -q MISMATCH "$T_TMP/$t.txt"; then
		t_fail "$t: the program saw unexpected behaviour:"
		grep MISMATCH "$T_TMP/$t.txt" | sed 's/^/    /' >&2
	else
		t_pass
	fi
done
for t in preload run disabled nolog; do
	if [ -s "$T_TMP/$t.txt" ] && diff -u "$T_TMP/bare.txt" "$T_TMP/$t.txt" >"$T_TMP/$t.diff"; then
		t_pass
	else
		t_fail "$t: transcript differs from the bare run (- bare, + $t):"
		sed 's/^/    /' "$T_TMP/$t.diff" >&2
	fi
done
# The preload run's stderr: the shim says nothing when all is well.
t_same "$(cat "$T_TMP/preload.out")" "" "output of the preloaded program besides its transcript"

# The books of the tally run: everything opened was closed.
t_report "$T_TMP/run.log"
J=$T_JSON
# 29 sockets: 3 socket() + dup + the socket taking a closed number + 6 dup2/
# dup3/F_DUPFD* + 2 socketpairs + listener, 4 clients, 4 accepted + 3 for
# the failure cases + 1 + its F_DUPFD; dup2(fd, fd) makes none.
t_totals "$J" 29 29 0
t_eq "$J" '[.failures[] | [.call, .errno, .count]] | sort' \
	'[["accept","EINVAL",1],["accept","EINVAL",1],["bind","EADDRINUSE",1],["bind","EBADF",1],["connect","ECONNREFUSED",1],["listen","ENOTSOCK",1],["socket","EAFNOSUPPORT",1],["socket","EINVAL",1],["socketpair","EOPNOTSUPP",1]]' \
	"failed calls [call, errno, count]"
# Fd numbers depend on the fds this test inherits (27 and 103 when only
# stdio is open), so the transcript says which they were.
twice=$(sed -n 's/^closed twice: fd \([0-9]*\);.*$/\1/p' "$T_TMP/run.txt")
never=$(sed -n 's/^closed twice: .*never open: fd \([0-9]*\)$/\1/p' "$T_TMP/run.txt")
t_eq "$J" '[.anomalies[] | select(.kind == "double-close") | .fds[]] | sort' \
	"$(echo "[-1,999,${never:-0},${twice:-0}]" | jq -c sort)" \
	"double-close anomalies (close(-1), close(999), close($never), a second close of fd ${twice:-?})"
t_eq "$J" '[.anomalies[] | select(.kind != "double-close")]' '[]' "other anomalies"
# The text report shows the same fds, -1 too (it once showed only 1-65535).
"$TALLY" report "$T_TMP/run.log" >"$T_TMP/run.report" 2>&1
for fd in -1 999; do
	grep -q "double-close.*, fd $fd\$" "$T_TMP/run.report" && t_pass ||
		t_fail "text report: no double-close line for fd $fd: $(grep double-close "$T_TMP/run.report")"
done
t_clean_events "$J"

t_done
