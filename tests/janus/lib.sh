# shellcheck shell=bash
# tests/janus/lib.sh - helpers to drive the real Janus gateway (Debian package
# janus 1.1.x) on loopback, and to compare `tally report --json` with what the
# kernel says the Janus process holds.  Sourced by janus_drive.sh,
# test_janus.sh and selftest_compare.sh.  Needs: bash >= 4.3, curl, jq.
#
# Every wait is bounded (count and wall time); nothing here loops forever.
# Nothing here talks to anything but 127.0.0.1.

JT_DIR=${JT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
JT_JANUS=${JANUS:-janus}
JT_LIBDIR=${JANUS_LIBDIR:-/usr/lib/x86_64-linux-gnu/janus}
JT_DEBUG_LEVEL=${JANUS_DEBUG_LEVEL:-4}
JT_CURL_TIMEOUT=${JT_CURL_TIMEOUT:-5}      # seconds per HTTP request
JT_VERBOSE=${JT_VERBOSE:-0}

jt_log() {
	if [ "${JT_LOG_STDOUT:-0}" = 1 ]; then printf '  %s\n' "$*"
	else printf '[janus-test] %s\n' "$*" >&2; fi
}
jt_vlog() { [ "$JT_VERBOSE" = 1 ] && jt_log "$@"; return 0; }

jt_have_tools() {
	local t missing=0
	for t in "$JT_JANUS" curl jq; do
		command -v "$t" >/dev/null 2>&1 || { jt_log "missing tool: $t"; missing=1; }
	done
	[ -d "$JT_LIBDIR/plugins" ] || { jt_log "missing $JT_LIBDIR/plugins"; missing=1; }
	[ -e "$JT_LIBDIR/plugins/libjanus_videoroom.so" ] || { jt_log "missing videoroom plugin"; missing=1; }
	[ -e "$JT_LIBDIR/transports/libjanus_http.so" ] || { jt_log "missing http transport"; missing=1; }
	return $missing
}

# ---------------------------------------------------------------- ports ----
# hex() for any awk (Debian's default awk is mawk: no strtonum).
JT_AWK_HEX='function hex(s,  i, n) { n = 0; s = toupper(s)
	for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
	return n }
'
# Local ports (decimal) in use by any TCP or UDP socket of this netns.
jt_used_ports() {
	local f
	for f in /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6; do
		[ -r "$f" ] || continue
		awk "$JT_AWK_HEX"'NR>1 { split($2, a, ":"); print hex(a[2]) }' "$f"
	done | sort -un
}

# A TCP port in 30000-59999 that nothing uses now (tries at most 200 times).
jt_pick_port() {
	local used p i
	used=" $(jt_used_ports | tr '\n' ' ') "
	for ((i = 0; i < 200; i++)); do
		p=$((30000 + (RANDOM * 32768 + RANDOM) % 30000))
		case "$used" in *" $p "*) continue ;; esac
		echo "$p"
		return 0
	done
	return 1
}

# ------------------------------------------------------------- config ------
# Comma list of the *.so files in DIR except the ones given.
jt_disable_list() {
	local dir=$1; shift
	local f b keep out=""
	for f in "$dir"/*.so; do
		[ -e "$f" ] || continue
		b=${f##*/}
		for keep in "$@"; do [ "$b" = "$keep" ] && continue 2; done
		out="${out:+$out,}$b"
	done
	echo "$out"
}

# jt_render_conf OUTDIR HTTP_PORT : renders tests/janus/conf/*.jcfg into OUTDIR.
jt_render_conf() {
	local out=$1 port=$2 admin f
	admin=$(jt_pick_port) || return 1
	mkdir -p "$out" || return 1
	for f in janus.jcfg janus.transport.http.jcfg janus.plugin.videoroom.jcfg; do
		sed -e "s|@CONFDIR@|$out|g" \
		    -e "s|@PLUGINS_DIR@|$JT_LIBDIR/plugins|g" \
		    -e "s|@TRANSPORTS_DIR@|$JT_LIBDIR/transports|g" \
		    -e "s|@EVENTS_DIR@|$JT_LIBDIR/events|g" \
		    -e "s|@LOGGERS_DIR@|$JT_LIBDIR/loggers|g" \
		    -e "s|@PLUGINS_DISABLE@|$(jt_disable_list "$JT_LIBDIR/plugins" libjanus_videoroom.so)|g" \
		    -e "s|@TRANSPORTS_DISABLE@|$(jt_disable_list "$JT_LIBDIR/transports" libjanus_http.so)|g" \
		    -e "s|@EVENTS_DISABLE@|$(jt_disable_list "$JT_LIBDIR/events")|g" \
		    -e "s|@LOGGERS_DISABLE@|$(jt_disable_list "$JT_LIBDIR/loggers")|g" \
		    -e "s|@DEBUG_LEVEL@|$JT_DEBUG_LEVEL|g" \
		    -e "s|@RTP_RANGE@|${JANUS_CORE_RTP_RANGE:-20000-20999}|g" \
		    -e "s|@HTTP_PORT@|$port|g" \
		    -e "s|@ADMIN_PORT@|$admin|g" \
		    "$JT_DIR/conf/$f" > "$out/$f" || return 1
	done
}

# The janus command line (array JT_JANUS_ARGV) for a rendered config dir.
# Foreground (no -b), log to stdout (the caller redirects it), no colors.
jt_janus_argv() {
	local conf=$1
	JT_JANUS_ARGV=("$JT_JANUS" -F "$conf" -C "$conf/janus.jcfg" -o -d "$JT_DEBUG_LEVEL")
}

# ------------------------------------------------------------- process -----
jt_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Wait (bounded) for PID to exit; returns 0 if it exited.
jt_wait_exit() {
	local pid=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		jt_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# Stop PID: SIGINT, wait, then SIGTERM, then SIGKILL.  Bounded.
jt_stop_pid() {
	local pid=$1 secs=${2:-10}
	jt_alive "$pid" || return 0
	kill -INT "$pid" 2>/dev/null
	jt_wait_exit "$pid" "$secs" && return 0
	jt_log "pid $pid ignored SIGINT for ${secs}s, sending SIGTERM"
	kill -TERM "$pid" 2>/dev/null
	jt_wait_exit "$pid" 5 && return 0
	jt_log "pid $pid ignored SIGTERM, sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null
	jt_wait_exit "$pid" 5
}

# Wait until the Janus HTTP API answers "server_info" (bounded by SECS).
# Fails early if WATCH_PID (the process we started) dies.
jt_wait_http() {
	local port=$1 secs=${2:-30} watch=${3:-} i r end=$((SECONDS + ${2:-30}))
	for ((i = 0; i < secs * 5 && SECONDS < end; i++)); do
		if [ -n "$watch" ] && ! jt_alive "$watch"; then
			jt_log "process $watch exited while waiting for HTTP on port $port"
			return 1
		fi
		r=$(curl -sS --noproxy '*' -m 2 "http://127.0.0.1:$port/janus/info" 2>/dev/null) &&
			[ "$(jq -r '.janus // empty' <<<"$r" 2>/dev/null)" = server_info ] && return 0
		sleep 0.2
	done
	jt_log "no answer from http://127.0.0.1:$port/janus/info after ${secs}s"
	return 1
}

# ------------------------------------------------------------- Janus API ---
jt_txn() { echo "t$RANDOM$RANDOM"; }
jt_post() {   # jt_post PATH JSON -> response body on stdout
	local path=$1 body=$2
	curl -sS --noproxy '*' -m "$JT_CURL_TIMEOUT" -H 'Content-Type: application/json' \
		-X POST -d "$body" "http://127.0.0.1:$JT_PORT/janus$path"
}

# Create session + attach videoroom: sets JT_SID JT_HID.
jt_session() {
	local r
	r=$(jt_post "" "{\"janus\":\"create\",\"transaction\":\"$(jt_txn)\"}") || return 1
	JT_SID=$(jq -er 'select(.janus=="success") | .data.id' <<<"$r") || { jt_log "create failed: $r"; return 1; }
	r=$(jt_post "/$JT_SID" "{\"janus\":\"attach\",\"plugin\":\"janus.plugin.videoroom\",\"transaction\":\"$(jt_txn)\"}") || return 1
	JT_HID=$(jq -er 'select(.janus=="success") | .data.id' <<<"$r") || { jt_log "attach failed: $r"; return 1; }
	jt_vlog "session $JT_SID handle $JT_HID"
}

# Synchronous VideoRoom request: prints plugindata.data (JSON).
jt_vr() {
	local body=$1 r
	r=$(jt_post "/$JT_SID/$JT_HID" "{\"janus\":\"message\",\"transaction\":\"$(jt_txn)\",\"body\":$body}") || return 1
	jq -ec '.plugindata.data' <<<"$r" 2>/dev/null || { jt_log "request $body -> $r"; return 1; }
}

# Create a room: sets JT_ROOM.
jt_create_room() {
	local r room=${1:-$((100000 + RANDOM))}
	r=$(jt_vr "{\"request\":\"create\",\"room\":$room,\"description\":\"tally\",\"publishers\":64,\"videocodec\":\"vp8\",\"audiocodec\":\"opus\",\"permanent\":false}") || return 1
	JT_ROOM=$(jq -er 'select(.videoroom=="created") | .room' <<<"$r") || { jt_log "create room: $r"; return 1; }
}

# add_remote_publisher ID: sets JT_RTP_PORT JT_RTCP_PORT JT_RTP_IP.
jt_add_remote() {
	local id=$1 kind=${JT_STREAM:-video} codec r
	if [ "$kind" = audio ]; then codec=opus; else codec=vp8; fi
	r=$(jt_vr "{\"request\":\"add_remote_publisher\",\"room\":$JT_ROOM,\"id\":$id,\"display\":\"remote-$id\",\"iface\":\"127.0.0.1\",\"streams\":[{\"type\":\"$kind\",\"mindex\":0,\"mid\":\"0\",\"codec\":\"$codec\"}]}") || return 1
	if [ "$(jq -r '.videoroom' <<<"$r")" != success ]; then
		jt_log "add_remote_publisher $id: $r"
		return 1
	fi
	JT_RTP_PORT=$(jq -r '.port' <<<"$r")
	JT_RTCP_PORT=$(jq -r '.rtcp_port // empty' <<<"$r")
	JT_RTP_IP=$(jq -r '.ip // empty' <<<"$r")
	jt_vlog "publisher $id: $r"
}

jt_remove_remote() {
	local id=$1 r
	r=$(jt_vr "{\"request\":\"remove_remote_publisher\",\"room\":$JT_ROOM,\"id\":$id}") || return 1
	[ "$(jq -r '.videoroom' <<<"$r")" = success ] || { jt_log "remove_remote_publisher $id: $r"; return 1; }
}

# jt_wait_participant ID present|absent [SECS]
jt_wait_participant() {
	local id=$1 want=$2 secs=${3:-10} i r n end=$((SECONDS + ${3:-10}))
	for ((i = 0; i < secs * 10 && SECONDS < end; i++)); do
		r=$(jt_vr "{\"request\":\"listparticipants\",\"room\":$JT_ROOM}") || return 1
		n=$(jq --argjson id "$id" '[.participants[]? | select(.id == $id)] | length' <<<"$r")
		if [ "$want" = present ] && [ "$n" -gt 0 ]; then return 0; fi
		if [ "$want" = absent ] && [ "$n" -eq 0 ]; then return 0; fi
		sleep 0.1
	done
	jt_log "participant $id not $want after ${secs}s: $r"
	return 1
}

# Send K RTP packets to 127.0.0.1:PORT.  SSRC 1000 = what VideoRoom expects
# for mindex 0 of a remote publisher (REMOTE_PUBLISHER_BASE_SSRC), PT 96.
# bash's printf writes through a line-buffered stdout: a 0x0a byte would
# split the packet into two datagrams, so no header byte may be 0x0a.
jt_nl_free() {   # true if none of the bytes of the 32-bit value is 0x0a
	local v=$1
	(( (v & 255) != 10 && (v >> 8 & 255) != 10 && (v >> 16 & 255) != 10 && (v >> 24 & 255) != 10 ))
}
jt_send_rtp() {
	local port=$1 k=${2:-10} i seq=0 ts fmt fd
	exec {fd}>"/dev/udp/127.0.0.1/$port" || return 1
	for ((i = 0; i < k; i++)); do
		seq=$((seq + 1)); ts=$((seq * 3000))
		while ! jt_nl_free "$seq" || ! jt_nl_free "$ts"; do
			seq=$((seq + 1)); ts=$((seq * 3000))
		done
		fmt=$(printf '\\x80\\x60\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x03\\xe8' \
			$((seq >> 8 & 255)) $((seq & 255)) \
			$((ts >> 24 & 255)) $((ts >> 16 & 255)) $((ts >> 8 & 255)) $((ts & 255)))
		# 12-byte header + 20 bytes of payload, one write() = one datagram
		# shellcheck disable=SC2059
		printf "$fmt"'\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >&"$fd" || break
	done
	exec {fd}>&-
}

# jt_cycles MODE CYCLES PACKETS: add -> [RTP] -> wait present -> remove ->
# wait absent.  Appends to JT_PUB_IDS, JT_PUB_PORTS ("rtp rtcp" per id),
# JT_ALL_PORTS (every port returned).  MODE: rtp | control.
jt_cycles() {
	local mode=$1 cycles=$2 k=${3:-10} c id
	JT_PUB_IDS=(); JT_ALL_PORTS=(); JT_PUB_PORTS=()
	for ((c = 1; c <= cycles; c++)); do
		id=$((9000 + c))
		jt_add_remote "$id" || return 1
		JT_PUB_IDS+=("$id")
		JT_PUB_PORTS+=("$JT_RTP_PORT ${JT_RTCP_PORT:-}")
		JT_ALL_PORTS+=("$JT_RTP_PORT")
		[ -n "$JT_RTCP_PORT" ] && JT_ALL_PORTS+=("$JT_RTCP_PORT")
		# the reply can precede the publisher's arrival in the room
		jt_wait_participant "$id" present 10 || return 1
		if [ "$mode" = rtp ]; then
			jt_send_rtp "$JT_RTP_PORT" "$k" || return 1
			sleep 0.2     # let the vremote thread drain the socket
		fi
		jt_remove_remote "$id" || return 1
		jt_wait_participant "$id" absent 10 || return 1
		jt_log "cycle $c/$cycles ($mode): publisher $id rtp=$JT_RTP_PORT rtcp=${JT_RTCP_PORT:-none}${JT_RTP_IP:+ ip=$JT_RTP_IP}"
	done
}

# ------------------------------------------------------- kernel's view -----
# Socket inodes of PID's fds, one per line: "fd inode".
jt_proc_socket_fds() {
	local pid=$1 f l
	for f in /proc/"$pid"/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case "$l" in socket:\[*\]) l=${l#socket:[}; echo "${f##*/} ${l%]}" ;; esac
	done
}

# UDP sockets of PID: "inode proto localaddr port" per line, sorted by port.
# proto is udp (IPv4) or udp6.  Uses PID's own netns view.
jt_proc_udp() {
	local pid=$1 inodes
	inodes=$(jt_proc_socket_fds "$pid" | awk '{print $2}' | sort -u | tr '\n' ' ')
	{
		[ -r "/proc/$pid/net/udp" ] && awk -v P=udp -v I=" $inodes" "$JT_AWK_HEX"'NR>1 {
			split($2, a, ":"); if (index(I, " " $10 " ")) print $10, P, a[1], hex(a[2]) }' "/proc/$pid/net/udp"
		[ -r "/proc/$pid/net/udp6" ] && awk -v P=udp6 -v I=" $inodes" "$JT_AWK_HEX"'NR>1 {
			split($2, a, ":"); if (index(I, " " $10 " ")) print $10, P, a[1], hex(a[2]) }' "/proc/$pid/net/udp6"
	} | sort -n -k4
}

jt_proc_socket_count() { jt_proc_socket_fds "$1" | wc -l; }

# UDP ports PID holds as ss(8) shows them (the netlink view, not
# /proc/net): one port per line, sorted.
jt_ss_udp_ports() {
	ss -uanpH 2>/dev/null | grep -E "pid=$1," |
		awk '{ n = split($4, a, ":"); print a[n] }' | sort -un
}

# One stable snapshot of PID's sockets: writes "$out.udp", "$out.count",
# "$out.fds" (socket fd numbers, sorted) and "$out.ss" (UDP ports per ss).
jt_proc_snapshot() {
	local pid=$1 out=$2
	jt_proc_udp "$pid" > "$out.udp"
	jt_proc_socket_count "$pid" > "$out.count"
	jt_proc_socket_fds "$pid" | awk '{ print $1 }' | sort -n > "$out.fds"
	jt_ss_udp_ports "$pid" > "$out.ss"
}

# Human report of what PID holds (Part 1 output).
jt_print_sockets() {
	local pid=$1
	echo "janus pid: $pid"
	echo "fds: $(find /proc/"$pid"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
	     " sockets: $(jt_proc_socket_count "$pid")" \
	     " pipes: $(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c '^pipe:')"
	echo "UDP sockets (inode proto local-addr-hex port):"
	jt_proc_udp "$pid" | sed 's/^/  /'
	if command -v ss >/dev/null 2>&1; then
		echo "ss -uanp (pid $pid):"
		ss -uanp 2>/dev/null | grep -E "pid=$pid," | sed 's/^/  /'
	fi
}

# --------------------------------------------------- tally report checks ---
# All jt_check_* take a report JSON file and write PASS/FAIL lines through
# jt_pass / jt_fail (test_janus.sh counts them).
JT_PASSED=${JT_PASSED:-0}
JT_FAILED=${JT_FAILED:-0}
jt_pass() { JT_PASSED=$((JT_PASSED + 1)); echo "PASS: $*"; }
jt_fail() { JT_FAILED=$((JT_FAILED + 1)); echo "FAIL: $*"; }
# jt_check WHAT CMD...: PASS/FAIL on CMD's status; returns that status.
jt_check() {
	local what=$1; shift
	if "$@"; then jt_pass "$what"; return 0; fi
	jt_fail "$what"; return 1
}

# jq definitions shared by the checks.
# ports: expand [int | "LO-HI" | "N"] into integers.
# vr: regex for the VideoRoom plugin module path (dladdr gives the dlopen'ed
# name ".../libjanus_videoroom.so", /proc/self/maps the real file
# ".../libjanus_videoroom.so.1.1.2": accept both).
# jt_jq_true FILE FILTER: FILTER evaluates to true on FILE.
jt_jq_true() { jq -e "$2" "$1" >/dev/null 2>&1; }

JT_JQ_DEFS='
def ports: [ (.ports // [])[] |
    if type == "number" then .
    elif type == "string" and test("^[0-9]+-[0-9]+$") then
        (split("-") | map(tonumber)) as [$lo, $hi] | range($lo; $hi + 1)
    elif type == "string" and test("^[0-9]+$") then tonumber
    else error("bad port entry: \(.)") end ];
def inet_dgram($fam): (.family == $fam) and (.type == "dgram");
def vr_frame: ((.module // "") | test("libjanus_videoroom\\.so(\\.[0-9]+)*$"));
def vr_group: any(.stack[]?; vr_frame);
'

# Ports (one per line, sorted unique) of open sockets of FAMILY (inet|inet6)
# and type dgram in the report's groups.  Only groups with open > 0.
jt_report_ports() {
	local json=$1 fam=${2:-inet}
	jq -r --arg fam "$fam" "$JT_JQ_DEFS"'
		[ .sockets.groups[]? | select(inet_dgram($fam) and (.open // 0) > 0) | ports[] ] | unique | .[]' "$json"
}

# Number of open inet/inet6 dgram sockets according to the groups.
jt_report_dgram_open() {
	local json=$1 fam=${2:-inet}
	jq -r --arg fam "$fam" '[ .sockets.groups[]? | select(.family == $fam and .type == "dgram") | (.open // 0) ] | add // 0' "$json"
}

# Ports of the groups whose stack has a libjanus_videoroom.so frame.
jt_report_vr_ports() {
	jq -r "$JT_JQ_DEFS"'
		[ .sockets.groups[]? | select(inet_dgram("inet") and (.open // 0) > 0 and vr_group) | ports[] ] | unique | .[]' "$1"
}
jt_report_vr_open() {
	jq -r "$JT_JQ_DEFS"'[ .sockets.groups[]? | select(inet_dgram("inet") and vr_group) | (.open // 0) ] | add // 0' "$1"
}

# jt_same_list WHAT A B [NAME_A NAME_B]: A and B (sorted lists, one item per
# line) are equal; explains a mismatch on stdout.
jt_same_list() {
	local what=$1 a=$2 b=$3 na=${4:-tally} nb=${5:-kernel}
	if [ "$a" = "$b" ]; then return 0; fi
	echo "  $what differ:"
	printf '    %-8s: %s\n' "$na" "$(echo $a)" "$nb" "$(echo $b)"
	return 1
}

# jt_common A B: items of list A (one per line) that are also in list B.
jt_common() {
	[ -n "$1" ] && [ -n "$2" ] || return 0
	grep -Fx -f <(printf '%s\n' "$2") <(printf '%s\n' "$1")
}

# jt_check_report JSON SNAP MODE PORTS...
#   JSON  tally report --json output
#   SNAP  prefix of jt_proc_snapshot files (SNAP.udp, SNAP.count)
#   MODE  rtp (leak expected) | control (no leak expected)
#   PORTS every RTP/RTCP port returned by add_remote_publisher
jt_check_report() {
	local json=$1 snap=$2 mode=$3; shift 3
	local want_ports n_want k_udp4 k_udp6 t_udp4 t_udp6 k_count t_open t_dgram k_ndgram
	local vr_ports vr_open leaked n=$#

	want_ports=$(printf '%s\n' "$@" | sort -un)
	n_want=$(grep -c . <<<"$want_ports")
	jt_check "$mode: report is a tally-report v1" \
		jt_jq_true "$json" '.format == "tally-report" and .version == 1'
	jt_check "$mode: report: process.running == true" jt_jq_true "$json" '.process.running == true'

	# -- all open sockets: count vs socket fds in /proc/PID/fd
	k_count=$(cat "$snap.count")
	t_open=$(jq -r '.sockets.open' "$json")
	jt_check "$mode: sockets.open ($t_open) == socket fds in /proc/PID/fd ($k_count)" \
		test "$t_open" = "$k_count"

	# -- the open socket fds themselves: numbers in the report vs /proc/PID/fd
	local k_fds t_fds
	k_fds=$(cat "$snap.fds")
	t_fds=$(jq -r '[.sockets.groups[].fds[]] | sort | .[]' "$json")
	jt_check "$mode: socket fds in report == socket fds in /proc/PID/fd" \
		jt_same_list "socket fds" "$t_fds" "$k_fds"

	# -- UDP ports as ss shows them (netlink) vs the report's inet and inet6
	local k_ss t_all
	k_ss=$(cat "$snap.ss")
	t_all=$( (jt_report_ports "$json" inet; jt_report_ports "$json" inet6) | sort -un)
	jt_check "$mode: UDP ports in report == UDP ports ss shows for janus [$(echo $k_ss)]" \
		jt_same_list "UDP ports (ss)" "$t_all" "$k_ss"

	# -- UDP sockets: ports of inet dgram groups vs /proc/PID/net/udp
	k_udp4=$(awk '$2=="udp"{print $4}' "$snap.udp" | sort -un)
	t_udp4=$(jt_report_ports "$json" inet)
	jt_check "$mode: inet dgram ports in report == IPv4 UDP ports held by janus [$(echo $k_udp4)]" \
		jt_same_list "IPv4 UDP ports" "$t_udp4" "$k_udp4"
	k_ndgram=$(awk '$2=="udp"' "$snap.udp" | wc -l)
	t_dgram=$(jt_report_dgram_open "$json" inet)
	jt_check "$mode: open inet dgram sockets in report ($t_dgram) == IPv4 UDP sockets held ($k_ndgram)" \
		test "$t_dgram" = "$k_ndgram"
	k_udp6=$(awk '$2=="udp6"{print $4}' "$snap.udp" | sort -un)
	t_udp6=$(jt_report_ports "$json" inet6)
	jt_check "$mode: inet6 dgram ports in report == IPv6 UDP ports held by janus [$(echo $k_udp6)]" \
		jt_same_list "IPv6 UDP ports" "$t_udp6" "$k_udp6"

	# -- the VideoRoom group(s)
	vr_ports=$(jt_report_vr_ports "$json")
	vr_open=$(jt_report_vr_open "$json")
	# -- optional: creation sites with closed sockets too (".sockets.sites",
	#    beyond the minimum shape): tally saw the videoroom sockets made.
	if jt_jq_true "$json" '.sockets | has("sites")'; then
		local s_created s_open
		s_created=$(jq -r "$JT_JQ_DEFS"'[.sockets.sites[]? | select(vr_group) | (.created // 0)] | add // 0' "$json")
		s_open=$(jq -r "$JT_JQ_DEFS"'[.sockets.sites[]? | select(vr_group) | (.open // 0)] | add // 0' "$json")
		jt_check "$mode: sites: videoroom sites created $s_created sockets (>= $n)" test "$s_created" -ge "$n"
		if [ "$mode" = rtp ]; then
			jt_check "$mode: sites: videoroom sites hold $n_want open (have $s_open)" test "$s_open" = "$n_want"
		else
			jt_check "$mode: sites: videoroom sites hold none open (have $s_open)" test "$s_open" = 0
		fi
	fi

	if [ "$mode" = rtp ]; then
		jt_check "$mode: a group with open sockets has a libjanus_videoroom.so frame in its stack" \
			test -n "$vr_ports"
		jt_check "$mode: videoroom group ports == the $# RTP/RTCP ports Janus returned [$(echo $want_ports)]" \
			jt_same_list "videoroom ports" "$vr_ports" "$want_ports"
		jt_check "$mode: videoroom groups hold $n_want open sockets (have $vr_open)" \
			test "$vr_open" = "$n_want"
		jt_check "$mode: sockets.created >= the $n sockets of the removed publishers" \
			jt_jq_true "$json" ".sockets.created >= $n"
		jt_check "$mode: kernel: janus still holds every returned port (the leak)" \
			jt_same_list "returned ports" "$(jt_common "$want_ports" "$k_udp4")" "$want_ports" bound returned
	else
		jt_check "$mode: videoroom groups hold no open socket (have $vr_open)" test "$vr_open" = 0
		leaked=$(jt_common "$want_ports" "$t_udp4")
		jt_check "$mode: no open dgram socket in report on a returned port [$(echo $want_ports)]${leaked:+ (open: $(echo $leaked))}" \
			test -z "$leaked"
		jt_check "$mode: sockets.closed >= the $n sockets of the removed publishers" \
			jt_jq_true "$json" ".sockets.closed >= $n"
		leaked=$(jt_common "$want_ports" "$k_udp4")
		jt_check "$mode: kernel: janus holds none of the returned ports${leaked:+ (holds $(echo $leaked))}" \
			test -z "$leaked"
	fi
}
