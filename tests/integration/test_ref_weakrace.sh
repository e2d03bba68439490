#!/bin/bash
# g_weak_ref_get racing the last g_object_unref (tests/progs/ref_weakrace.c,
# GLib's /GObject/threaded-weak-ref): when the weak reference wins, its
# g_object_ref keeps the object, and the unref only lowers the count.  An
# increment that saw the books live, while the unref's decrement brought
# them to 0 and closed them, was added to closed books: the program's own
# later unref was a certain reference after release, and TALLY_ENFORCE=abort
# aborted this correct program (2 runs in 3, a helper's finding).  Now
# such an increment brings the books back.  Three runs, each must pass.
. "$(dirname "$0")/lib.sh"

t_prog ref_weakrace
for run in 1 2 3; do
	t_run "$T_TMP/w$run.log" --check --enforce abort --rules gobject -- "$T_BIN" 5000
	t_rc "$T_RC" 0 "run $run: tally run --check --enforce abort (stderr: $(grep -v '^tally: rule' "$T_ERR" | head -c 300))"
	t_report "$T_TMP/w$run.log" "w$run"
	t_eq "$T_JSON" '.violations | length' 0 "run $run: no violation"
	t_eq "$T_JSON" '[.objects.types[] | select(.type == "GObject") | .created == .freed and .leaked == 0][0]' \
		true "run $run: every GObject freed, none leaked"
done
t_done
