#!/usr/bin/env bash
# tests/janus/test_janus.sh - tally against the real Janus gateway (Debian
# package janus 1.1.x), loopback only.  Run from the repo root by `make test`:
#     TALLY=build/tally tests/janus/test_janus.sh
#
# 1. "rtp" run: janus under `tally run`, CYCLES x (add_remote_publisher ->
#    RTP packets -> remove_remote_publisher).  Janus 1.1.2 leaks each remote
#    publisher's RTP+RTCP sockets (CASE.md).  While janus still runs,
#    `tally report --json` must agree with /proc/PID/fd + /proc/PID/net/udp
#    (socket count, UDP ports), and the leaked sockets must sit in groups
#    whose creation stack has a libjanus_videoroom.so frame, on exactly the
#    ports Janus returned.
# 2. "control" run: same cycles without RTP: nothing may leak.
# Janus is stopped with SIGINT sent to `tally run` (which forwards it).
# Prints PASS:/FAIL: lines and ends with "N passed, M failed".
#
# Env: TALLY (default build/tally), CYCLES (3), PACKETS (10), JANUS (janus),
#      JANUS_LIBDIR, KEEP_TMP=1 (keep the temp dir), JANUS_TEST_REQUIRED=1
#      (missing janus/curl/jq is a failure instead of a skip), JT_VERBOSE=1.
set -u
JT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$JT_DIR/lib.sh"

JT_LOG_STDOUT=1
CYCLES=${CYCLES:-3}
PACKETS=${PACKETS:-10}
TALLY=${TALLY:-build/tally}
case $TALLY in /*) ;; *) TALLY="$PWD/$TALLY" ;; esac
STOP_SECS=${STOP_SECS:-20}      # wait for tally run to end after SIGINT
REPORT_SECS=${REPORT_SECS:-30}  # bound on one `tally report`

TMP="" TPID="" JPID=""
# The EXIT trap stops whatever runs, then prints the summary as last line.
on_exit() {
	trap - EXIT INT TERM
	declare -F stop_run >/dev/null && stop_run
	if [ -n "$TMP" ]; then
		if [ "${KEEP_TMP:-0}" = 1 ] || [ "$JT_FAILED" -gt 0 ]; then
			echo "(files kept in $TMP)"
		else
			rm -rf "$TMP"
		fi
	fi
	echo "$JT_PASSED passed, $JT_FAILED failed"
}
trap on_exit EXIT
trap 'echo "interrupted"; JT_FAILED=$((JT_FAILED + 1)); exit 130' INT TERM
finish() { [ "$JT_FAILED" -eq 0 ] && exit 0; exit 1; }

# --------------------------------------------------------- prerequisites ---
if ! jt_have_tools; then
	if [ "${JANUS_TEST_REQUIRED:-0}" = 1 ]; then
		jt_fail "prerequisites (janus, curl, jq, janus plugins) present"
	else
		echo "SKIP: janus test needs janus (with videoroom + http), curl and jq"
	fi
	finish
fi
if [ ! -x "$TALLY" ]; then
	jt_fail "tally binary $TALLY exists and is executable"
	finish
fi
command -v timeout >/dev/null 2>&1 || timeout() { shift; "$@"; }   # coreutils normally has it

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-janus.XXXXXX")
# TPID: the `tally run` process of the current run; JPID: janus, its child.

# Stop the current run whatever state it is in.  Bounded.
stop_run() {
	if [ -n "$TPID" ] && jt_alive "$TPID"; then
		kill -INT "$TPID" 2>/dev/null
		jt_wait_exit "$TPID" "$STOP_SECS" || {
			kill -TERM "$TPID" 2>/dev/null; jt_wait_exit "$TPID" 5 ||
			kill -KILL "$TPID" 2>/dev/null; }
	fi
	if [ -n "$JPID" ] && jt_alive "$JPID"; then
		kill -TERM "$JPID" 2>/dev/null
		jt_wait_exit "$JPID" 5 || kill -KILL "$JPID" 2>/dev/null
		jt_wait_exit "$JPID" 5
	fi
	[ -n "$TPID" ] && wait "$TPID" 2>/dev/null
	TPID="" JPID=""
}

# Print the tail of a run's logs (on failure).
show_logs() {
	local d=$1 f
	for f in "$d/tally.err" "$d/tally.out"; do
		[ -s "$f" ] || continue
		echo "---- tail $f"; tail -n 25 "$f" | sed 's/^/    /'
	done
}

# Find janus: the child of `tally run` whose exe is the janus binary.
find_janus() {
	local want i c
	want=$(readlink -f "$(command -v "$JT_JANUS")")
	for ((i = 0; i < 100; i++)); do          # 10 s
		jt_alive "$TPID" || return 1
		for c in $(pgrep -P "$TPID" 2>/dev/null); do
			if [ "$(readlink -f "/proc/$c/exe" 2>/dev/null)" = "$want" ]; then
				JPID=$c
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# Wait until the vremote threads of removed publishers are gone: after that
# the publishers are either freed (sockets closed) or leaked for good.
wait_vremote_gone() {
	local i
	for ((i = 0; i < 100; i++)); do          # 10 s
		grep -qs '^vremote' /proc/"$JPID"/task/*/comm || return 0
		sleep 0.1
	done
	return 1
}

# A consistent view: /proc snapshot, tally report, /proc snapshot again,
# retried until both snapshots agree (sockets of HTTP connections may still
# be closing).  Writes $d/report.json and $d/snap.{udp,count,fds,ss}.
report_and_snapshot() {
	local d=$1 i
	for ((i = 0; i < 5; i++)); do
		jt_proc_snapshot "$JPID" "$d/snap"
		if ! timeout "$REPORT_SECS" "$TALLY" report --json --port-range 10000-60000 \
				"$d/janus.log" > "$d/report.json" 2> "$d/report.err"; then
			echo "  tally report failed: $(head -c 400 "$d/report.err")"
			return 1
		fi
		jt_proc_snapshot "$JPID" "$d/snap2"
		if cmp -s "$d/snap.udp" "$d/snap2.udp" && cmp -s "$d/snap.count" "$d/snap2.count" &&
		   cmp -s "$d/snap.fds" "$d/snap2.fds"; then
			return 0
		fi
		sleep 0.5
	done
	echo "  janus's sockets kept changing; using the last snapshot"
	return 0
}

# Show what tally says about the videoroom groups (information only).
show_vr_groups() {
	jq -r "$JT_JQ_DEFS"'
		.sockets.groups[]? | select(vr_group) |
		"  group: \(.family)/\(.type) open=\(.open) created=\(.created) closed=\(.closed) ports=\(.ports | tostring)",
		(.stack[]? | "      \(.function // "?") \(.module // "?")+\(.offset // "?")")' "$1" 2>/dev/null
}

# run_case MODE: one janus under tally, cycles, checks, stop.
run_case() {
	local mode=$1 d="$TMP/$1" try ok=0 st
	# Both runs also keep the books of GLib's and GObject's references
	# (Janus's own counters are inline atomics, not seen): hooking every
	# g_object_ref, g_hash_table_ref, ... of a real gateway must change
	# nothing the socket checks see, and blame nothing for certain.
	local RULE_ARGS=(--rules "gobject; glib")
	mkdir -p "$d"
	echo "== $mode run: $CYCLES cycles$([ "$mode" = rtp ] && echo ", $PACKETS RTP packets each")"
	for try in 1 2 3; do
		JT_PORT=$(jt_pick_port) || break
		jt_render_conf "$d/conf" "$JT_PORT" || break
		jt_janus_argv "$d/conf"
		rm -f "$d/janus.log"
		jt_vlog "$TALLY run --log $d/janus.log -- ${JT_JANUS_ARGV[*]}"
		# set -m: a background job of a script starts with SIGINT
		# ignored; in its own job it does not (and a terminal ^C reaches
		# only this script, whose trap stops the run).
		set -m
		"$TALLY" run --log "$d/janus.log" "${RULE_ARGS[@]}" -- "${JT_JANUS_ARGV[@]}" \
			> "$d/tally.out" 2> "$d/tally.err" < /dev/null &
		TPID=$!
		set +m
		if find_janus && jt_wait_http "$JT_PORT" 30 "$JPID"; then ok=1; break; fi
		stop_run
	done
	jt_check "$mode: janus starts under tally run and answers on 127.0.0.1:$JT_PORT" test "$ok" = 1 ||
		{ show_logs "$d"; return 1; }
	echo "  tally run pid $TPID, janus pid $JPID"

	ok=1
	jt_session && jt_create_room && jt_cycles "$mode" "$CYCLES" "$PACKETS" || ok=0
	jt_check "$mode: $CYCLES add/remove_remote_publisher cycles done" test "$ok" = 1 ||
		{ show_logs "$d"; stop_run; return 1; }
	echo "  ports returned: ${JT_ALL_PORTS[*]}"
	jt_check "$mode: remote publisher threads finished" wait_vremote_gone

	if report_and_snapshot "$d"; then
		jt_pass "$mode: tally report --json on the live log"
		jt_check_report "$d/report.json" "$d/snap" "$mode" "${JT_ALL_PORTS[@]}"
		# VideoRoom takes RTP ports from 10000-60000 (fixed in 1.1.2): the
		# leaked ones are what the port budget must count.
		local held=0
		[ "$mode" = rtp ] && held=$(printf '%s\n' "${JT_ALL_PORTS[@]}" | sort -u | wc -l)
		jt_check "$mode: port range 10000-60000 held by open sockets == $held" \
			jt_jq_true "$d/report.json" ".port_range.held == $held"
		"$TALLY" report --port-range 10000-60000 "$d/janus.log" 2>/dev/null |
			grep -A1 '^UDP port range' | sed 's/^/  /'
		show_vr_groups "$d/report.json"
	else
		jt_fail "$mode: tally report --json on the live log"
	fi

	# stop: SIGINT to tally run, which forwards it to janus
	kill -INT "$TPID" 2>/dev/null
	if jt_wait_exit "$TPID" "$STOP_SECS"; then
		wait "$TPID"; st=$?
		jt_pass "$mode: tally run ended ${STOP_SECS}s or less after SIGINT (status $st)"
	else
		jt_fail "$mode: tally run ended ${STOP_SECS}s or less after SIGINT"
	fi
	jt_check "$mode: janus is gone" jt_wait_exit "$JPID" 5
	stop_run
	if timeout "$REPORT_SECS" "$TALLY" report --json "$d/janus.log" > "$d/final.json" 2> "$d/final.err"; then
		jt_check "$mode: final report says process.running == false" \
			jt_jq_true "$d/final.json" '.process.running == false'
		jt_check "$mode: rules: GLib/GObject reference functions hooked and called" \
			jt_jq_true "$d/final.json" '([.rules[] | select(.found and .entries + .got_sites > 0)] | length) >= 10 and ([.rules[].calls] | add) > 0'
		jt_check "$mode: rules: no certain violation" \
			jt_jq_true "$d/final.json" '[.violations[] | select(.certain)] | length == 0'
		# Janus is stripped: a verdict names no caller with a source line
		# ("reached from"), and never libc's thread start, which has one.
		jt_check "$mode: verdicts: none 'reached from' libc's start frames" \
			jt_jq_true "$d/final.json" '[.verdicts[] | select(.reached_from != null and ((.reached_from.file // "") | test("nptl|csu|sysdeps")))] | length == 0'
		jq -r '"  reference books: " + ([.objects.types[] | "\(.type) \(.created) created \(.live) alive"] | join(", "))' \
			"$d/final.json" 2>/dev/null
		# The remote publishers the RTP run leaked are never freed, and
		# neither are the hash tables each one made (in the VideoRoom
		# plugin, under the same call that opened its RTP/RTCP sockets):
		# tally blames them and links them to the leaked sockets.  In the
		# control run the publishers are freed with most of their tables,
		# and no leaked table holds a socket.  (One table per publisher,
		# made at libjanus_videoroom.so+0x2d686, stays alive in the control
		# run too: a smaller leak of Janus 1.1.2's own, or a table kept
		# elsewhere; Debian's stripped plugin does not say which.)
		local vr_sites vr_linked
		vr_sites=$(jq '[.verdicts[] | select(.type == "GHashTable" and
			((.module // "") | endswith("libjanus_videoroom.so"))) | .offset] | unique | length' \
			"$d/final.json")
		vr_linked=$(jq '[.objects.types[] | select(.type == "GHashTable") | .groups[] |
			select(any(.stack[]?; (.module // "") | endswith("libjanus_videoroom.so"))) |
			select(.leaked > 0) | .sockets | length] | add // 0' "$d/final.json")
		if [ "$mode" = rtp ]; then
			jt_check "$mode: books: VideoRoom hash table sites with leak verdicts ($vr_sites) >= 5" \
				test "$vr_sites" -ge 5
			jt_check "$mode: books: leaked VideoRoom hash tables linked to the leaked UDP sockets ($vr_linked links)" \
				test "$vr_linked" -gt 0
			echo "$vr_sites" > "$TMP/rtp_vr_sites"
		else
			jt_check "$mode: books: fewer VideoRoom hash table sites with leak verdicts ($vr_sites) than the RTP run ($(cat "$TMP/rtp_vr_sites" 2>/dev/null))" \
				test "$vr_sites" -lt "$(cat "$TMP/rtp_vr_sites" 2>/dev/null || echo 0)"
			jt_check "$mode: books: no leaked VideoRoom hash table linked to a socket ($vr_linked links)" \
				test "$vr_linked" = 0
		fi
	else
		jt_fail "$mode: tally report --json after janus exited"
	fi
	[ "$JT_FAILED" -gt 0 ] && show_logs "$d"
	return 0
}

run_case rtp
run_case control
finish
