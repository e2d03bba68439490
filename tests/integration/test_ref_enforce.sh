#!/bin/bash
# Enforcement (issue part 2, §5): a reference to an object after its release
# and a double close of a socket are recorded with their stack; with
# --enforce abort (TALLY_ENFORCE=abort) the program is aborted right after
# the record, before the bad call runs, and the report lists the violation
# from the log the abort left.  A balanced program under abort runs to its
# end with no violation.
. "$(dirname "$0")/lib.sh"

t_prog ref_enforce
PROG=$T_BIN
SRC=$TOP/tests/progs/ref_enforce.c
RULES='rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec'
line_of() { grep -n "$1" "$SRC" | head -n 1 | cut -d: -f1; }

# ---- a reference after release, abort ------------------------------------
t_run "$T_TMP/after.log" --enforce abort --rules "$RULES" -- "$PROG" after-release
t_rc "$T_RC" 134 "after-release under --enforce abort (SIGABRT)"
grep -q "^tally: TALLY_ENFORCE=abort: a reference after release of .*; aborting (the stack is in $T_TMP/after.log)\$" \
	"$T_ERR" && t_pass || t_fail "after-release abort: no line saying why: $(cat "$T_ERR")"
grep -qx released "$T_OUT" && t_pass || t_fail "the program did not get as far as the release"
grep -q "not reached" "$T_OUT" && t_fail "the program went on past the violation" || t_pass
t_report "$T_TMP/after.log" after
J=$T_JSON
t_eq "$J" '[.violations[] | [.kind, .type, .count, .certain]]' '[["after-release","rl",1,true]]' \
	"after-release: violations [kind, type, count, certain]"
t_eq "$J" '.violations[0].stack[0] | [.function, .line]' \
	"[\"ref_after_release\",$(line_of 'rl_ref(o);')]" "after-release: where [function, line]"
t_eq "$J" '[.objects.types[] | [.created, .freed, .live]]' '[[1,1,0]]' \
	"after-release: the released object stays released [created, freed, live]"
t_eq "$J" '.verdicts' '[]' "after-release: no leak verdict"

# ---- double close, abort and log ------------------------------------------
t_run "$T_TMP/dc-abort.log" --enforce abort -- "$PROG" double-close
t_rc "$T_RC" 134 "double close under --enforce abort"
grep -q "^tally: TALLY_ENFORCE=abort: a second close of a socket; aborting" "$T_ERR" && t_pass ||
	t_fail "double-close abort: no line saying why: $(cat "$T_ERR")"
t_report "$T_TMP/dc-abort.log" dc-abort
t_eq "$T_JSON" '[.violations[] | [.kind, .count, .certain, .stack[0].function, .stack[0].line]]' \
	"[[\"double-close\",1,true,\"close_twice\",$(line_of 'the double close')]]" \
	"double close (abort): [kind, count, certain, function, line]"

t_run "$T_TMP/dc-log.log" -- "$PROG" double-close
t_rc "$T_RC" 0 "double close under the default --enforce log: the program runs on"
grep -q "^second close: -1 Bad file descriptor" "$T_OUT" && t_pass ||
	t_fail "the second close did not fail with EBADF as without tally: $(grep second "$T_OUT")"
t_report "$T_TMP/dc-log.log" dc-log
t_eq "$T_JSON" '[.violations[] | [.kind, .count]]' '[["double-close",1]]' "double close (log): recorded"

# A close-everything loop (EBADF for numbers never opened) is no violation.
t_run "$T_TMP/fresh.log" --enforce abort -- bash -c 'exec 3>&- 4>&- 5>&-; true'
t_rc "$T_RC" 0 "closing fds that were never sockets under --enforce abort"

# ---- balanced, abort -------------------------------------------------------
t_run "$T_TMP/ok.log" --check --enforce abort --rules "$RULES" -- "$PROG" balanced
t_rc "$T_RC" 0 "balanced program under --enforce abort and --check"
t_report "$T_TMP/ok.log" ok
t_eq "$T_JSON" '[(.violations | length), ([.objects.types[] | .live] | add)]' '[0,0]' \
	"balanced: [violations, live objects]"

# ---- abort with fd 2 a socket: the line is not written into it -------------
# A daemon's fd 2 may be one of its connections: the abort's line would be
# data there.  fd2sock runs the program with fd 2 one end of a socketpair
# and prints what arrived at the other end.
cat >"$T_TMP/fd2sock.c" <<'EOC'
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int sv[2], st;
	char buf[512];
	if (argc < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(sv[1], 2);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	close(sv[1]);
	waitpid(pid, &st, 0);
	ssize_t n = read(sv[0], buf, sizeof(buf));
	printf("status %d, %zd bytes on fd 2\n", WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st),
	       n < 0 ? 0 : n);
	return 0;
}
EOC
gcc -O1 -o "$T_TMP/fd2sock" "$T_TMP/fd2sock.c" || t_fatal "cannot build fd2sock"
out=$(TALLY_LOG="$T_TMP/sock2.log" TALLY_ENFORCE=abort TALLY_RULES="$RULES" LD_PRELOAD="$TALLY_LIB" \
	"$T_TMP/fd2sock" "$PROG" after-release | tail -n 1)
t_same "$out" "status 134, 0 bytes on fd 2" "abort with fd 2 a socket: nothing written into it"

t_done
