#!/bin/bash
# Runs of reference calls (shim/runs.h): while the event area has room, a
# thread's usual booked calls at one stack on one object go into one record
# that counts them.  Every call must be in a record, alone or in a run:
# dropped + single records + the calls runs hold = the rules' calls, in a
# parent and in its forked child (whose runs must not count into the
# parent's records), with a signal handler booking calls of its own in the
# middle of the program's, a handler that forks in the middle of them, and
# a watchdog handler that jumps out of them.
# TALLY_RUN_SPAN bounds how long a run lasts
# (more runs for a shorter span) and 0 gives a record per call.
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/o.c" <<'EOC'
#include <stdlib.h>
struct o { int refs; };
struct o *o_new(void) { struct o *p = calloc(1, sizeof(*p)); p->refs = 1; return p; }
void o_ref(struct o *p) { __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED); }
void o_unref(struct o *p) { if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_RELAXED) == 0) free(p); }
EOC
cat >"$T_TMP/runner.c" <<'EOC'
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
struct o;
struct o *o_new(void);
void o_ref(struct o *p);
void o_unref(struct o *p);
static struct o *mine, *handlers;
static volatile sig_atomic_t ticks, in_child, forks;
__attribute__((noinline)) static void pairs(struct o *p, int n)
{
	for (int i = 0; i < n; i++) {
		o_ref(p);
		o_unref(p);
	}
}
static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
	pairs(handlers, 3);
}
/* Forks from a signal handler, wherever the main loop's hooked calls are. */
static void fork_on_alarm(int sig)
{
	(void)sig;
	if (in_child || forks >= 100)
		return;
	pid_t pid = fork();
	if (pid == 0)
		in_child = 1;
	else if (pid > 0)
		forks++;
}
static int handler_forks(void)
{
	int ok = 0, bad = 0;
	/* The children's logs cannot be created once their directory moved. */
	const char *move = getenv("HF_MOVE");
	if (move) {
		char to[4096];
		snprintf(to, sizeof(to), "%s.moved", move);
		if (rename(move, to) != 0)
			return 3;
	}
	signal(SIGALRM, fork_on_alarm);
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (forks < 100 || ok + bad < forks) {
		pairs(mine, 50);
		if (in_child) {   /* the interrupted calls went on here */
			struct itimerval z = { 0 };
			setitimer(ITIMER_REAL, &z, NULL);
			pairs(mine, 20);
			_exit(0);
		}
		int st;
		while (waitpid(-1, &st, WNOHANG) > 0) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				ok++;
			else
				bad++;
		}
	}
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	printf("children: %d ok, %d not\n", ok, bad);
	return bad != 0;
}
/* A watchdog that jumps out of whatever the loop was doing, the shim's
 * work included, 200 times; then a plain fork whose child underflows an
 * object of its own: a certain violation (TALLY_ENFORCE=abort aborts). */
static sigjmp_buf watchdog;
static volatile sig_atomic_t jumps;
static void on_watchdog(int sig)
{
	(void)sig;
	jumps++;
	siglongjmp(watchdog, 1);
}
static int jumps_then_fork(void)
{
	signal(SIGALRM, on_watchdog);
	struct itimerval it = { { 0, 300 }, { 0, 300 } };
	setitimer(ITIMER_REAL, &it, NULL);
	sigsetjmp(watchdog, 1);
	while (jumps < 200)
		pairs(mine, 100);
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct o *x = o_new();
		o_unref(x);
		o_unref(x);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child: %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT ? "aborted" : "not aborted");
	return 0;
}
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	mine = o_new();
	handlers = o_new();
	if (strcmp(mode, "handlerfork") == 0)
		return handler_forks();
	if (strcmp(mode, "jumps") == 0)
		return jumps_then_fork();
	if (strcmp(mode, "slow") == 0) {   /* 20 pairs 10 ms apart */
		for (int i = 0; i < 20; i++) {
			pairs(mine, 1);
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		}
	} else if (strcmp(mode, "signals") == 0) {
		signal(SIGALRM, on_alarm);
		struct itimerval it = { { 0, 200 }, { 0, 200 } };
		setitimer(ITIMER_REAL, &it, NULL);
		while (ticks < 300)
			pairs(mine, 100);
		it = (struct itimerval){ 0 };
		setitimer(ITIMER_REAL, &it, NULL);
	} else {   /* fork */
		pairs(mine, 1000);
		pid_t pid = fork();
		if (pid == 0) {
			pairs(mine, 3000);
			o_unref(mine);
			o_unref(handlers);
			exit(0);
		}
		pairs(mine, 500);
		waitpid(pid, NULL, 0);
	}
	o_unref(mine);
	o_unref(handlers);
	return 0;
}
EOC
gcc -O1 -g -fPIC -shared -o "$T_TMP/libo.so" "$T_TMP/o.c" &&
	gcc -O1 -g -o "$T_TMP/runner" "$T_TMP/runner.c" -L"$T_TMP" -lo -Wl,-rpath,"$T_TMP" ||
	t_fatal "cannot build the runs test"
RULES='o: o_new = new; o: o_ref = inc; o: o_unref = dec'
# Every reference call is in a record, alone or in a run.
ALL_IN='.dropped + .events.ref_calls == ([.rules[] | .calls] | add)'

t_run "$T_TMP/f.log" --rules "$RULES" -- "$T_TMP/runner" fork
t_rc "$T_RC" 0 "tally run runner fork"
CLOG=$(sed -n 's/^tally: also: \(.*\) (pid [0-9]*, child process)$/\1/p' "$T_ERR")
[ -f "$CLOG" ] || t_fatal "no child log: $(cat "$T_ERR")"
t_report "$T_TMP/f.log" parent
t_eq "$T_JSON" '[.rules[] | .calls] | add' $((2 + 2 * 1500 + 2)) "parent: the rules' calls"
t_true "$T_JSON" "$ALL_IN" "parent: every call in a record"
t_true "$T_JSON" '.events.runs >= 2 and .events.runs <= 8' "parent: the pairs in a few runs"
t_report "$CLOG" child
t_eq "$T_JSON" '[.rules[] | .calls] | add' $((2 * 3000 + 2)) "child: the rules' calls"
t_true "$T_JSON" "$ALL_IN" "child: every call in a record of its own log"
t_true "$T_JSON" '.events.runs >= 2' "child: its pairs in runs"

# A signal handler forks in the middle of hooked calls, 100 times: the
# children go on with the interrupted calls, which hold pointers into the
# parent's log.  They must not crash, and their books must not turn the
# interrupted call into a certain violation (a false abort under
# TALLY_ENFORCE=abort).  Small tables: every child keeps a log.
t_prog ref_logdump
DUMP=$T_BIN
hf_env=(TALLY_LOG_SIZE=1M TALLY_MAX_FDS=64 TALLY_MAX_STACKS=256 TALLY_MAX_OBJECTS=64
	LD_PRELOAD="$TALLY_LIB" TALLY_RULES="$RULES")
mkdir -p "$T_TMP/hf"
env "${hf_env[@]}" TALLY_LOG="$T_TMP/hf/l.%p" "$T_TMP/runner" handlerfork >"$T_TMP/hf.out" 2>&1
grep -qx "children: 100 ok, 0 not" "$T_TMP/hf.out" && t_pass ||
	t_fail "a handler's forks: $(cat "$T_TMP/hf.out")"
certain=0 logs=0
for l in "$T_TMP"/hf/l.*; do
	logs=$((logs + 1))
	"$DUMP" "$l" >"$T_TMP/hf.dump" 2>&1 || t_fail "ref_logdump $l: $(cat "$T_TMP/hf.dump")"
	certain=$((certain + $(grep -c '^violation .* certain 1' "$T_TMP/hf.dump" || true)))
done
t_same "$logs/$certain" "101/0" "a handler's forks: logs (parent and children) / certain violations"
rm -rf "$T_TMP"/hf "$T_TMP"/hf.*
# The same when the children's logs cannot be created: they run unobserved.
mkdir -p "$T_TMP/hfm"
env "${hf_env[@]}" TALLY_LOG="$T_TMP/hfm/l.%p" HF_MOVE="$T_TMP/hfm" "$T_TMP/runner" handlerfork \
	>"$T_TMP/hfm.out" 2>&1
grep -qx "children: 100 ok, 0 not" "$T_TMP/hfm.out" && t_pass ||
	t_fail "a handler's forks, no log for the children: $(cat "$T_TMP/hfm.out")"
rm -rf "$T_TMP"/hfm*

# A watchdog's siglongjmp out of the shim's work abandons it: a later
# plain fork is not one that interrupted the shim, and its child's own
# underflow is certain (it used to count as interrupted for good).
out=$(env "${hf_env[@]}" TALLY_LOG="$T_TMP/lj.%p" TALLY_ENFORCE=abort "$T_TMP/runner" jumps 2>/dev/null)
t_same "$out" "child: aborted" "after a watchdog's jumps, a child's certain violation aborts it"
rm -f "$T_TMP"/lj.*

t_run "$T_TMP/s.log" --rules "$RULES" -- "$T_TMP/runner" signals
t_rc "$T_RC" 0 "tally run runner signals"
t_report "$T_TMP/s.log" signals
t_true "$T_JSON" "$ALL_IN" "signals: every call in a record"
t_true "$T_JSON" '([.rules[] | .calls] | add) >= 2 * 300 * 3' "signals: the handlers' calls counted"

TALLY_RUN_SPAN=20 t_run "$T_TMP/slow20.log" --rules "$RULES" -- "$T_TMP/runner" slow
t_rc "$T_RC" 0 "tally run runner slow, TALLY_RUN_SPAN=20"
t_report "$T_TMP/slow20.log" slow20
t_true "$T_JSON" "$ALL_IN" "span 20 ms: every call in a record"
# 200 ms of pairs at two stacks, runs of at most ~20 ms (and the 4 ms tick)
t_true "$T_JSON" '.events.runs >= 8' "span 20 ms: the pairs in many runs"
t_run "$T_TMP/slow.log" --rules "$RULES" -- "$T_TMP/runner" slow
t_report "$T_TMP/slow.log" slow
t_eq "$T_JSON" '.events.runs' 2 "span 1 s: one run per stack"
TALLY_RUN_SPAN=0 t_run "$T_TMP/each.log" --rules "$RULES" -- "$T_TMP/runner" slow
t_report "$T_TMP/each.log" each
t_eq "$T_JSON" '[.events.runs, .events.recorded - ([.rules[] | .calls] | add)]' '[0,0]' \
	"span 0: no run, a record per call"
TALLY_RUN_SPAN=soon t_run "$T_TMP/bad.log" --rules "$RULES" -- "$T_TMP/runner" slow
t_rc "$T_RC" 0 "tally run with TALLY_RUN_SPAN=soon"
[ "$(grep -c 'TALLY_RUN_SPAN' "$T_ERR")" = 1 ] && t_pass ||
	t_fail "TALLY_RUN_SPAN=soon: one warning line expected: $(cat "$T_ERR")"
t_report "$T_TMP/bad.log" bad
t_eq "$T_JSON" '.events.runs' 2 "TALLY_RUN_SPAN=soon: the default span"
t_done
