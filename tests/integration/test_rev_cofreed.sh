#!/bin/bash
# A coroutine stack that was unmapped must never be read: neither the
# frame of a hooked call left on it (shim/hooks_ref.c compares stack
# pointers only) nor, for a hooked call near the top of the coroutine
# stack right below it, the words above that the trampoline copies as
# stack arguments (memcheck's page cache is emptied by munmap).  Both
# reads used to kill the program with SIGSEGV; tests/progs/rev_cofreed.c
# says how.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_cofreed

rev_base cofreed rev_cofreed
t_same "$(cat "$T_TMP/cofreed.base.out")" "ok count 2" "cofreed: without tally"
for mode in entry got; do
	rev_run cofreed rev_cofreed TALLY_RULES="$REV_RULES" TALLY_HOOK=$mode --
done
t_done
