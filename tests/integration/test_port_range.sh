#!/bin/bash
# --port-range: how much of the program's port range the open sockets hold
# and when, at the rate they were taken, it runs out (the error-499 case).
# The example gateway with --bug leaks RTP+RTCP of each removed publisher.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }
expect() { # expect DESCRIPTION JQ-FILTER WANTED
	local got
	got=$(jq -c "$2" "$tmp/r.json")
	[ "$got" = "$3" ] || fail "$1: expected $3, got $got"
}

"$TALLY" run --json --port-range 20000-20099 --log "$tmp/gw.log" -- \
	"$TOP/build/examples/gateway" --bug --cycles 5 --packets 20 \
	>"$tmp/out" 2>"$tmp/err" || fail "tally run exited $?: $(tail -3 "$tmp/err")"
tail -n 1 "$tmp/out" >"$tmp/r.json"
expect "range" '.port_range | [.lo, .hi, .protocol, .size, .held]' '[20000,20099,"udp",100,10]'
expect "rate known" '.port_range | (.per_hour > 0) and (.hours_to_exhaustion > 0)' 'true'
# 90 free ports at the measured rate: hours_to_exhaustion * per_hour == 90.
expect "time left = free ports / rate" \
	'.port_range | (.hours_to_exhaustion * .per_hour - 90 | fabs) < 0.5' 'true'

# The same ports counted as TCP: none (separate port numbers).
"$TALLY" report --json --port-range 20000-20099/tcp "$tmp/gw.log" >"$tmp/r.json" ||
	fail "report exited $?"
expect "tcp range" '.port_range | [.protocol, .held]' '["tcp",0]'

# Nothing bound in the range: no rate can be given.
"$TALLY" report --json --port-range 30000-30009 "$tmp/gw.log" >"$tmp/r.json" ||
	fail "report exited $?"
expect "empty range" '.port_range | [.held, .per_hour, .hours_to_exhaustion]' '[0,null,null]'

# The text report says it in words.
"$TALLY" report --port-range 20000-20099 "$tmp/gw.log" >"$tmp/r.txt" || fail "text report"
grep -q "^UDP port range 20000-20099: open sockets hold 10 of its 100 ports" "$tmp/r.txt" ||
	fail "text: $(grep -m1 'port range' "$tmp/r.txt")"
grep -q "at that rate the range is used up in" "$tmp/r.txt" || fail "text: no time left"

# Bad ranges: one line on stderr, exit 2.
for bad in 0-5 5-3 1-65536 abc 10-20x 10-20/sctp; do
	"$TALLY" report --port-range "$bad" "$tmp/gw.log" >/dev/null 2>"$tmp/e"
	rc=$?
	[ $rc -eq 2 ] || fail "--port-range $bad: exit $rc, expected 2"
	[ "$(wc -l <"$tmp/e")" -eq 1 ] || fail "--port-range $bad: $(wc -l <"$tmp/e") lines on stderr"
done
# Ports, not fds; the rate over the whole time, quiet second included; a
# full range is exhausted, not "used up in 0 seconds".
make -s -C "$TOP" build/progs/fd_ports >/dev/null || fail "build fd_ports"
"$TALLY" run --log "$tmp/p.log" -- "$TOP/build/progs/fd_ports" 31000 >/dev/null 2>"$tmp/err" ||
	fail "fd_ports: $(tail -2 "$tmp/err")"
"$TALLY" report --json --port-range 31000-31009 "$tmp/p.log" >"$tmp/r.json" || fail "report"
expect "distinct ports" '.port_range.held' '4'
expect "6 fds open" '.sockets.open' '6'
# 4 ports over >= 1.2 s: at most 12000 an hour; the burst alone would say
# millions.
expect "rate over the whole time" '.port_range.per_hour < 12001 and .port_range.per_hour > 1000' 'true'
"$TALLY" report --json --port-range 31000-31003 "$tmp/p.log" >"$tmp/r.json" || fail "report"
expect "full range" '.port_range | [.held, .size, .hours_to_exhaustion]' '[4,4,0]'
"$TALLY" report --port-range 31000-31003 "$tmp/p.log" >"$tmp/r.txt" || fail "text report"
grep -q "hold 4 of its 4 ports: none is left (exhausted)" "$tmp/r.txt" ||
	fail "text: $(grep -m1 'port range' "$tmp/r.txt")"

[ $failed -eq 0 ] && echo "PASS: port range budget"
exit $failed
