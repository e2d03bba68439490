#!/bin/bash
# Hooked calls nested deeper than the shim follows (tests/progs/rev_deep.c):
# a call too deep for an entry is booked, and a later separate call for the
# same object from a deeper frame is booked too (it was taken as nested in
# the first, which had returned: one reference "leaked" in a correct
# program).  Everything is given back; the type has blind spots (the calls
# too deep to follow), so nothing about it is certain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rev_lib.sh"
t_prog rev_deep

rev_base deep rev_deep
for mode in entry got; do
	t_run "$T_TMP/deep.$mode.log" --check --hook $mode --rules "$REV_RULES" -- "$PROGS/rev_deep"
	t_rc "$T_RC" 0 "deep ($mode): tally run --check (stderr: $(grep -v '^tally: rule' "$T_ERR" | head -c 300))"
	t_report "$T_TMP/deep.$mode.log" "deep.$mode"
	t_eq "$T_JSON" '[.objects.types[] | select(.type == "t") | [.created, .freed, .leaked, .nested > 0]][0]' \
		'[33,33,0,true]' "deep ($mode): t [created, freed, leaked, blind spots]"
done

# A type born with two references that is not a thread: the "still
# running at exit" rule is a thread's (GThread: thread), and leaks of any
# other type stay leaks (a review: they were hidden).
t_run "$T_TMP/new2.log" --check --rules 't: rv_new = new(2); t: rv_ref = inc; t: rv_unref = dec' \
	-- "$PROGS/rev_deep"
t_rc "$T_RC" 1 "new(2): --check fails (the rule says two references, one is given back)"
t_report "$T_TMP/new2.log" new2
# (the objects are really freed: one freed address may sit in a global of
# libc's malloc, and that object counts as still reachable)
t_eq "$T_JSON" '[.objects.types[] | select(.type == "t") | [.leaked >= 32, (.groups | map(.running) | add)]][0]' \
	'[true,0]' "new(2): the objects leaked, none taken as a running thread's"
t_done
