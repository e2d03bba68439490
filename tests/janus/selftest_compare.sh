#!/usr/bin/env bash
# tests/janus/selftest_compare.sh - known-answer tests for the comparison
# functions test_janus.sh applies to `tally report --json` (lib.sh:
# jt_check_report and helpers).  Offline: hand-written report and kernel
# snapshots in tests/janus/sample/, then mutated copies that must fail.
# Needs bash and jq only.  Ends with "N passed, M failed".
set -u
JT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$JT_DIR/lib.sh"
S=$JT_DIR/sample
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-janus-selftest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

PASSED=0 FAILED=0
ok()  { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

RTP_PORTS=(10000 10001 10002 10003 10004 10005)
CONTROL_PORTS=(10000 10001 10001 10002 10002 10003)

# run_checks JSON SNAP MODE PORTS... -> sets C_PASS C_FAIL, output in $TMP/last
run_checks() {
	( JT_PASSED=0 JT_FAILED=0; jt_check_report "$@"
	  echo "COUNTS $JT_PASSED $JT_FAILED" ) > "$TMP/last" 2>&1
	read -r _ C_PASS C_FAIL < <(grep '^COUNTS' "$TMP/last")
}

# expect_clean NAME JSON SNAP MODE PORTS...
expect_clean() {
	local name=$1; shift
	run_checks "$@"
	if [ "${C_FAIL:-1}" = 0 ] && [ "${C_PASS:-0}" -gt 0 ]; then
		ok "$name: all $C_PASS checks pass"
	else
		bad "$name: expected no failure"; sed 's/^/    | /' "$TMP/last"
	fi
}

# expect_fail NAME PATTERN JSON SNAP MODE PORTS...: some FAIL line matches PATTERN
expect_fail() {
	local name=$1 pat=$2; shift 2
	run_checks "$@"
	if grep -q "^FAIL: .*$pat" "$TMP/last"; then
		ok "$name: caught ($(grep -c '^FAIL' "$TMP/last") failing checks)"
	else
		bad "$name: expected a FAIL matching '$pat'"; sed 's/^/    | /' "$TMP/last"
	fi
}

# mutate NAME JQ-FILTER [SRC]: writes $TMP/NAME.json
mutate() { jq "$2" "${3:-$S/report_rtp.json}" > "$TMP/$1.json"; }

# --- port list expansion
echo '{"ports":[1,"3-5","7",9]}' > "$TMP/p.json"
got=$(jq -r "$JT_JQ_DEFS"'ports | map(tostring) | join(" ")' "$TMP/p.json")
[ "$got" = "1 3 4 5 7 9" ] && ok "ports expansion: [1,\"3-5\",\"7\",9] -> $got" || bad "ports expansion gave '$got'"
echo '{"ports":["x-y"]}' > "$TMP/p.json"
jq -r "$JT_JQ_DEFS"'ports' "$TMP/p.json" >/dev/null 2>&1 && bad "bad port entry accepted" || ok "bad port entry rejected"

# --- module matcher
for m in /usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so \
         /usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so.1.1.2 libjanus_videoroom.so.1; do
	jq -e -n --arg m "$m" "$JT_JQ_DEFS"'{module: $m} | vr_frame' >/dev/null &&
		ok "videoroom module matched: $m" || bad "videoroom module not matched: $m"
done
for m in /usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so.bak /usr/bin/janus \
         /usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroomX.so ""; do
	jq -e -n --arg m "$m" "$JT_JQ_DEFS"'{module: $m} | vr_frame' >/dev/null &&
		bad "wrong module matched: '$m'" || ok "other module not matched: '$m'"
done
jq -e -n "$JT_JQ_DEFS"'{module: null} | vr_frame | not' >/dev/null && ok "null module not matched" || bad "null module"

# --- the hand-written samples pass
expect_clean "rtp sample" "$S/report_rtp.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
expect_clean "control sample" "$S/report_control.json" "$S/snap_control" control "${CONTROL_PORTS[@]}"

# --- each lie is caught
mutate noport '.sockets.groups[1].ports = [10001, 10003] | .sockets.groups[1].open = 2 | .sockets.open = 8'
expect_fail "a leaked port missing" "ports in report ==" "$TMP/noport.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate extraport '.sockets.groups[0].ports = [10000, 10002, "10004-10006"]'
expect_fail "a range with one port too many" "ports in report ==" "$TMP/extraport.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate count '.sockets.open = 10'
expect_fail "sockets.open off by one" "sockets.open" "$TMP/count.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate dgramcount '.sockets.groups[1].open = 4'
expect_fail "dgram open count off by one" "open inet dgram sockets" "$TMP/dgramcount.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate nostack '.sockets.groups |= map(.stack |= map(.module = "/usr/bin/janus"))'
expect_fail "no videoroom frame" "libjanus_videoroom.so frame" "$TMP/nostack.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate halfstack '.sockets.groups[1].stack |= map(.module = "/usr/bin/janus")'
expect_fail "RTCP group without videoroom frame" "videoroom group ports" "$TMP/halfstack.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate notrunning '.process.running = false'
expect_fail "process.running false" "process.running" "$TMP/notrunning.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate badformat '.format = "other"'
expect_fail "wrong format tag" "tally-report v1" "$TMP/badformat.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
mutate v6 '.sockets.groups[0].family = "inet6"'
expect_fail "family inet6 instead of inet" "inet dgram ports" "$TMP/v6.json" "$S/snap_rtp" rtp "${RTP_PORTS[@]}"
for f in count fds; do cp "$S/snap_rtp.$f" "$TMP/snapx.$f"; done
{ cat "$S/snap_rtp.ss"; echo 5353; } | sort -n > "$TMP/snapx.ss"
{ cat "$S/snap_rtp.udp"; echo "9999 udp6 00000000000000000000000000000000 5353"; } > "$TMP/snapx.udp"
expect_fail "an IPv6 UDP socket tally missed" "inet6 dgram ports" "$S/report_rtp.json" "$TMP/snapx" rtp "${RTP_PORTS[@]}"
# the fd numbers themselves, and the ports as ss shows them
for f in udp count ss; do cp "$S/snap_rtp.$f" "$TMP/snapfd.$f"; done
{ cat "$S/snap_rtp.fds"; echo 30; } | sort -n > "$TMP/snapfd.fds"
expect_fail "a socket fd tally missed" "socket fds in report" "$S/report_rtp.json" "$TMP/snapfd" rtp "${RTP_PORTS[@]}"
for f in udp count fds; do cp "$S/snap_rtp.$f" "$TMP/snapss.$f"; done
{ cat "$S/snap_rtp.ss"; echo 20000; } > "$TMP/snapss.ss"
expect_fail "a UDP port ss shows that tally missed" "ss shows" "$S/report_rtp.json" "$TMP/snapss" rtp "${RTP_PORTS[@]}"
expect_fail "rtp report where nothing may leak" "no open dgram socket in report on a returned port" \
	"$S/report_rtp.json" "$S/snap_rtp" control "${RTP_PORTS[@]}"
expect_fail "kernel says leaked, control mode" "kernel: janus holds none" \
	"$S/report_control.json" "$S/snap_rtp" control "${CONTROL_PORTS[@]}"
expect_fail "returned ports not bound any more (rtp)" "still holds every returned port" \
	"$S/report_control.json" "$S/snap_control" rtp "${RTP_PORTS[@]}"
mutate ctlclosed '.sockets.closed = 2' "$S/report_control.json"
expect_fail "control: closes not seen" "sockets.closed >=" "$TMP/ctlclosed.json" "$S/snap_control" control "${CONTROL_PORTS[@]}"

mutate sites '.sockets.sites = [.sockets.groups[0] | .open = 1 | .closed = 2]' "$S/report_control.json"
expect_fail "control: a videoroom site still open (sites)" "sites hold none open" "$TMP/sites.json" "$S/snap_control" control "${CONTROL_PORTS[@]}"
mutate sitesok '.sockets.sites = [.sockets.groups[0], .sockets.groups[1]]' "$S/report_control.json"
expect_clean "control sample with sites" "$TMP/sitesok.json" "$S/snap_control" control "${CONTROL_PORTS[@]}"

# --- snapshot parser on this very shell (no socket expected to be UDP)
exec {u}>/dev/udp/127.0.0.1/9
snapline=$(jt_proc_udp $$ | awk '{print $2, $4}')
exec {u}>&-
[ -n "$snapline" ] && [ "${snapline%% *}" = udp ] &&
	ok "jt_proc_udp sees this shell's UDP socket ($snapline)" || bad "jt_proc_udp saw '$snapline'"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
