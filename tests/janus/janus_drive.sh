#!/usr/bin/env bash
# tests/janus/janus_drive.sh - run the real Janus (HTTP transport + VideoRoom
# only, loopback only) and replay the remote-publisher leak of CASE.md:
#   add_remote_publisher -> [K RTP packets] -> listparticipants until present
#   -> remove_remote_publisher -> listparticipants until absent,  C times,
# then report the UDP sockets Janus still holds.  No tally involved.
#
# usage: janus_drive.sh [-m rtp|control] [-c CYCLES] [-k PACKETS]
#                       [-s SETTLE_SECS] [-H HOLD_SECS] [-a] [-v]
#   -m  rtp (default): send K RTP packets to each publisher; control: none
#   -c  cycles (default 5)        -k  packets per publisher (default 10)
#   -s  after the cycles, wait up to this long for the returned ports to be
#       released (default 3)
#   -H  keep Janus running this many seconds after the report (default 0,
#       max 3600); Janus is always stopped when the script exits
#   -a  audio (opus) stream instead of video (vp8)
#   -v  verbose
# Exit status: 0 if the run completed; the last stdout line is
#   RESULT mode=M cycles=C returned_ports=N still_bound=B pipes=P
set -u
JT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$JT_DIR/lib.sh"

MODE=rtp CYCLES=5 PACKETS=10 SETTLE=3 HOLD=0
while getopts 'm:c:k:s:H:av' o; do
	case $o in
	m) MODE=$OPTARG ;; c) CYCLES=$OPTARG ;; k) PACKETS=$OPTARG ;;
	s) SETTLE=$OPTARG ;; H) HOLD=$OPTARG ;; a) JT_STREAM=audio ;;
	v) JT_VERBOSE=1 ;; *) sed -n '2,20p' "$0"; exit 2 ;;
	esac
done
case $MODE in rtp|control) ;; *) echo "bad mode $MODE" >&2; exit 2 ;; esac
[ "$HOLD" -le 3600 ] 2>/dev/null || HOLD=3600
jt_have_tools || exit 2

TMP=$(mktemp -d "${TMPDIR:-/tmp}/janus-drive.XXXXXX")
JPID=""
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$JPID" ]; then jt_stop_pid "$JPID" 10; fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then jt_log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Start Janus (retry with another port if the chosen one was taken meanwhile)
for try in 1 2 3; do
	JT_PORT=$(jt_pick_port) || { jt_log "no free port"; exit 1; }
	jt_render_conf "$TMP/conf" "$JT_PORT" || exit 1
	jt_janus_argv "$TMP/conf"
	jt_log "starting: ${JT_JANUS_ARGV[*]}  (HTTP 127.0.0.1:$JT_PORT)"
	"${JT_JANUS_ARGV[@]}" > "$TMP/janus.out" 2>&1 < /dev/null &
	JPID=$!
	jt_wait_http "$JT_PORT" 30 "$JPID" && break
	jt_stop_pid "$JPID" 5; JPID=""
	tail -n 20 "$TMP/janus.out" >&2
	[ "$try" = 3 ] && { jt_log "janus did not start"; exit 1; }
done
jt_log "janus pid $JPID answers on 127.0.0.1:$JT_PORT"

echo "== before the cycles"
jt_print_sockets "$JPID"

jt_session || exit 1
jt_create_room || exit 1
jt_log "room $JT_ROOM"
jt_cycles "$MODE" "$CYCLES" "$PACKETS" || { tail -n 30 "$TMP/janus.out" >&2; exit 1; }

# Wait (bounded) for the returned ports to be released: they are in control
# mode, they are not in rtp mode (the bug), so rtp mode waits the full SETTLE.
for ((i = 0; i < SETTLE * 5; i++)); do
	still=$(jt_common "$(printf '%s\n' "${JT_ALL_PORTS[@]}" | sort -un)" \
	                  "$(jt_proc_udp "$JPID" | awk '{print $4}')" | grep -c .)
	[ "$still" -eq 0 ] && break
	sleep 0.2
done

echo "== after $CYCLES cycles, mode $MODE, $PACKETS packets each (waited up to ${SETTLE}s)"
echo "publishers (id rtp rtcp):"
for ((i = 0; i < ${#JT_PUB_IDS[@]}; i++)); do
	echo "  ${JT_PUB_IDS[i]} ${JT_PUB_PORTS[i]}"
done
jt_print_sockets "$JPID"
still=$(jt_common "$(printf '%s\n' "${JT_ALL_PORTS[@]}" | sort -un)" \
                  "$(jt_proc_udp "$JPID" | awk '{print $4}')")
pipes=$(for f in /proc/"$JPID"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c '^pipe:')
echo "returned ports still bound by janus: $(echo $still)"
if [ "$HOLD" -gt 0 ]; then
	jt_log "holding janus (pid $JPID) for ${HOLD}s; Ctrl-C to stop"
	for ((i = 0; i < HOLD; i++)); do jt_alive "$JPID" || break; sleep 1; done
fi
echo "RESULT mode=$MODE cycles=$CYCLES returned_ports=${#JT_ALL_PORTS[@]} still_bound=$(echo "$still" | grep -c .) pipes=$pipes"
