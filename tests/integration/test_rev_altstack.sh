#!/bin/bash
# A signal handler on an alternate stack (sigaltstack) at higher addresses
# than the thread's stack must keep the entries of the hooked calls it
# interrupted in the per-thread stack of calls under way
# (shim/hooks_ref.c).  Comparing stack pointers as if a thread had one
# stack dropped them, and the interrupted creation found no entry of its
# own in ref_hook_post and was not booked.  rev_altstack: the object o,
# created by rv_new_cb, must be in the books (created 1, net 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_altstack

RULES='t: rv_new_cb = new; t: rv_ref = inc; t: rv_unref = dec'
rev_base altstack rev_altstack "$T_TMP/base.objects"
t_same "$(cat "$T_TMP/altstack.base.out")" "ok o 1 p 1" "altstack: without tally"
rev_run altstack rev_altstack TALLY_RULES="$RULES" -- "$T_TMP/objects"
r_dump "$R.log" altstack
addr=$(awk '$2 == "o" { print $3 }' "$T_TMP/objects")
t_same "$(r_type "$D" t created)" 1 "altstack: creations booked"
t_same "$(r_obj "$D" "$addr" net)" 1 "altstack: net of o in the books"
t_done
