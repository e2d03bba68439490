#!/bin/bash
# GThreads under the glib preset (tests/progs/ref_gthread.c).  A GThread
# starts with two references, the creator's and the running thread's own:
# while the process runs, both are presumed held by their owners (a
# running worker is no leak).  After exit, the thread never joined or
# unref'd by forget_a_thread() is the one leak, with its verdict.
. "$(dirname "$0")/lib.sh"

t_prog ref_gthread
PROG=$T_BIN
LOG=$T_TMP/g.log
mkfifo "$T_TMP/in"
"$TALLY" run --log "$LOG" --rules glib -- "$T_BIN" <"$T_TMP/in" >"$T_TMP/g.out" 2>"$T_TMP/g.err" &
RUN_PID=$!
T_PIDS+=("$RUN_PID")
exec 7>"$T_TMP/in"
t_wait_file "$T_TMP/g.out" '^ready [0-9]+$' 10 || t_fatal "ref_gthread not ready: $(cat "$T_TMP/g.err")"

t_report "$LOG" running
J=$T_JSON
t_eq "$J" '.process.running' true "the process is running"
t_eq "$J" '[.objects.types[] | select(.type == "GThread") | [.created, .freed, .live, .leaked]][0]' \
	'[3,1,2,0]' "running: GThread [created, freed, live, leaked]: worker and forgotten alive, none leaked"
t_eq "$J" '[.verdicts[] | select(.type == "GThread")] | length' 0 "running: no GThread verdict"

echo go >&7
exec 7>&-
wait "$RUN_PID"
t_rc $? 0 "tally run: the program's status"
t_report "$LOG" exited
J=$T_JSON
t_eq "$J" '[.objects.types[] | select(.type == "GThread") | [.created, .freed, .live, .leaked]][0]' \
	'[3,2,1,1]' "after exit: GThread [created, freed, live, leaked]: the forgotten one"
t_eq "$J" '[.verdicts[] | select(.type == "GThread") | [.function, .net]]' \
	'[["forget_a_thread",1]]' "after exit: the verdict names forget_a_thread, +1"
# Short-lived threads under TALLY_ENFORCE=abort: a thread's own
# reference dropped before its g_thread_new returned, at a reused address,
# looked like a reference after release, certain, and aborted a correct
# program (a review: 1 run in 4).  No violation of a type is certain while
# one of its creations is under way.
t_run_ok "$T_TMP/churn.log" --enforce abort --rules glib -- "$PROG" --churn 4000 </dev/null
t_same "$(grep '^churned' "$T_OUT")" "churned 4000" "churn: the program ran to its end"
t_report "$T_TMP/churn.log" churn
t_eq "$T_JSON" '[.violations[] | select(.certain)] | length' 0 "churn: no certain violation"
# ... and that drop waits for the books of its thread (books_await_birth):
# before, it was a decrement of an unknown object, the books kept one
# reference too many, and the correct program "leaked" a GThread.
t_eq "$T_JSON" '[.objects.types[] | select(.type == "GThread") | [.created, .freed, .live, .leaked, .dec_unknown]][0]' \
	'[4000,4000,0,0,0]' "churn: GThread [created, freed, live, leaked, dec_unknown]: every one freed"
t_eq "$T_JSON" '[.verdicts[] | select(.type == "GThread")] | length' 0 "churn: no GThread verdict"
t_eq "$T_JSON" '.violations | length' 0 "churn: no violation at all"
t_run_ok "$T_TMP/churn2.log" --check --rules glib -- "$PROG" --churn 2000 </dev/null
t_same "$(grep '^churned' "$T_OUT")" "churned 2000" "churn --check: passes a program that leaks nothing"

# A thread still running at exit, its GThread never joined nor unref'd
# (GLib's worker thread does so): no reference was ever given back, so the
# running thread holds it, and --check passes.  The forgotten thread above,
# whose own reference its ending dropped, stays a leak.
t_run_ok "$T_TMP/forever.log" --check --rules glib -- "$PROG" --forever </dev/null
t_report "$T_TMP/forever.log" forever
t_eq "$T_JSON" '[.objects.types[] | select(.type == "GThread") | [.live, .leaked, (.groups | map(.running) | add)]][0]' \
	'[1,0,1]' "forever: GThread [live, leaked, running at exit]"
# The detach idiom, g_thread_unref(g_thread_new(...)), with the thread
# running at exit: the creator's reference is given back, the thread's own
# is not dropped on a thread's way out (GLib drops it there as the thread
# ends), so the running thread holds it.  The forgotten thread above, whose
# own reference its end dropped, is still a leak.
t_run_ok "$T_TMP/detached.log" --check --rules glib -- "$PROG" --detached </dev/null
t_report "$T_TMP/detached.log" detached
t_eq "$T_JSON" '[.objects.types[] | select(.type == "GThread") | [.live, .leaked, (.groups | map(.running) | add)]][0]' \
	'[1,0,1]' "detached: GThread [live, leaked, running at exit]"
# ... also when a plain pthread drops the creator's reference (its start
# routine's frame is the program's: no thread's own drop at its end), and
# when stacks are cut short (--depth 3: main's drop reaches no further than
# libc's start frames, which is no thread's end either).  A review found
# both read as an ended thread's: a leak.
t_run_ok "$T_TMP/pdetached.log" --check --rules glib -- "$PROG" --pthread-detached </dev/null
t_run_ok "$T_TMP/ddetached.log" --check --depth 3 --rules glib -- "$PROG" --detached </dev/null

t_done
