#!/bin/bash
# `tally run` forwards a signal sent to its pid to COMMAND once
# (tests/progs/run_sigcount.c counts them), and otherwise changes nothing
# of COMMAND's signals and process group: COMMAND and its own children
# stay in tally's group (a group kill ends them all, setsid() works), a
# signal COMMAND sends to tally is not sent back, and one its caller made
# tally ignore (nohup) stays ignored for COMMAND.
. "$(dirname "$0")/lib.sh"

t_prog run_sigcount
PROG=$T_BIN

# timeout --foreground signals tally's pid only.
timeout --foreground -s TERM 0.3 "$TALLY" run --log "$T_TMP/t.log" -- "$PROG" \
	>"$T_TMP/timeout.out" 2>"$T_TMP/timeout.err"
t_same "$(grep '^term' "$T_TMP/timeout.out")" "term 1 usr1 0" "timeout --foreground: SIGTERMs COMMAND received"

# A script that signals tally's pid.
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

# nohup: SIGHUP stays ignored for COMMAND.
nohup "$TALLY" run --log "$T_TMP/h.log" -- sh -c 'kill -HUP $$; echo survived' \
	>"$T_TMP/nohup.out" 2>/dev/null </dev/null
t_same "$(grep -c '^survived$' "$T_TMP/nohup.out")" 1 "nohup: COMMAND survives its SIGHUP"

# setsid() works in COMMAND: it is not made a group leader.
cat >"$T_TMP/setsid.c" <<'EOC'
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	if (setsid() < 0) {
		perror("setsid");
		return 1;
	}
	return 0;
}
EOC
gcc -O2 -o "$T_TMP/setsid" "$T_TMP/setsid.c" || t_fatal "cannot build setsid.c"
"$TALLY" run --log "$T_TMP/s.log" -- "$T_TMP/setsid" >"$T_TMP/setsid.out" 2>&1 </dev/null
t_rc $? 0 "setsid() in COMMAND: $(grep -v '^tally' "$T_TMP/setsid.out" | head -n 3)"

# A SIGKILL to the group ends tally, COMMAND and COMMAND's own children.
(setsid bash -c '"$1" run --log "$2" -- sh -c "sleep 4242.7; :" >/dev/null 2>&1 & sleep 0.3; kill -KILL 0' \
	_ "$TALLY" "$T_TMP/k.log") 2>/dev/null
sleep 0.2
t_same "$(pgrep -f -x 'sleep 4242.7' | wc -l)" 0 "COMMAND's child left running after its group was killed"

t_done
