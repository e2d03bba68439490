#!/bin/bash
# Sockets opened on threads by a dlopen'ed C plugin, across dlclose and a
# second dlopen (safe_threads_dlopen): phase 1 loads plugin A and opens 4
# sockets from 4 threads that call it at the same moment (so their first
# stacks in the new module are captured concurrently), then A is unloaded; phase 2 loads B (the same
# code under another name, usually mapped where A was) and opens 1; phase 3
# loads A again and opens 1.  All plugins are unloaded before exit.  The
# program itself opens one socket before the phases and one after, from the
# same call site (same_site_socket): one group of 2, though modules came
# and went between the two.  Each
# phase's group has exactly its sockets (the fds the program printed), and
# its stack names the plugin functions netplugin_make_socket and
# netplugin_open, in the right plugin file (A, B, A), with a source line,
# called from that phase's thread function.  The plugins are built here
# from tests/progs/safe_netplugin.c (gcc -shared -fPIC -g), into the temp
# dir.
. "$(dirname "$0")/lib.sh"

t_prog safe_threads_dlopen
P=$T_BIN
SRC=$TOP/tests/progs/safe_netplugin.c
A=$T_TMP/netplugin_a.so
B=$T_TMP/netplugin_b.so
for so in "$A" "$B"; do
	gcc -O2 -g -shared -fPIC -Wall -Wextra -Werror -o "$so" "$SRC" >"$T_TMP/cc.out" 2>&1 ||
		t_fatal "cannot build $so: $(cat "$T_TMP/cc.out")"
done

for run in 1 2 3 4 5; do
	log=$T_TMP/dl$run.log
	t_run_limited "$log" --json -- "$P" "$A" "$B"
	[ $T_RC -eq 124 ] && t_fail "run $run: tally run -- safe_threads_dlopen hung"
	t_rc $T_RC 0 "run $run: tally run -- safe_threads_dlopen"
	t_expect_log_line "$log"
	[ -f "$log" ] || continue
	head -n -1 "$T_OUT" >"$T_TMP/dl$run.out"
	t_same "$(t_value "$T_TMP/dl$run.out" unloaded)" yes "run $run: plugin A unloaded by dlclose"
	t_log "run $run: A at $(sed -n 's/^phase1 base //p' "$T_TMP/dl$run.out")," \
		"B at $(sed -n 's/^phase2 base //p' "$T_TMP/dl$run.out")," \
		"A again at $(sed -n 's/^phase3 base //p' "$T_TMP/dl$run.out")"

	t_report "$log" "dl$run"
	J=$T_JSON
	t_totals "$J" 8 0 8
	t_eq "$J" '[.sockets.sites[] | select(.stack[0].function == null)] | length' 0 \
		"run $run: sites whose innermost frame has no function name"
	t_eq "$J" '[.process.running, .process.state]' '[false,"exited"]' "run $run: process state"
	t_group "$J" same_site_socket '.fds | sort' \
		"$(sed -n 's/^same-site fds //p' "$T_TMP/dl$run.out" | tr ' ' '\n' | jq -sc 'sort')"
	for phase in 1 2 3; do
		case $phase in 2) so=$B ;; *) so=$A ;; esac
		fds=$(sed -n "s/^phase$phase fds //p" "$T_TMP/dl$run.out" | tr ' ' '\n' | jq -sc 'sort')
		fn=phase${phase}_thread
		t_group "$J" $fn '.fds | sort' "$fds"
		t_group "$J" $fn '[.stack[] | select(.function == "netplugin_open" or
			.function == "netplugin_make_socket") | [.function, .module]]' \
			"[[\"netplugin_make_socket\",\"$so\"],[\"netplugin_open\",\"$so\"]]"
		# Innermost first: the plugin's two frames, then the thread's.
		t_group "$J" $fn '[.stack[0:3][].function]' \
			"[\"netplugin_make_socket\",\"netplugin_open\",\"$fn\"]"
		t_group "$J" $fn '[.stack[0] | (.file | endswith("safe_netplugin.c")), (.line | type)]' \
			'[true,"number"]'
	done
done

t_done
