#!/usr/bin/env bash
# tests/janus/fake_tally.sh - a TEST DOUBLE of the tally CLI, only to check the
# plumbing of test_janus.sh (process finding, signal forwarding, timeouts,
# report comparison) before the real tally exists.  It records nothing: its
# "report" mirrors what the kernel shows in /proc/PID right now, and puts a
# fake libjanus_videoroom.so stack on UDP sockets bound to 10000-60000.
# It cannot know past sockets: sockets.created/closed are placeholders
# (open + 1000 / 1000).  So it passes by construction, unless FAKE_TALLY_LIE:
#   FAKE_TALLY_LIE=port    drop the highest UDP port from the groups
#   FAKE_TALLY_LIE=count   sockets.open off by one
#   FAKE_TALLY_LIE=stack   no videoroom frame in any stack
#   FAKE_TALLY_LIE=running process.running false while it runs
# usage: fake_tally.sh run --log FILE -- CMD...
#        fake_tally.sh report --json FILE
set -u
JT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$JT_DIR/lib.sh"

cmd_run() {
	local log="" child st
	while [ $# -gt 0 ]; do
		case $1 in
		--log) log=$2; shift 2 ;;
		--) shift; break ;;
		*) echo "fake_tally: bad arg $1" >&2; exit 2 ;;
		esac
	done
	[ -n "$log" ] || { echo "fake_tally: --log needed" >&2; exit 2; }
	"$@" &
	child=$!
	echo "pid=$child exe=$(readlink -f "/proc/$child/exe" 2>/dev/null || echo "$1")" > "$log"
	trap 'kill -INT $child 2>/dev/null' INT
	trap 'kill -TERM $child 2>/dev/null' TERM
	while kill -0 "$child" 2>/dev/null; do
		wait "$child"; st=$?
	done
	echo "exit=$st" >> "$log"
	echo "fake tally: process $child exited with status $st"
	exit "$st"
}

# /proc/PID/net/<proto> rows of PID's sockets as "inode family type port".
sock_table() {
	local pid=$1 f fam typ
	for f in udp:inet:dgram udp6:inet6:dgram tcp:inet:stream tcp6:inet6:stream raw:inet:raw raw6:inet6:raw; do
		IFS=: read -r p fam typ <<<"$f"
		[ -r "/proc/$pid/net/$p" ] || continue
		awk -v F="$fam" -v T="$typ" "$JT_AWK_HEX"'NR>1 { split($2, a, ":"); print $10, F, T, hex(a[2]) }' "/proc/$pid/net/$p"
	done
	[ -r "/proc/$pid/net/unix" ] && awk 'NR>1 { print $7, "unix", "stream", 0 }' "/proc/$pid/net/unix"
}

cmd_report() {
	[ "${1:-}" = --json ] && shift
	local log=$1 pid running=true
	pid=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$log")
	[ -n "$pid" ] || { echo "fake_tally: no pid in $log" >&2; exit 1; }
	jt_alive "$pid" && ! grep -q '^exit=' "$log" || running=false
	local inodes rows
	inodes=$(jt_proc_socket_fds "$pid" | awk '{print $2}' | sort -u)
	rows=$(sock_table "$pid" | awk -v I=" $(echo $inodes) " 'index(I, " " $1 " ")')
	# sockets we could not classify (netlink...): family "other"
	local known n_other
	known=$(awk '{print $1}' <<<"$rows" | sort -u)
	n_other=$(comm -23 <(echo "$inodes" | grep .) <(echo "$known" | grep .) | wc -l)
	[ "$running" = true ] || { rows=""; n_other=0; }
	jq -n --arg rows "$rows" --argjson other "$n_other" --argjson pid "$pid" \
	      --argjson running "$running" --arg lie "${FAKE_TALLY_LIE:-}" '
		def vr: (.family == "inet" and .type == "dgram" and .port >= 10000 and .port <= 60000);
		[ $rows | split("\n")[] | select(length > 0) | split(" ") |
		  {inode: .[0], family: .[1], type: .[2], port: (.[3] | tonumber)} ] as $s
		| ($s | map(select(vr)) | map(.port) | sort) as $vrp
		| (if $lie == "port" then $vrp[:-1] else $vrp end) as $vrp
		| [ ( if ($vrp | length) > 0 then
		        {open: ($vrp | length), created: ($vrp | length), closed: 0,
		         family: "inet", type: "dgram", ports: $vrp,
		         first: "1970-01-01T00:00:00Z", last: "1970-01-01T00:00:00Z",
		         stack: [ {function: null, file: null, line: null,
		                   module: (if $lie == "stack" then "/usr/bin/janus"
		                            else "/usr/lib/x86_64-linux-gnu/janus/plugins/libjanus_videoroom.so.1.1.2" end),
		                   offset: "0x123e2"},
		                  {function: "janus_process_incoming_request", file: null, line: null,
		                   module: "/usr/bin/janus", offset: "0x599db"} ]}
		      else empty end ),
		    ( $s | map(select(vr | not)) | group_by([.family, .type])[] |
		      {open: length, created: length, closed: 0, family: .[0].family, type: .[0].type,
		       ports: (map(.port) | unique),
		       first: "1970-01-01T00:00:00Z", last: "1970-01-01T00:00:00Z",
		       stack: [ {function: "main", file: null, line: null, module: "/usr/bin/janus", offset: "0x1000"} ]} ),
		    ( if $other > 0 then {open: $other, created: $other, closed: 0, family: "other", type: "other",
		       ports: [], first: "", last: "", stack: []} else empty end )
		  ] as $groups
		| ($groups | map(.open) | add // 0) as $open
		| {format: "tally-report", version: 1,
		   process: {pid: $pid, exe: "janus", running: (if $lie == "running" then false else $running end)},
		   sockets: {created: ($open + 1000), closed: 1000,
		             open: (if $lie == "count" then $open + 1 else $open end), groups: $groups},
		   failures: [], anomalies: [], dropped: 0}'
}

case ${1:-} in
run) shift; cmd_run "$@" ;;
report) shift; cmd_report "$@" ;;
*) echo "usage: $0 run --log FILE -- CMD... | report --json FILE" >&2; exit 2 ;;
esac
