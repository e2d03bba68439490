#!/bin/bash
# bench/janus_relay.sh — what tally costs the real gateway of the case: the
# CPU time Debian's Janus (1.1.x) spends per RTP packet its VideoRoom
# remote publisher receives, without tally and under the shim with the
# rules tests/janus/test_janus.sh uses ("gobject; glib").  Run by
# bench/run.sh (section 8); alone: bench/janus_relay.sh [OUTFILE].
#
# Per round and configuration: start Janus on loopback, create a room and a
# remote publisher (as a cascade's other gateway would), measure the CPU of
# all Janus threads (/proc/PID/task/*/schedstat, ns) over an idle window
# and over a window in which build/bench/rtpblast sends PACKETS packets at
# RATE per second to the publisher's RTP port; CPU per packet = (blast -
# idle) / PACKETS.  Rounds alternate without / with.  Under the shim it
# also reads the live log (tally report --json) before and after the blast:
# the reference calls its rules saw per packet.  Prints per round
# "bare NS tally NS calls PER-PACKET" to OUTFILE (or stdout).
#
# Knobs: BENCH_JANUS_ROUNDS (5), BENCH_JANUS_PACKETS (60000),
# BENCH_JANUS_RATE (30000 per second).
set -u
cd "$(dirname "$0")/.."
JANUS_DEBUG_LEVEL=${JANUS_DEBUG_LEVEL:-2}   # no per-request info lines
. tests/janus/lib.sh

ROUNDS=${BENCH_JANUS_ROUNDS:-5}
PACKETS=${BENCH_JANUS_PACKETS:-60000}
RATE=${BENCH_JANUS_RATE:-30000}
LIB=$PWD/build/libtally.so
BLAST=build/bench/rtpblast
OUT=${1:-/dev/stdout}

jt_have_tools || { echo "janus_relay: Janus, curl or jq missing (make deps-test installs them)" >&2; exit 2; }
[ -x "$BLAST" ] && [ -e "$LIB" ] || { echo "janus_relay: build first (make bench)" >&2; exit 2; }

TMP=$(mktemp -d /dev/shm/tally-janus.XXXXXX) || exit 1
JPID=""
cleanup() {
	if [ -n "$JPID" ]; then jt_stop_pid "$JPID" 10; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Reference calls the rules saw so far, from the live log.
rule_calls() {
	build/tally report --json "$TMP"/janus.[0-9]* 2>/dev/null | jq '[.rules[].calls] | add // 0'
}

# CPU time of all of PID's threads, ns (threads that exit meanwhile are
# not counted: the windows below start and stop no thread).
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# one_run bare|tally: prints Janus's CPU ns per packet of one blast, and
# (tally) the reference calls per packet.
one_run() {
	local mode=$1 try idle0 idle1 c0 c1 secs k0=0 k1=0
	for try in 1 2 3; do
		JT_PORT=$(jt_pick_port) || return 1
		jt_render_conf "$TMP/conf" "$JT_PORT" || return 1
		jt_janus_argv "$TMP/conf"
		if [ "$mode" = tally ]; then
			env LD_PRELOAD="$LIB" TALLY_LOG="$TMP/janus.%p" TALLY_RULES="gobject; glib" \
				"${JT_JANUS_ARGV[@]}" > "$TMP/janus.out" 2>&1 < /dev/null &
		else
			"${JT_JANUS_ARGV[@]}" > "$TMP/janus.out" 2>&1 < /dev/null &
		fi
		JPID=$!
		jt_wait_http "$JT_PORT" 30 "$JPID" 2>/dev/null && break
		jt_stop_pid "$JPID" 5
		JPID=""
	done
	[ -n "$JPID" ] || { echo "janus_relay: Janus did not start" >&2; return 1; }
	jt_session >/dev/null 2>&1 && jt_create_room >/dev/null 2>&1 &&
		jt_add_remote 9001 >/dev/null 2>&1 ||
		{ echo "janus_relay: could not add a remote publisher" >&2; return 1; }
	# Warm-up: the receive thread's first packets (and the shim's first
	# stacks) are not what a running gateway pays.
	"$BLAST" "$JT_RTP_PORT" 2000 "$RATE" >/dev/null || return 1
	sleep 0.3
	secs=$(awk -v n="$PACKETS" -v r="$RATE" 'BEGIN { printf "%.3f", n / r }')
	idle0=$(cpu_ns "$JPID")
	sleep "$secs"
	idle1=$(cpu_ns "$JPID")
	if [ "$mode" = tally ]; then k0=$(rule_calls) || return 1; fi
	c0=$(cpu_ns "$JPID")
	"$BLAST" "$JT_RTP_PORT" "$PACKETS" "$RATE" >/dev/null || return 1
	sleep 0.2     # the last packets drain
	c1=$(cpu_ns "$JPID")
	if [ "$mode" = tally ]; then k1=$(rule_calls) || return 1; fi
	jt_stop_pid "$JPID" 10
	JPID=""
	rm -f "$TMP"/janus.[0-9]*
	awk -v b="$((c1 - c0))" -v i="$((idle1 - idle0))" -v n="$PACKETS" -v s="$secs" \
	    -v k="$((k1 - k0))" 'BEGIN {
		# the idle window is as long as the blast; the blast ran 0.2 s more
		printf "%.0f %.4f\n", (b - i * (s + 0.2) / s) / n, k / n }'
}

for ((round = 1; round <= ROUNDS; round++)); do
	read -r b _ < <(one_run bare) || exit 1
	read -r t k < <(one_run tally) || exit 1
	echo "bare $b tally $t calls $k" >>"$OUT"
done
