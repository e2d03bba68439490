#!/bin/bash
# `tally report` on what is not a good log: exit 2 and exactly one line on
# stderr, "tally: ...", never a crash, a hang or a misread; bad command
# lines exit 2; a log whose event records were damaged is still read, the
# damaged records counted as torn and skipped.
. "$(dirname "$0")/lib.sh"

t_prog fd_hdr_offsets
eval "$("$T_BIN" | awk '{ printf "OFF_%s=%s\n", $1, $2 }')"
t_prog fd_threads
PROG=$T_BIN

# A good log: 1 thread, 10 sockets created and closed, 2 leaked: 22 events.
t_run_ok "$T_TMP/good.log" -- "$PROG" 1 10 2
GOOD=$T_TMP/good.log
t_report "$GOOD" good
t_eq "$T_JSON" '[.events.claimed, .events.recorded, .events.torn]' '[22,22,0]' "good log: events"

# expect_bad NAME FILE [WORDS]: report exits 2 with one "tally:" line on
# stderr (containing WORDS if given), nothing on stdout, within 5 s.
expect_bad() {
	local name=$1 file=$2 words=${3:-} rc lines
	timeout 5 "$TALLY" report --json "$file" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err"
	rc=$?
	if [ "$rc" -eq 124 ]; then
		t_fail "$name: tally report did not finish within 5 s (hangs)"
		return
	fi
	t_rc "$rc" 2 "$name: tally report"
	lines=$(wc -l <"$T_TMP/bad.err")
	if [ "$lines" -eq 1 ] && head -c 6 "$T_TMP/bad.err" | grep -qx 'tally:'; then
		t_pass
	else
		t_fail "$name: stderr should be one line starting 'tally:', got $lines line(s):"
		head -n 5 "$T_TMP/bad.err" | sed 's/^/    /' >&2
	fi
	if [ -n "$words" ] && ! grep -qF -- "$words" "$T_TMP/bad.err"; then
		t_fail "$name: stderr does not say '$words': $(head -n 1 "$T_TMP/bad.err")"
	fi
	[ ! -s "$T_TMP/bad.out" ] && t_pass || t_fail "$name: stdout not empty: $(head -c 200 "$T_TMP/bad.out")"
}

# put_u32 / put_u64 FILE OFFSET VALUE: little-endian integer into FILE.
put_le() {
	local file=$1 off=$2 val=$3 n=$4 i bytes=""
	for ((i = 0; i < n; i++)); do
		bytes+=$(printf '\\%03o' $(((val >> (8 * i)) & 255)))
	done
	printf "$bytes" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}
put_u32() { put_le "$1" "$2" "$3" 4; }
put_u64() { put_le "$1" "$2" "$3" 8; }
get_u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
# flip_byte FILE OFFSET: inverts one byte.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	put_le "$1" "$2" $((b ^ 255)) 1
}

expect_bad "nonexistent file" "$T_TMP/no-such.log" "No such file"
mkdir "$T_TMP/dir.log"
expect_bad "directory" "$T_TMP/dir.log" "directory"
: >"$T_TMP/empty.log"
expect_bad "empty file" "$T_TMP/empty.log" "empty"
head -c 100 /dev/urandom >"$T_TMP/short-random.log"
expect_bad "100 random bytes" "$T_TMP/short-random.log"
head -c 65536 /dev/urandom >"$T_TMP/random.log"
expect_bad "64 KiB of random bytes" "$T_TMP/random.log" "bad magic"
expect_bad "/dev/null" /dev/null "not a regular file"
mkfifo "$T_TMP/fifo.log"
expect_bad "a FIFO (no writer)" "$T_TMP/fifo.log" "not a regular file"

cp "$GOOD" "$T_TMP/trunc.log" && truncate -s 10000 "$T_TMP/trunc.log"
expect_bad "log truncated to 10000 bytes" "$T_TMP/trunc.log" "truncated"
head -c 4096 "$GOOD" >"$T_TMP/header-only.log"
expect_bad "header page only" "$T_TMP/header-only.log" "truncated"

# Cut inside its events (a copy that did not finish): the report of what
# is left, exit 0, one warning line; 10 events cut off, the 12 before read.
EVOFF=$(get_u64 "$GOOD" "$OFF_events_off")
cp "$GOOD" "$T_TMP/cut.log" && truncate -s $((EVOFF + 12 * 64 + 5)) "$T_TMP/cut.log"
timeout 5 "$TALLY" report --json "$T_TMP/cut.log" >"$T_TMP/cut.json" 2>"$T_TMP/cut.err"
t_rc $? 0 "tally report of a log cut inside its events"
t_same "$(cat "$T_TMP/cut.err")" \
	"tally: $T_TMP/cut.log: truncated tally log ($((EVOFF + 12 * 64 + 5)) of $(stat -c %s "$GOOD") bytes): 10 events cut off; the report is of what is left" \
	"warning for a log cut inside its events"
t_eq "$T_TMP/cut.json" '[.events.claimed, .events.recorded, .events.cut]' '[22,12,10]' \
	"cut log: events claimed, read, cut off"

cp "$GOOD" "$T_TMP/version.log" && put_u32 "$T_TMP/version.log" "$OFF_version" $((OFF_format_version + 1))
expect_bad "version field + 1" "$T_TMP/version.log" "version $((OFF_format_version + 1))"
cp "$GOOD" "$T_TMP/version0.log" && put_u32 "$T_TMP/version0.log" "$OFF_version" 0
expect_bad "version field 0" "$T_TMP/version0.log" "version 0"
cp "$GOOD" "$T_TMP/hsize.log" && put_u32 "$T_TMP/hsize.log" "$OFF_header_size" 12
expect_bad "header_size 12" "$T_TMP/hsize.log" "header size"
SIZE=$(stat -c %s "$GOOD")
cp "$GOOD" "$T_TMP/evoff.log" && put_u64 "$T_TMP/evoff.log" "$OFF_events_off" $((SIZE - 4096))
expect_bad "events_off near the end of the file" "$T_TMP/evoff.log" "outside the file"
cp "$GOOD" "$T_TMP/maxev.log" && put_u64 "$T_TMP/maxev.log" "$OFF_max_events" $((1 << 60))
expect_bad "max_events 2^60" "$T_TMP/maxev.log" "outside the file"

# ---- bad command lines --------------------------------------------------
expect_usage() {
	local what=$1; shift
	"$TALLY" "$@" >/dev/null 2>"$T_TMP/usage.err"
	t_rc $? 2 "tally $what"
	head -n 1 "$T_TMP/usage.err" | grep -q '^tally: ' && t_pass ||
		t_fail "tally $what: first stderr line does not start 'tally: ': $(head -n 1 "$T_TMP/usage.err")"
}
expect_usage "report --bogus x" report --bogus x
expect_usage "frob" frob
expect_usage "run (no command)" run
expect_usage "run -- (no command)" run --
expect_usage "run --bogus -- true" run --bogus -- true
expect_usage "run --log (no value)" run --log
expect_usage "report (no log)" report
expect_usage "report two logs" report "$GOOD" "$GOOD"
expect_usage "(nothing)"

# ---- damaged event records: counted torn, the rest read ----------------
EVOFF=$(get_u64 "$GOOD" "$OFF_events_off")
CLAIMED=$(get_u64 "$GOOD" "$OFF_events_claimed")
t_same "$CLAIMED" 22 "events_claimed read from the header"
cp "$GOOD" "$T_TMP/torn.log"
rec() { echo $((EVOFF + $1 * OFF_event_size + $2)); }
flip_byte "$T_TMP/torn.log" "$(rec 1 "$OFF_event_fd")"     # a field
flip_byte "$T_TMP/torn.log" "$(rec 5 0)"                    # the check word
flip_byte "$T_TMP/torn.log" "$(rec 10 $((OFF_event_size - 1)))"  # the last byte
put_u32 "$T_TMP/torn.log" "$(rec 16 0)" 0                   # never finished
t_report "$T_TMP/torn.log" torn
t_eq "$T_JSON" '[.events.claimed, .events.recorded, .events.torn]' '[22,18,4]' \
	"4 damaged records: events [claimed, recorded, torn]"
# The books are not in the events: still exact.
t_totals "$T_JSON" 12 10 2
t_site "$T_JSON" leak_socket '{"open":2,"created":2,"closed":0}'

t_done
