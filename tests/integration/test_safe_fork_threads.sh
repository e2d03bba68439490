#!/bin/bash
# Forks from 8 threads at once (tests/progs/fd_forkers.c): glibc runs the
# fork handlers of different threads' forks concurrently, and the shim's
# prepare and parent handlers once shared one "took the rescan lock" flag:
# one fork's parent handler cleared another's, that one never unlocked,
# and the next fork hung (a review's stress test; here 3 runs in 3 hung
# before the fix).  Every fork must come back; the children, which record
# nothing, leave no log.
. "$(dirname "$0")/lib.sh"

t_prog fd_forkers
mkdir -p "$T_TMP/logs"
timeout 60 env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/logs/f.%p" "$T_BIN" 8 120 \
	>"$T_TMP/out" 2>"$T_TMP/err"
t_rc $? 0 "8 threads forking 120 times each (124: hung)"
t_same "$(cat "$T_TMP/out")" "forks 960" "forks that came back"
t_same "$(ls "$T_TMP/logs" | wc -l)" 1 "logs left (the parent's)"
t_done
