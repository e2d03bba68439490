#!/bin/bash
# A varargs function hooked with a `varargs` rule (g_object_new is one in
# the gobject preset) gets all its stack arguments, up to 256 words: the
# trampoline (shim/hooks_tramp.S) copied 32, and GLib's properties test,
# 18 property pairs to g_object_new, read garbage beyond them and crashed.
# rv_new_sum takes 96 words on the stack, from main's stack and from a
# coroutine's whose end is an unmapped page (fewer can be read there).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_varargs

RULES='t: rv_new_sum = new varargs; t: rv_unref = dec'
rev_base varargs rev_varargs
t_same "$(cat "$T_TMP/varargs.base.out")" "$(printf 'main stack: 5050\ncoroutine stack: 5050\nok')" \
	"varargs: without tally"
for mode in entry got; do
	rev_run varargs rev_varargs TALLY_RULES="$RULES" TALLY_HOOK=$mode
	r_dump "$R.log" "varargs.$mode"
	t_same "$(r_rule "$D" rv_new_sum calls)" 2 "varargs ($mode): both calls seen"
	t_same "$(r_type "$D" t created)/$(r_type "$D" t freed)" 2/2 "varargs ($mode): both objects created and freed"
	r_no_violations "$D" "varargs ($mode)"
done
t_done
