#!/bin/bash
# The trampoline (shim/hooks_tramp.S) copies up to 32 words of stack
# arguments above the caller's stack pointer, whatever the function takes:
# a hooked call made near the top of a stack (a makecontext coroutine, a
# thread on a stack of its own) must not read past the stack's end (the
# program died of SIGSEGV).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_stacktop

rev_base stacktop rev_stacktop
t_same "$(cat "$T_TMP/stacktop.base.out")" "ok count 2" "stacktop: without tally"
for mode in entry got; do
	rev_run stacktop rev_stacktop TALLY_RULES="$REV_RULES" TALLY_HOOK=$mode
done
t_done
