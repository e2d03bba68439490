#!/bin/sh
# Makes sure the Debian packages a make target needs are installed.
# As root it installs what is missing with apt-get; otherwise it prints the
# exact command and fails, so the build stops with something to do.
# Usage: scripts/ensure-deps.sh build|test|bench
set -u

# libzydis-dev: the instruction decoder's headers for shim/entryhook.c
# (libzydis4.0 is dlopen'ed at run time, never linked).  libgstreamer1.0-0:
# the entry-hook unit test hooks gst_mini_object_ref/unref for real.
# libgstreamer1.0-dev: headers and pkg-config file of the GStreamer test
# program (tests/progs/ref_gst_leak.c; fakesink and the other core elements
# come with libgstreamer1.0-0); gstreamer1.0-tools: gst-launch-1.0, the real
# pipeline test_ref_gst.sh runs under the shim.
# No uthash: every table of the shim is a fixed array in the log, and the
# analyzer has GLib's.
build_pkgs="gcc g++ make pkg-config libunwind-dev libunwind8 libglib2.0-dev libcmocka-dev libdw-dev libelf-dev libzydis-dev libzydis4.0"
test_pkgs="jq janus curl iproute2 procps libgstreamer1.0-0 libgstreamer1.0-dev gstreamer1.0-tools"
# make bench counts syscalls per event with perf, or strace where perf
# cannot count them; its section 8 runs the real Janus (bench/janus_relay.sh).
bench_pkgs="strace janus curl jq"

case "${1:-build}" in
build) want="$build_pkgs" ;;
test) want="$build_pkgs $test_pkgs" ;;
bench) want="$build_pkgs $bench_pkgs" ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$status" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "tally: missing Debian packages:$missing" >&2
	echo "tally: install them with:  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "tally: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Do not let package scripts start services (janus) on this machine.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2
rc=$?
[ "$made_policy" = 1 ] && rm -f "$policy"
if [ $rc -ne 0 ]; then
	echo "tally: apt-get failed; run:  apt-get update && $cmd" >&2
	exit 1
fi
exit 0
