#!/bin/bash
# A hooked call left on a coroutine stack that was unmapped since must
# never be read back (shim/hooks_ref.c compares stack pointers only): a
# reference from a coroutine right below it used to kill the program with
# SIGSEGV.  tests/progs/rev_cofreed.c says how.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_cofreed

rev_base cofreed rev_cofreed
t_same "$(cat "$T_TMP/cofreed.base.out")" "ok count 2" "cofreed: without tally"
for mode in entry got; do
	rev_run cofreed rev_cofreed TALLY_RULES="$REV_RULES" TALLY_HOOK=$mode --
done
t_done
