#!/bin/bash
# With the event area full, a booked call counts its call and its dropped
# event per thread (shim/batch.h).  Those counts must all reach the log:
# from a thread still running when main exits, from a key destructor that
# runs after the shim's own one, and from a library destructor that runs
# after the shim's (tests/progs/ref_full_counts.c).  Each run: 5000 pairs
# fill a 1 MiB log, then the calls under test; every rule's calls and
# dropped + recorded events must be exact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_full_counts
PROG=$T_BIN
P=5000
RULES='rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec'

# check MODE NEW REF UNREF: the rules' calls, and every reference event
# either recorded or counted as dropped.
check() {
	local mode=$1 new=$2 ref=$3 unref=$4 log="$T_TMP/$1.log"
	r_dump "$log" "$mode"
	t_same "$(r_rule "$D" rl_new calls)/$(r_rule "$D" rl_ref calls)/$(r_rule "$D" rl_unref calls)" \
		"$new/$ref/$unref" "$mode: rl_new/rl_ref/rl_unref calls"
	t_report "$log" "$mode"
	case $mode in
	*.runs)
		t_eq "$T_JSON" '.events.recorded < 100 and .events.runs > 0' true \
			"$mode: runs: the calls fit in a few records"
		t_eq "$T_JSON" '.dropped + .events.ref_calls' \
			$((new + ref + unref)) "$mode: reference calls in records, alone or in runs"
		;;
	*)
		t_eq "$T_JSON" '.events.recorded == .events.capacity' true "$mode: the event area is full"
		t_eq "$T_JSON" '.dropped + .events.recorded' $((new + ref + unref)) \
			"$mode: reference events dropped + recorded"
		;;
	esac
}

for mode in alive tsd late alive.runs tsd.runs late.runs; do
	log="$T_TMP/$mode.log"
	span=0
	[ "${mode%.runs}" != "$mode" ] && span=1000
	if [ "${mode%.runs}" = late ]; then
		REFLIB_LATE_PAIRS=10 TALLY_RUN_SPAN=$span t_run_ok "$log" --log-size 1M \
			--rules "$RULES" -- "$PROG" late "$P"
	else
		TALLY_RUN_SPAN=$span t_run_ok "$log" --log-size 1M --rules "$RULES" -- \
			"$PROG" "${mode%.runs}" "$P"
	fi
	grep -qx done "$T_OUT" && t_pass || t_fail "$mode: the program did not finish: $(cat "$T_ERR")"
done
for runs in "" .runs; do
	# alive: main's pairs and the thread's 10; exit(0) leaves the object.
	check alive$runs 1 $((P + 10)) $((P + 10))
	# tsd: the thread's 10 and its key destructor's 10; main drops its object.
	check tsd$runs 1 $((P + 20)) $((P + 21))
	# late: main's pairs and final drop; libreflib's destructor: a new
	# object, 10 pairs, its drop.
	check late$runs 2 $((P + 10)) $((P + 12))
done
t_done
