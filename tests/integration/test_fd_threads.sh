#!/bin/bash
# Concurrency (tests/progs/fd_threads.c): 8 threads, released together,
# each create and close 1000 sockets and leak 3.  The books must be exact:
# 8 x 1003 = 8024 created, 8000 closed, 24 open, per site too, with every
# event recorded.  Run 3 times: a race that loses one count shows up.
# Then once with every stack walked, both ways libunwind walks.
. "$(dirname "$0")/lib.sh"

t_prog fd_threads
PROG=$T_BIN

for run in 1 2 3; do
	t_run_ok "$T_TMP/t$run.log" -- "$PROG" 8 1000 3
	LEAKED=$(awk '$1 == "leaked" { print $2 }' "$T_OUT" | sort -n | jq -sc .)
	t_report "$T_TMP/t$run.log"
	J=$T_JSON
	t_totals "$J" 8024 8000 24
	t_site "$J" churn_socket '{"open":0,"created":8000,"closed":8000}'
	t_site "$J" leak_socket '{"open":24,"created":24,"closed":0}'
	t_group "$J" leak_socket '[.family, .type, (.fds | sort)]' "[\"inet6\",\"stream\",$LEAKED]"
	t_group "$J" leak_socket '[.stack[0].function, .stack[1].function]' '["leak_socket","worker_main"]'
	t_eq "$J" '.sockets.groups | length' 1 "run $run: groups"
	t_eq "$J" '[.failures, .anomalies]' '[[],[]]' "run $run: failures and anomalies"
	# 8024 socket + 8000 close events, nothing else.
	t_eq "$J" '[.events.claimed, .events.recorded]' '[16024,16024]' "run $run: events [claimed, recorded]"
	t_clean_events "$J"
done

# Every stack walked (TALLY_REPLAY=0): each thread's first walks go step by
# step (libunwind without its per-thread cache, shim/unwind.h), the rest
# through unw_backtrace.  Both must give the same frames: still one site
# per call site, not one per kind of walk.
TALLY_REPLAY=0 t_run_ok "$T_TMP/walked.log" -- "$PROG" 8 100 3
t_report "$T_TMP/walked.log"
t_site "$T_JSON" churn_socket '{"open":0,"created":800,"closed":800}'
t_site "$T_JSON" leak_socket '{"open":24,"created":24,"closed":0}'
t_eq "$T_JSON" '.sockets.sites | length' 2 "every stack walked: sites"

t_done
