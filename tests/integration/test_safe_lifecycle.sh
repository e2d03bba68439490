#!/bin/bash
# Sockets outside main: safe_lifecycle makes 3 in a constructor (before
# main), and during exit an atexit handler and a destructor each close one
# of them and leak a new one.  The report sees the constructor's sockets
# (their stacks hold lifecycle_ctor) and the closes done during exit:
# 5 created, 2 closed, 3 open, one group each under lifecycle_ctor,
# lifecycle_atexit and lifecycle_dtor, with the fds the program printed;
# the process "exited".  The program's output is the same without the shim.
. "$(dirname "$0")/lib.sh"

t_prog safe_lifecycle
P=$T_BIN

timeout -k 5 $LIMIT "$P" >"$T_TMP/plain.out" 2>&1
t_rc $? 0 "safe_lifecycle without the shim"

log=$T_TMP/lifecycle.log
t_run_limited "$log" --json -- "$P"
[ $T_RC -eq 124 ] && t_fail "tally run -- safe_lifecycle hung"
t_rc $T_RC 0 "tally run -- safe_lifecycle"
t_expect_log_line "$log"
head -n -1 "$T_OUT" >"$T_TMP/tally.out"
if cmp -s "$T_TMP/tally.out" "$T_TMP/plain.out"; then
	t_pass
else
	t_fail "output under tally differs from without: $(diff "$T_TMP/plain.out" "$T_TMP/tally.out")"
fi
[ -f "$log" ] || t_done

# The fds, as the program printed them.
read -r _ ctor_dtor ctor_atexit ctor_leak < <(grep '^ctor:' "$T_TMP/tally.out")
atexit_leak=$(sed -n 's/^atexit: closed [0-9]*, leaked \([0-9]*\)$/\1/p' "$T_TMP/tally.out")
dtor_leak=$(sed -n 's/^dtor: closed [0-9]*, leaked \([0-9]*\)$/\1/p' "$T_TMP/tally.out")
[ -n "$ctor_leak" ] && [ -n "$atexit_leak" ] && [ -n "$dtor_leak" ] ||
	t_fatal "safe_lifecycle's output lacks its fds: $(cat "$T_TMP/tally.out")"
t_log "ctor made $ctor_dtor $ctor_atexit $ctor_leak; atexit leaked $atexit_leak; dtor leaked $dtor_leak"

t_report "$log"
J=$T_JSON
t_totals "$J" 5 2 3
t_eq "$J" '[.process.running, .process.state]' '[false,"exited"]' "process state"
# The constructor's three sites: 3 created, 2 closed (during exit), 1 open.
t_eq "$J" "$T_JQ_DEFS"'[site("lifecycle_ctor")[] | [.created, .closed, .open]] | transpose | map(add)' \
	'[3,2,1]' "sites under lifecycle_ctor: [created, closed, open]"
t_group "$J" lifecycle_ctor '.fds' "[$ctor_leak]"
t_group "$J" lifecycle_atexit '.fds' "[$atexit_leak]"
t_group "$J" lifecycle_dtor '.fds' "[$dtor_leak]"
# Innermost frame first: make_socket, called by the constructor.
t_eq "$J" "$T_JQ_DEFS"'[group("lifecycle_ctor")[0] | fns[0:2]]' '[["make_socket","lifecycle_ctor"]]' \
	"innermost frames of the constructor's leak"
t_eq "$J" '.anomalies' '[]' "anomalies"
t_clean_events "$J"

t_done
