#!/bin/bash
# `tally run` forwards a signal to COMMAND once, however it was sent
# (tests/progs/run_sigcount.c counts them).  Not at a terminal, COMMAND
# runs in a process group of its own, so a signal sent to tally's group
# (timeout(1), `kill -TERM 0` in a script, a CI runner) reaches it only
# forwarded; one sent to tally's pid is forwarded too; one COMMAND sends
# to its parent is not sent back to it.  Before, timeout(1) and a group
# kill delivered two SIGTERMs (directly and forwarded).
. "$(dirname "$0")/lib.sh"

t_prog run_sigcount
PROG=$T_BIN

# timeout(1) signals its child's pid, then its own group.
timeout -s TERM 0.3 "$TALLY" run --log "$T_TMP/t.log" -- "$PROG" >"$T_TMP/timeout.out" 2>"$T_TMP/timeout.err"
t_same "$(grep '^term' "$T_TMP/timeout.out")" "term 1 usr1 0" "timeout(1): SIGTERMs COMMAND received"

# A script that signals its whole group (tally's), itself immune.
setsid bash -c 'trap "" TERM; "$1" run --log "$2" -- "$3" >"$4" 2>&1 & sleep 0.3; kill -TERM 0; wait' \
	_ "$TALLY" "$T_TMP/g.log" "$PROG" "$T_TMP/group.out"
t_same "$(grep '^term' "$T_TMP/group.out")" "term 1 usr1 0" "kill -TERM 0: SIGTERMs COMMAND received"

# A script that signals tally's pid only.
"$TALLY" run --log "$T_TMP/p.log" -- "$PROG" >"$T_TMP/pid.out" 2>&1 &
sleep 0.3
kill -TERM $!
wait $!
t_same "$(grep '^term' "$T_TMP/pid.out")" "term 1 usr1 0" "kill -TERM PID of tally: SIGTERMs COMMAND received"

# COMMAND signals its parent (tally): not sent back.
"$TALLY" run --log "$T_TMP/n.log" -- "$PROG" notify >"$T_TMP/notify.out" 2>&1 &
t_wait_file "$T_TMP/notify.out" ready 5 || t_fail "run_sigcount notify never got ready"
kill -TERM $!
wait $!
t_same "$(grep '^term' "$T_TMP/notify.out")" "term 1 usr1 0" "COMMAND's own SIGUSR1 to tally: not returned"

# COMMAND does not outlive a tally killed with SIGKILL (it is out of
# tally's group, where the SIGKILL went).
(setsid bash -c '"$1" run --log "$2" -- sleep 31.7 >/dev/null 2>&1 & sleep 0.3; kill -KILL 0' \
	_ "$TALLY" "$T_TMP/k.log") 2>/dev/null
sleep 0.2
t_same "$(pgrep -f -x 'sleep 31.7' | wc -l)" 0 "COMMAND left running after its group was killed"

t_done
