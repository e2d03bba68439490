#!/bin/bash
# The example gateway's publishers through their exported ref functions
# (issue part 2, §6): with --bug the verdict names relay_packet_take_refs and
# the line of the extra reference (examples/relay.c, the "BUG (--bug)" line),
# the 5 leaked publishers and the 10 sockets they hold; without --bug nothing
# is alive at the end and there is no verdict.  Both hook modes, --check,
# and the coverage lines tally run prints at start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/refdump.sh"

GW=$TOP/build/examples/gateway
if [ ! -x "$GW" ]; then
	make -s -C "$TOP" examples >/dev/null 2>&1 || t_fatal "cannot build the examples (make examples)"
fi
BUG_LINE=$(grep -n 'BUG (--bug)' "$TOP/examples/relay.c" | cut -d: -f1)
[ -n "$BUG_LINE" ] || t_fatal "no BUG (--bug) line in examples/relay.c"
OK_LINE=$(grep -n 'dropped in relay_hand_on' "$TOP/examples/relay.c" | cut -d: -f1)

for hook in entry got; do
	# ---- --bug ------------------------------------------------------------
	t_run_ok "$T_TMP/bug-$hook.log" --rules gateway --hook "$hook" -- "$GW" --bug --cycles 5 --packets 20
	n=$(grep -c "^tally: rule gw_publisher_.*: $([ $hook = entry ] && echo '1 entry, 0 GOT sites' || echo '0 entries, 1 GOT site')\$" "$T_ERR")
	t_same "$n" 3 "$hook: coverage lines at start, one per rule of the gateway preset"
	grep -q "^in short, the leak:" "$T_OUT" && t_pass || t_fail "$hook: the text report does not end with the leak"
	tail -n 2 "$T_OUT" | grep -q "ports 20000-20009" && t_pass ||
		t_fail "$hook: the last line does not name ports 20000-20009: $(tail -n 1 "$T_OUT")"
	t_report "$T_TMP/bug-$hook.log" "bug-$hook"
	J=$T_JSON
	# Through the GOT only, a library's calls to its own functions are not
	# seen: the books cannot be called complete.
	complete=$([ $hook = entry ] && echo true || echo false)
	t_eq "$J" '[.objects.types[] | [.type, .created, .freed, .live, .complete]]' \
		"[[\"gw_publisher\",5,0,5,$complete]]" "$hook: types [type, created, freed, live, complete]"
	t_eq "$J" '.objects.owner_policy' '"all references count"' "$hook: owner policy at a normal exit"
	# The first verdict: the function of the per-packet references, its two
	# ref lines as candidates (the data cannot tell which one is extra), one
	# of them the BUG line, in all 5 leaked publishers, +20 packets each.
	t_eq "$J" '[.verdicts[0] | .type, .function, .objects, .of, .net, .candidates]' \
		'["gw_publisher","relay_packet_take_refs",5,5,100,2]' \
		"$hook: top verdict [type, function, objects, of, net, candidates]"
	t_eq "$J" "[.verdicts[] | select(.function == \"relay_packet_take_refs\") | .file + \":\" + (.line|tostring)] | sort" \
		"[\"examples/relay.c:$OK_LINE\",\"examples/relay.c:$BUG_LINE\"]" \
		"$hook: candidate lines of relay_packet_take_refs (the BUG line among them)"
	r_json_verdicts_consistent "$J" "$hook"
	# Nothing else is a leak: room_add's second reference (taken for the
	# receive thread in relay_start) is given back by that thread at its
	# end: a hand-over, listed apart.
	t_eq "$J" '[.verdicts[] | .function] | unique' '["relay_packet_take_refs"]' \
		"$hook: no other verdict"
	t_eq "$J" '[.handovers[] | [.within, .handed_to, .net, .elsewhere]] | unique' \
		'[["room_add","relay_thread",5,5]]' "$hook: room_add's reference for the thread: handed over"
	t_eq "$J" '[.objects.types[0].groups[0].sockets[].ports[]] | length' 10 \
		"$hook: sockets probably held by the leaked publishers: 10 ports"
	t_eq "$J" '[.objects.types[0].groups[0].sockets[].ports[] | tostring] | sort' \
		'["20000","20001","20002","20003","20004","20005","20006","20007","20008","20009"]' \
		"$hook: their ports"
	t_eq "$J" '[.violations[]] | length' 0 "$hook: no violation"
	t_eq "$J" '[.rules[] | [.function, .found, .calls > 0]]' \
		'[["gw_publisher_new",true,true],["gw_publisher_ref",true,true],["gw_publisher_unref",true,true]]' \
		"$hook: rules [function, found, called]"

	# ---- without --bug ------------------------------------------------------
	t_run_ok "$T_TMP/ok-$hook.log" --check --rules gateway --hook "$hook" -- "$GW" --cycles 5 --packets 20
	t_report "$T_TMP/ok-$hook.log" "ok-$hook"
	J=$T_JSON
	t_eq "$J" '[.objects.types[] | [.type, .created, .freed, .live]]' '[["gw_publisher",5,5,0]]' \
		"$hook: no --bug: [type, created, freed, live]"
	t_eq "$J" '.verdicts' '[]' "$hook: no --bug: no verdict"
	grep -q "^in short" "$T_OUT" && t_fail "$hook: no --bug, yet the report names a leak" || t_pass
done

# --check fails on the leak (sockets and objects).
t_run "$T_TMP/check.log" --check --rules gateway -- "$GW" --bug --cycles 2 --packets 5
t_rc "$T_RC" 1 "tally run --check on gateway --bug"
# One line with every reason: the 2 cycles' publishers, each holding its
# RTP and RTCP ports.
grep -qx "tally: check failed: 4 sockets left open, 2 objects leaked" "$T_ERR" && t_pass ||
	t_fail "--check: no 'check failed' line naming sockets and objects: $(grep tally: "$T_ERR")"

# Stacks cut short by a small --depth: the report says so next to the
# verdicts, as its outer frames are missing; at the default depth none is.
t_run "$T_TMP/cut.log" --depth 3 --rules gateway -- "$GW" --bug --cycles 2 --packets 5
grep -q "held by live objects have stacks that reached TALLY_DEPTH=3: their outermost frames are missing" "$T_OUT" &&
	t_pass || t_fail "--depth 3: no word of stacks cut short"
t_report "$T_TMP/check.log"
t_eq "$T_JSON" '.objects.cut_cells' 0 "default depth: no stack cut short"

# The same gateway as a child of a wrapper script that exits 0: its leaked
# objects fail --check as the main process's would.
t_run "$T_TMP/wrap.log" --check --rules gateway -- sh -c "'$GW' --bug --cycles 2 --packets 5; exit 0"
t_rc "$T_RC" 1 "tally run --check on a script running gateway --bug"
grep -qx "tally: check failed: 4 sockets left open (4 by child processes), 2 objects leaked (2 by child processes)" \
	"$T_ERR" && t_pass || t_fail "--check of a script: $(grep 'tally:' "$T_ERR")"
grep -q "^tally: pid [0-9]* (.*gateway) leaked 2 objects, 0 certain violations: tally report " "$T_ERR" &&
	t_pass || t_fail "--check of a script: no line for the gateway's objects: $(grep 'tally:' "$T_ERR")"

# The log of a gateway still running (--hold waits on stdin): the same
# verdict, worded as references held now, not yet a leak.
mkfifo "$T_TMP/hold.in"
"$TALLY" run --rules gateway --log "$T_TMP/live.log" -- "$GW" --bug --cycles 2 --packets 5 --hold \
	<"$T_TMP/hold.in" >"$T_TMP/live.out" 2>&1 &
HOLD_PID=$!
exec 9>"$T_TMP/hold.in"
if t_wait_file "$T_TMP/live.out" '^gateway: holding' 10; then
	"$TALLY" report "$T_TMP/live.log" >"$T_TMP/live.txt" 2>&1
	grep -q "^in short, the leak if these are never given back (the process is still running):" \
		"$T_TMP/live.txt" && t_pass || t_fail "live report: $(grep -A2 '^in short' "$T_TMP/live.txt")"
	grep -q "^reference counts: 2 objects alive now" "$T_TMP/live.txt" && t_pass ||
		t_fail "live report: $(grep '^reference counts' "$T_TMP/live.txt")"
else
	t_fail "gateway --hold never held: $(cat "$T_TMP/live.out")"
fi
echo >&9
exec 9>&-
wait "$HOLD_PID"

# A rule that cannot be parsed gives one warning line (the shim's, as
# for TALLY_RULES); the other rules and the program carry on.
t_run "$T_TMP/bad.log" --rules 'gw_publisher_ref = incc; gateway' -- "$GW" --cycles 1
t_rc "$T_RC" 0 "tally run with a bad rule among good ones"
t_same "$(grep -c 'incc' "$T_ERR")" 1 "a bad rule gives one line on stderr"
grep -q 'ignoring rule "gw_publisher_ref = incc": unknown role' "$T_ERR" && t_pass ||
	t_fail "bad rule message: $(grep incc "$T_ERR")"
grep -q '^tally: rule gw_publisher_ref (inc, gw_publisher): ' "$T_ERR" && t_pass ||
	t_fail "the gateway preset did not apply beside the bad rule"
# A rules file that is not there stops it: one line, exit 2, no log.
t_run "$T_TMP/nofile.log" --rules-file "$T_TMP/no-such-rules" -- "$GW" --cycles 1
t_rc "$T_RC" 2 "tally run with a missing rules file"
t_same "$(wc -l <"$T_ERR")" 1 "a missing rules file gives one line on stderr"
[ -e "$T_TMP/nofile.log" ] && t_fail "a log was made although the rules file is missing" || t_pass

t_done
