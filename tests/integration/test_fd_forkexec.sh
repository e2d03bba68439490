#!/bin/bash
# A forked child that only execs leaves no log behind (a gateway forking
# helpers for weeks would fill /dev/shm); one that made a socket keeps its
# log; every exec'd image has its own; the parent's is untouched.
. "$(dirname "$0")/lib.sh"

t_prog fd_forkexec
mkdir -p "$T_TMP/logs"
t_run "$T_TMP/logs/fe.log" -- "$T_BIN"
t_rc "$T_RC" 0 "tally run"
grep -q "^helpers ok" "$T_OUT" || t_fail "program: $(cat "$T_OUT")"
states=$(for f in "$T_TMP"/logs/*; do
	"$TALLY" report --json "$f" |
		jq -r '"\(.process.exe | split("/") | last) \(.process.state) \(.sockets.created)/\(.sockets.inherited)"'
done | sort | paste -sd, -)
t_same_text() { if [ "$1" = "$2" ]; then t_pass; else t_fail "$3: expected $2, got $1"; fi; }
# The first /bin/true touched no socket: its log is gone (tally run removes
# those); the second inherited the socket its parent opened before exec.
t_same_text "$states" "fd_forkexec exec'd 1/0,fd_forkexec exited 0/0,true exited 0/1" \
	"logs left (exe, state, sockets created/inherited)"
t_done
