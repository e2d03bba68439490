#!/bin/bash
# A socket() call site reached at the same stack pointer through different
# callers (tests/progs/fd_replay.c): the shim recognises a repeated capture
# without walking the stack (shim/replay.h), and must still tell these
# stacks apart.  same_sp: the callers differ only in one return address;
# alloca_sp: an alloca in an rbp-based frame moves the callers' return
# addresses, and the old places still hold the old return addresses.  Each
# caller must have exactly its own sockets, at several depths (4: stacks
# cut at the limit; 64: whole stacks, ending at _start), in the main thread
# and in another one.
. "$(dirname "$0")/lib.sh"

t_prog fd_replay
PROG=$T_BIN
N=500

for depth in 4 16 64; do
	for mode in same_sp alloca_sp thread; do
		t_run_ok "$T_TMP/$mode.$depth.log" --depth $depth -- "$PROG" "$mode" $N
		t_report "$T_TMP/$mode.$depth.log"
		J=$T_JSON
		t_clean_events "$J"
		t_eq "$J" '.failures' '[]' "$mode $depth: failures"
		if [ $mode = alloca_sp ]; then
			[ "$(t_value "$T_OUT" sp_equal)" = 1 ] ||
				t_fail "$mode: the alloca did not line the two stacks up"
			# + 3 sockets while lining them up: 1 under A, 2 under B
			t_totals "$J" $((4 * N + 3)) $((4 * N + 3)) 0
			A=outerA B=outerB NA=$((2 * N + 1)) NB=$((2 * N + 2))
		else
			t_totals "$J" $((4 * N)) $((4 * N)) 0
			A=pathA B=pathB NA=$((2 * N)) NB=$((2 * N))
		fi
		t_eq "$J" "$T_JQ_DEFS"'[site("'$A'")[] | .created] | add' $NA "$mode $depth: sockets under $A"
		t_eq "$J" "$T_JQ_DEFS"'[site("'$B'")[] | .created] | add' $NB "$mode $depth: sockets under $B"
		t_eq "$J" "$T_JQ_DEFS"'[site("'$A'")[] | select(has_fn("'$B'"))] | length' 0 \
			"$mode $depth: no site under both"
	done
done
t_done
