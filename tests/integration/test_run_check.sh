#!/bin/bash
# tally run --check in CI: leaks in child processes count, a relative --log
# works after the program changes directory, and a command that cannot
# start gives one line and 127.
. "$(dirname "$0")/lib.sh"

t_prog fd_mix
cd "$T_TMP" || t_fatal "cd"

# A shell that runs a leaking child and exits 0.
# (--log in the test's directory: the default, /dev/shm, would keep three
# 64 MiB logs after every run.)
"$TALLY" run --check --log "$T_TMP/c.%e.%p" -- sh -c "'$T_BIN'; exit 0" >"$T_OUT" 2>"$T_ERR"
t_rc $? 1 "--check with a leaking child"
grep -q "^tally: pid [0-9]* (.*fd_mix) left 2 sockets open" "$T_ERR" ||
	t_fail "no line for the child: $(cat "$T_ERR")"
grep -q "check failed: 2 sockets left open (2 by child processes)" "$T_ERR" ||
	t_fail "check line: $(cat "$T_ERR")"

# A relative --log, and a program that changes directory before its log.
mkdir -p sub elsewhere
(cd sub && "$TALLY" run --check --log rel.log -- sh -c "cd '$T_TMP/elsewhere' && exec '$T_BIN'") \
	>"$T_OUT" 2>"$T_ERR"
t_rc $? 1 "--check with a relative --log"
grep -q "^tally: log: $T_TMP/sub/rel.log.1\$" "$T_ERR" || t_fail "log line: $(cat "$T_ERR")"
[ ! -e "$T_TMP/elsewhere/rel.log" ] || t_fail "a log was written relative to the new directory"

# No leak anywhere: --check passes.
"$TALLY" run --check --log "$T_TMP/n.%e.%p" -- sh -c 'exit 0' >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "--check without leaks"

# Socket fds above TALLY_MAX_FDS are not tracked: --check cannot vouch
# for them and says so, even when every socket was closed.
cat >"$T_TMP/many.c" <<'EOF'
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
	int fd[80];
	for (int i = 0; i < 80; i++)
		fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 80; i++)
		close(fd[i]);
	return 0;
}
EOF
gcc -O2 -o "$T_TMP/many" "$T_TMP/many.c" || t_fatal "cannot build many.c"
TALLY_MAX_FDS=64 "$TALLY" run --check --log "$T_TMP/m.log" -- "$T_TMP/many" >"$T_OUT" 2>"$T_ERR"
t_rc $? 1 "--check with sockets above TALLY_MAX_FDS"
grep -Eq "^tally: check failed: [0-9]+ socket fds above TALLY_MAX_FDS=64 not tracked \\(raise it\\)$" "$T_ERR" ||
	t_fail "check line for untracked sockets: $(cat "$T_ERR")"
# The same in a child process of a script.
TALLY_MAX_FDS=64 "$TALLY" run --check --log "$T_TMP/mc.log" -- sh -c "'$T_TMP/many'; exit 0" \
	>"$T_OUT" 2>"$T_ERR"
t_rc $? 1 "--check with a child's sockets above TALLY_MAX_FDS"
TALLY_MAX_FDS=128 "$TALLY" run --check --log "$T_TMP/m2.log" -- "$T_TMP/many" >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "--check with every socket within TALLY_MAX_FDS"

# --output: the report in a file, COMMAND's stdout alone on stdout.
"$TALLY" run --json --output "$T_TMP/rep.json" --log "$T_TMP/o.log" -- sh -c 'echo from-command' \
	>"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "--output"
t_same "$(cat "$T_OUT")" "from-command" "stdout with --output: COMMAND's only"
t_eq "$T_TMP/rep.json" '.sockets.created' 0 "--output: the JSON report"
# No report (COMMAND did not start): no --output file either.
"$TALLY" run --output "$T_TMP/none.json" -- "$T_TMP/nonexistent" >"$T_OUT" 2>"$T_ERR"
t_rc $? 127 "--output, command missing"
[ ! -e "$T_TMP/none.json" ] && t_pass || t_fail "--output left a file without a report"
# A file that cannot be written: one line and 2, before COMMAND runs.
"$TALLY" run --output "$T_TMP/no/such/dir/r" -- touch "$T_TMP/ran-output" >"$T_OUT" 2>"$T_ERR"
t_rc $? 2 "--output into a missing directory"
t_same "$(wc -l <"$T_ERR")" 1 "--output into a missing directory: lines on stderr"
[ ! -e "$T_TMP/ran-output" ] && t_pass || t_fail "--output into a missing directory: COMMAND ran"

# A --log pattern the shim would refuse (a % not starting %p, %e or %%):
# one line and 2, before COMMAND runs (it ran, logged elsewhere, and the
# run then said it wrote no log).
"$TALLY" run --log "$T_TMP/bad1%.log" -- touch "$T_TMP/ran-badlog" >"$T_OUT" 2>"$T_ERR"
t_rc $? 2 "--log with a bare %"
t_same "$(wc -l <"$T_ERR")" 1 "--log with a bare %: lines on stderr"
[ ! -e "$T_TMP/ran-badlog" ] && t_pass || t_fail "--log with a bare %: COMMAND ran"
"$TALLY" run --log "$T_TMP/pct%%.log" -- true >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "--log with %% (a % sign)"
[ -e "$T_TMP/pct%.log" ] && t_pass || t_fail "--log with %%: no $T_TMP/pct%.log"

# A command that does not exist: 127 and one line.
"$TALLY" run -- "$T_TMP/nonexistent" >"$T_OUT" 2>"$T_ERR"
t_rc $? 127 "missing command"
[ "$(wc -l <"$T_ERR")" -eq 1 ] || t_fail "missing command: $(wc -l <"$T_ERR") lines: $(cat "$T_ERR")"
# Bad values of run's options: one line and 2, the command never runs.
for opt in "--depth 0" "--depth abc" "--log-size 512K" "--log-size xyz" "--port-range 9-1"; do
	# shellcheck disable=SC2086
	"$TALLY" run $opt -- touch "$T_TMP/ran" >"$T_OUT" 2>"$T_ERR"
	t_rc $? 2 "run $opt"
	[ "$(wc -l <"$T_ERR")" -eq 1 ] || t_fail "run $opt: $(cat "$T_ERR")"
	[ ! -e "$T_TMP/ran" ] || t_fail "run $opt ran the command"
done

# _exit and _Exit skip the destructors: still "exited", not "killed or crashed".
t_prog fd_uexit
for args in "" "x"; do
	"$TALLY" run --json --log "$T_TMP/u$args.log" -- "$T_BIN" $args >"$T_OUT" 2>"$T_ERR"
	rc=$?
	t_rc $rc "$([ -n "$args" ] && echo 3 || echo 0)" "_exit/_Exit status passes through"
	state=$(tail -n 1 "$T_OUT" | jq -r .process.state)
	[ "$state" = exited ] || t_fail "_exit${args:+/_Exit}: state $state"
done
t_done
