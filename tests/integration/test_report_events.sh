#!/bin/bash
# tally report --events: the event records in claim order, one line each
# (analyzer/timeline.h).  On the example gateway with --bug: socket and
# bind lines with their ports; reference calls alone or in runs ("N x
# gw_publisher_ref ..."), whose calls add up to the rules' own counts;
# --json gives one valid object per record; a torn record is shown as
# such; bad usage is one error line.
. "$(dirname "$0")/lib.sh"

GW=$TOP/build/examples/gateway
if [ ! -x "$GW" ]; then
	make -s -C "$TOP" examples >/dev/null 2>&1 || t_fatal "cannot build the examples (make examples)"
fi
t_run_ok "$T_TMP/gw.log" --rules gateway -- "$GW" --bug --cycles 5 --packets 20
t_report "$T_TMP/gw.log" gw
J=$T_JSON
"$TALLY" report --events "$T_TMP/gw.log" >"$T_TMP/ev.txt" 2>"$T_TMP/ev.err"
t_rc $? 0 "report --events"
[ "$(wc -l <"$T_TMP/ev.txt")" = "$(jq '.events.recorded' "$J")" ] && t_pass ||
	t_fail "one line per record: $(wc -l <"$T_TMP/ev.txt") lines, $(jq '.events.recorded' "$J") records"
grep -q ' bind fd [0-9]* to port 20000   at udp_bind (ports.c:' "$T_TMP/ev.txt" && t_pass ||
	t_fail "no bind line for port 20000: $(grep -m1 bind "$T_TMP/ev.txt")"
grep -q ' socket inet dgram = fd [0-9]*   at ' "$T_TMP/ev.txt" && t_pass ||
	t_fail "no socket line: $(grep -m1 socket "$T_TMP/ev.txt")"
# The reference calls the lines hold, per rule: a run's count or 1.
for rule in gw_publisher_ref gw_publisher_unref gw_publisher_new; do
	lines=$(awk -v r="$rule" '
		$0 ~ (" [0-9]+ x " r " \\(") { for (i = 1; i <= NF; i++) if ($(i + 1) == "x" && $(i + 2) == r) { n += $i; break } ; next }
		$0 ~ ("#[0-9]+ +" r " \\(") { n++ }
		END { print n + 0 }' "$T_TMP/ev.txt")
	calls=$(jq --arg r "$rule" '.rules[] | select(.function == $r) | .calls' "$J")
	t_same "$lines" "$calls" "$rule: the calls the lines hold = the rule's calls"
done
grep -Eq ' [0-9]+ x gw_publisher_ref \(inc gw_publisher 0x[0-9a-f]+\) net [0-9]+, a run: calls from here' "$T_TMP/ev.txt" &&
	t_pass || t_fail "no run line: $(grep -m1 ' x gw_' "$T_TMP/ev.txt")"

"$TALLY" report --events --json "$T_TMP/gw.log" >"$T_TMP/ev.jsonl"
t_rc $? 0 "report --events --json"
t_same "$(jq -s 'length' "$T_TMP/ev.jsonl")" "$(jq '.events.recorded' "$J")" "--json: one object per record"
t_same "$(jq -s '[.[] | select(.run) | .run.calls] | add' "$T_TMP/ev.jsonl")" \
	"$(jq '.events.run_calls' "$J")" "--json: the runs' calls"
t_same "$(jq -s '[.[] | select(.kind == "bind") | .port] | min' "$T_TMP/ev.jsonl")" 20000 \
	"--json: the lowest port bound"
t_same "$(jq -s '[.[] | select(.kind == "bind" and .port == 20000)][0].where.function' \
	"$T_TMP/ev.jsonl")" \
	'"udp_bind"' "--json: where a bind was made"

# A record whose check word no longer matches: shown as torn, not read.
cp "$T_TMP/gw.log" "$T_TMP/torn.log"
t_prog fd_hdr_offsets
events_field=$("$T_BIN" | awk '$1 == "events_off" { print $2 }')
events_off=$(od -An -t u8 -j "$events_field" -N 8 "$T_TMP/torn.log" | tr -d ' ')
printf '\xff\xff\xff\xff' | dd of="$T_TMP/torn.log" bs=1 seek=$((events_off + 64 * 3 + 16)) conv=notrunc \
	2>/dev/null
"$TALLY" report --events "$T_TMP/torn.log" >"$T_TMP/torn.txt"
t_rc $? 0 "report --events on a torn record"
grep -q '#3 torn or unfinished record' "$T_TMP/torn.txt" && t_pass ||
	t_fail "record 3 not shown torn: $(sed -n 4p "$T_TMP/torn.txt")"

"$TALLY" report --events >"$T_TMP/u.out" 2>"$T_TMP/u.err"
t_rc $? 2 "report --events without a log"
[ "$(wc -l <"$T_TMP/u.err")" = 1 ] && t_pass || t_fail "bad usage: not one line: $(cat "$T_TMP/u.err")"
t_done
