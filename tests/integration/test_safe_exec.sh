#!/bin/bash
# exec in the same process: safe_exec opens a socket, then execs itself
# (same exe, same pid) into an image that opens 2 sockets and exits.  Two
# logs, neither overwritten: `tally run` names the second as "log" and the
# first as "also: ... (pid P, before exec)"; the first says "exec'd" with
# its 1 socket (stack first_image_socket, fd 3), the second "exited" with
# its 2 (second_image_socket, fds 4 and 5) and is the one reported.  Also:
# execl, execlp (through $PATH) and execle under the shim pass their
# argument lists (and execle its environment) intact: output identical
# to a run without the shim.
. "$(dirname "$0")/lib.sh"

t_prog safe_exec
P=$T_BIN

# ---- exec of itself: two logs ---------------------------------------------
t_run_limited "$T_TMP/exec.%p" --json -- "$P" first
t_rc $T_RC 0 "tally run -- safe_exec first"
pid1=$(sed -n 's/^first: pid \([0-9]*\) socket 3$/\1/p' "$T_OUT")
pid2=$(sed -n 's/^second: pid \([0-9]*\) sockets 4 5$/\1/p' "$T_OUT")
[ -n "$pid1" ] && [ -n "$pid2" ] ||
	t_fatal "safe_exec's output is not 'first: pid P socket 3' / 'second: pid P sockets 4 5': $(cat "$T_OUT" "$T_ERR")"
t_same "$pid2" "$pid1" "pid after exec"
main_log=$(sed -n 's/^tally: log: //p' "$T_ERR")
also=$(grep '^tally: also: ' "$T_ERR")
pre_log=$(sed -n "s/^tally: also: \(.*\) (pid $pid1, before exec)\$/\1/p" "$T_ERR")
t_same "$(grep -c '^tally: also: ' "$T_ERR")" 1 "'tally: also:' lines ($also)"
t_same "$pre_log" "$T_TMP/exec.$pid1" "the pre-exec log named by 'tally: also:'"
[ -n "$main_log" ] && [ "$main_log" != "$pre_log" ] && t_pass ||
	t_fail "'tally: log: $main_log' should name a log other than the pre-exec one ($pre_log)"
t_same "$(ls "$T_TMP" | grep -c "^exec\.$pid1")" 2 "logs of pid $pid1 in the log dir"
tail -n 1 "$T_OUT" >"$T_TMP/run.json"
t_eq "$T_TMP/run.json" '.log' "\"$main_log\"" "the log tally run reported"

if [ -f "$pre_log" ]; then
	t_report "$pre_log" pre
	t_eq "$T_JSON" '[.process.pid, .process.running, .process.state]' "[$pid1,false,\"exec'd\"]" \
		"pre-exec log: [pid, running, state]"
	t_totals "$T_JSON" 1 0 1
	t_group "$T_JSON" first_image_socket '.fds' '[3]'
	t_eq "$T_JSON" "$T_JQ_DEFS"'[.sockets.sites[] | select(has_fn("second_image_socket"))] | length' 0 \
		"pre-exec log has nothing of the second image"
fi
if [ -f "$main_log" ]; then
	t_report "$main_log" post
	t_eq "$T_JSON" '[.process.pid, .process.running, .process.state]' "[$pid1,false,\"exited\"]" \
		"post-exec log: [pid, running, state]"
	# its own two, and fd 3, which the first image left open across exec
	t_totals "$T_JSON" 2 0 3
	t_eq "$T_JSON" '.sockets.inherited' 1 "post-exec log: inherited across exec"
	t_eq "$T_JSON" "$T_JQ_DEFS"'[group("second_image_socket")[] | .fds[]] | sort' '[4,5]' \
		"post-exec log: fds of the groups under second_image_socket"
	t_eq "$T_JSON" '[.sockets.groups[] | select(.stack_missing != null) | .fds[]]' '[3]' \
		"post-exec log: fd 3 open when the second image started"
	t_eq "$T_JSON" "$T_JQ_DEFS"'[.sockets.sites[] | select(has_fn("first_image_socket"))] | length' 0 \
		"post-exec log has nothing of the first image"
fi

# ---- execl, execlp, execle: argument lists intact --------------------------
printf '%s\n' 'argc 8' 'argv[0] [safe_exec]' 'argv[1] [args]' 'argv[2] [one]' \
	'argv[3] [two words]' 'argv[4] []' 'argv[5] [--]' "argv[6] [tab	here]" 'argv[7] [last]' \
	>"$T_TMP/args.want"
for call in execl execlp execle; do
	cp "$T_TMP/args.want" "$T_TMP/$call.want"
	if [ $call = execle ]; then
		echo 'env [from execle]' >>"$T_TMP/$call.want"
	else
		echo 'env [(unset)]' >>"$T_TMP/$call.want"
	fi
	PATH="$TOP/build/progs:$PATH" timeout -k 5 $LIMIT "$P" $call >"$T_TMP/$call.plain" 2>&1
	t_rc $? 0 "safe_exec $call without the shim"
	cmp -s "$T_TMP/$call.plain" "$T_TMP/$call.want" && t_pass ||
		t_fail "safe_exec $call without the shim: $(diff "$T_TMP/$call.want" "$T_TMP/$call.plain")"

	PATH="$TOP/build/progs:$PATH" t_run_limited "$T_TMP/$call.%p" --json -- "$P" $call
	t_rc $T_RC 0 "tally run -- safe_exec $call"
	head -n -1 "$T_OUT" >"$T_TMP/$call.tally"
	cmp -s "$T_TMP/$call.tally" "$T_TMP/$call.want" && t_pass ||
		t_fail "safe_exec $call under tally run: $(diff "$T_TMP/$call.want" "$T_TMP/$call.tally")"
	# execle's new environment has no LD_PRELOAD: only the first image logs.
	if [ $call = execle ]; then
		want_state="exec'd"
	else
		want_state=exited
		# the image before exec touched no socket: its log is removed,
		# and said so, not listed
		grep -q '^tally: 1 more log of processes that touched no socket removed$' "$T_ERR" &&
			! grep -q '^tally: also: ' "$T_ERR" && t_pass ||
			t_fail "tally run -- safe_exec $call: the pre-exec log is not said removed: $(cat "$T_ERR")"
	fi
	tail -n 1 "$T_OUT" >"$T_TMP/$call.json"
	t_eq "$T_TMP/$call.json" '.process.state' "\"$want_state\"" "safe_exec $call: state of the reported log"
done

t_done
