#!/bin/bash
# Reference functions hooked while other threads are calling them
# (tests/progs/ref_race): the library libgotquiet.so is loaded under a name
# tally does not wrap, so it is not hooked yet; three threads take and
# give back references through gq_cycle (gq_ref, gq_unref through the
# library's own PLT) without pause; then the program dlopens another
# library by its path and tally's rescan hooks gq_ref and gq_unref under
# the running threads — at their entries (default) or in the GOT slots the
# threads jump through (TALLY_HOOK=got), with the library loaded
# RTLD_GLOBAL or RTLD_LOCAL.  Each combination three times.  Checked: the
# program neither crashes nor miscounts (it prints "count 1", "cycles
# many" as without tally), stderr has only the two start-up lines of
# rules whose library is not loaded yet, and the hooks took: the library's
# calls are booked from then on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

t_prog ref_race
RACE=$T_BIN
LOUD=$TOP/build/progs/libgotlib.so
RULES='q: gq_ref = inc; q: gq_unref = dec'
printf '%s\n' "count 1" "cycles many" >"$T_TMP/want.out"

out=$(timeout -k 5 "$LIMIT" "$RACE" "$LOUD" 2>&1)
t_rc $? 0 "ref_race without tally"
t_same "$out" "$(cat "$T_TMP/want.out")" "ref_race without tally: output"

for hook in entry got; do
	for scope in RTLD_GLOBAL RTLD_LOCAL; do
		for run in 1 2 3; do
			what="$hook, $scope, run $run"
			log=$T_TMP/race.$hook.$scope.$run.log
			timeout -k 5 "$LIMIT" env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$log" \
				TALLY_HOOK=$hook TALLY_RULES="$RULES" "$RACE" "$LOUD" $scope \
				>"$T_TMP/race.out" 2>"$T_TMP/race.err"
			rc=$?
			t_status $rc "$what: ref_race under tally"
			[ $rc -eq 0 ] || continue   # (139: SIGSEGV) the rest would only repeat it
			t_same_file "$T_TMP/race.out" "$T_TMP/want.out" "$what: output"
			printf '%s\n' "tally: rule gq_ref (inc): no such function in the process (yet)" \
				"tally: rule gq_unref (dec): no such function in the process (yet)" >"$T_TMP/want.err"
			t_same_file "$T_TMP/race.err" "$T_TMP/want.err" "$what: stderr"
			[ -f "$log" ] || { t_fail "$what: no log"; continue; }
			r_dump "$log" "race.$hook.$scope.$run"
			for fn in gq_ref gq_unref; do
				if [ $hook = entry ]; then
					t_same "$(r_rule "$D" $fn entries)/$(r_rule "$D" $fn got_sites)" 1/0 \
						"$what: $fn entries/GOT sites"
				else
					t_same "$(r_rule "$D" $fn entries)/$(r_rule "$D" $fn got_sites)" 0/1 \
						"$what: $fn entries/GOT sites (the library's own PLT slot)"
				fi
				calls=$(r_rule "$D" $fn calls)
				[ "${calls:-0}" -gt 0 ] && t_pass || t_fail "$what: $fn saw no call once hooked"
			done
		done
	done
done

t_done
