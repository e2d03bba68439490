#!/bin/bash
# Under tally run, a script's processes that never touch a socket leave no
# log behind (each is allocated in full); those that do, and the process
# tally run started, keep theirs.  tally run lists ("tally: also:") only
# the logs it keeps, and says how many it removed.
. "$(dirname "$0")/lib.sh"

t_prog fd_mix
mkdir -p "$T_TMP/logs"
"$TALLY" run --log "$T_TMP/logs/s.%e.%p" -- \
	sh -c "/bin/true; /bin/true; x=\$(echo hi); '$T_BIN'; exit 0" >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "tally run"
left=$(for f in "$T_TMP"/logs/*; do
	"$TALLY" report --json "$f" | jq -r '.process.exe | split("/") | last'
done | sort | paste -sd, -)
if [ "$left" = "dash,fd_mix" ] || [ "$left" = "bash,fd_mix" ]; then
	t_pass
else
	t_fail "logs left: expected the shell's and fd_mix's, got: $left"
fi
# every log named on stderr is there
named=$(sed -n 's/^tally: \(log\|also\): \([^ ]*\).*$/\2/p' "$T_ERR")
missing=0
for f in $named; do [ -f "$f" ] || missing=$((missing + 1)); done
t_same "$missing" 0 "logs named by tally run but removed ($named)"
t_same "$(echo "$named" | wc -l)" 2 "logs named: the shell's and fd_mix's"
grep -qE '^tally: [0-9]+ more logs? of processes that touched no socket removed$' "$T_ERR" && t_pass ||
	t_fail "tally run does not say it removed the other logs: $(cat "$T_ERR")"
t_done
