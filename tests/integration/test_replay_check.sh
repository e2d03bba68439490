#!/bin/bash
# Replayed captures (shim/replay.h) checked against libunwind: under
# build/check/libtally.so, built with -DTALLY_REPLAY_CHECK, every stack the
# shim replays instead of walking is walked again, and a difference aborts
# the program.  Programs with many repeated captures from many places run
# under it and must exit 0 with the same output as without tally: the
# example gateway (sockets and reference calls from several threads),
# fd_replay's stacks made to look alike, 8 threads of sockets, 8 threads of
# reference calls (also with the event area full), and gst-launch under the
# gst preset.
. "$(dirname "$0")/lib.sh"

CHECK_LIB=$TOP/build/check/libtally.so
[ -f "$CHECK_LIB" ] || t_fatal "$CHECK_LIB missing (make test builds it)"
t_prog fd_replay
REPLAY=$T_BIN
t_prog fd_threads
THREADS=$T_BIN
t_prog ref_threads
REFTHREADS=$T_BIN
GW=$TOP/build/examples/gateway

# checked NAME [VAR=VALUE...] -- CMD...: CMD under the checking shim.
checked() {
	local name=$1 rc
	shift
	local -a envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	timeout -k 5 120 env LD_PRELOAD="$CHECK_LIB" TALLY_LOG="$T_TMP/$name.%p" "${envs[@]}" "$@" \
		>"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q TALLY_REPLAY_CHECK "$T_TMP/$name.err"; then
		t_pass
	else
		t_fail "$name: exit $rc under the checking shim: $(head -c 400 "$T_TMP/$name.err")"
	fi
	rm -f "$T_TMP/$name".[0-9]*
}

checked gateway TALLY_RULES=gateway -- "$GW" --bug --ports 35000-35099 --cycles 4 --packets 300
checked gateway-entry-16 TALLY_RULES=gateway TALLY_DEPTH=16 -- "$GW" --ports 35000-35099 --cycles 4 --packets 300
for depth in 4 16 64; do
	for mode in same_sp alloca_sp thread; do
		checked "replay-$mode-$depth" TALLY_DEPTH=$depth -- "$REPLAY" "$mode" 300
	done
done
checked threads -- "$THREADS" 8 500
checked refthreads 'TALLY_RULES=rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec' -- \
	"$REFTHREADS" 8 20000
# With the event area full, a booked call is captured in ref_hook_pre
# (book_when_full), not in record_ref: another capturing site.
for depth in 4 16 64; do
	checked "refthreads-full-$depth" TALLY_LOG_SIZE=1M TALLY_DEPTH=$depth \
		'TALLY_RULES=rl: rl_new = new; rl: rl_ref = inc; rl: rl_unref = dec' -- \
		"$REFTHREADS" 8 20000
done
checked gateway-full TALLY_RULES=gateway TALLY_LOG_SIZE=1M -- "$GW" --ports 35000-35099 \
	--cycles 4 --packets 3000
if command -v gst-launch-1.0 >/dev/null; then
	export GST_REGISTRY=$T_TMP/registry.bin
	gst-launch-1.0 -q fakesrc num-buffers=10 ! fakesink >/dev/null 2>&1
	export GST_REGISTRY_UPDATE=no
	checked gst TALLY_RULES=gst -- gst-launch-1.0 -q fakesrc num-buffers=2000 ! fakesink
else
	t_fail "gst-launch-1.0 is not installed (gstreamer1.0-tools)"
fi
t_done
