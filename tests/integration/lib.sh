# shellcheck shell=bash
# tests/integration/lib.sh — what every tests/integration/test_*.sh shares:
# a temp dir removed on exit, running a program under `tally run` with a log
# of its own, reading `tally report --json`, and assertions that print what
# was expected and what came instead.  A test calls t_done at the end; it
# exits 1 if any assertion failed, so one run shows every failure at once.
#
# Environment (set by tests/run.sh; guessed from this file's place if not):
# TOP (repo root), TALLY (build/tally), TALLY_LIB (build/libtally.so).

set -u

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TALLY=${TALLY:-$TOP/build/tally}
TALLY_LIB=${TALLY_LIB:-$TOP/build/libtally.so}
export TOP TALLY TALLY_LIB

T_NAME=$(basename "$0" .sh)
T_FAILS=0
T_CHECKS=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tally-$T_NAME.XXXXXX") || exit 2
# Background processes a test started; killed (by pid) on exit.
T_PIDS=()

t_cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${T_KEEP:-0}" = 1 ]; then
		echo "[$T_NAME] kept $T_TMP" >&2
	else
		rm -rf "$T_TMP"
	fi
}
trap t_cleanup EXIT

t_log() { printf '[%s] %s\n' "$T_NAME" "$*"; }

# t_fail MESSAGE...: counts a failed assertion and says why.
t_fail() {
	T_FAILS=$((T_FAILS + 1))
	printf '[%s] FAIL: %s\n' "$T_NAME" "$*" >&2
}

t_pass() { T_CHECKS=$((T_CHECKS + 1)); }

# t_fatal MESSAGE...: a failure after which the test cannot go on.
t_fatal() {
	t_fail "$@"
	t_done
}

# t_done: ends the test; exit status 0 only when nothing failed.
t_done() {
	if [ "$T_FAILS" -gt 0 ]; then
		t_log "$T_FAILS assertion(s) failed, $T_CHECKS passed"
		exit 1
	fi
	t_log "all $T_CHECKS assertions passed"
	exit 0
}

# t_need_tools: jq and the built tally, or the test cannot run at all.
t_need_tools() {
	command -v jq >/dev/null || t_fatal "jq is not installed"
	[ -x "$TALLY" ] || t_fatal "no $TALLY (run make all)"
	[ -r "$TALLY_LIB" ] || t_fatal "no $TALLY_LIB (run make all)"
}
t_need_tools

# t_prog NAME: builds build/progs/NAME from tests/progs/NAME.c (make knows
# whether it is up to date) and sets T_BIN to its path.  Not in $(...): a
# failure here must end the test.
t_prog() {
	local out
	T_BIN="$TOP/build/progs/$1"
	mkdir -p "$TOP/build/progs"
	# One make at a time across concurrent test runs: a binary relinked
	# while another run execs it is half-written (ENOEXEC, then sh: 126).
	if ! out=$(flock "$TOP/build/progs/.make.lock" make -s -C "$TOP" "build/progs/$1" 2>&1); then
		printf '%s\n' "$out" >&2
		t_fatal "cannot build build/progs/$1"
	fi
	[ -x "$T_BIN" ] || t_fatal "make built no $T_BIN"
}

# t_run LOG [tally run options] -- CMD ARGS...: runs CMD under `tally run
# --log LOG`.  Sets T_RC (tally's exit status) and T_OUT, T_ERR (files with
# its stdout and stderr, overwritten by the next t_run).
T_OUT=$T_TMP/run.out
T_ERR=$T_TMP/run.err
t_run() {
	local log=$1; shift
	"$TALLY" run --log "$log" "$@" >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
}

# LIMIT: seconds a program may run under `timeout` before it counts as hung.
LIMIT=20

# t_run_limited LOG [opts] -- CMD...: t_run under `timeout -k 5 $LIMIT` (T_RC 124 or 137: hung).
t_run_limited() {
	local log=$1; shift
	timeout -k 5 "$LIMIT" "$TALLY" run --log "$log" "$@" >"$T_OUT" 2>"$T_ERR"
	T_RC=$?
}

# t_run_ok LOG [opts] -- CMD...: t_run, and fail unless tally exited 0 and
# named LOG as the log.
t_run_ok() {
	local log=$1
	t_run "$@"
	if [ "$T_RC" -ne 0 ]; then
		t_fail "tally run ... ${*: -1} exited $T_RC, expected 0; stderr:"
		sed 's/^/    /' "$T_ERR" >&2
	fi
	t_expect_log_line "$log"
}

# t_expect_log_line PATH: the last run's stderr says "tally: log: PATH".
t_expect_log_line() {
	if grep -qxF "tally: log: $1" "$T_ERR"; then
		t_pass
	else
		t_fail "stderr of tally run lacks 'tally: log: $1'; it was:"
		sed 's/^/    /' "$T_ERR" >&2
	fi
}

# t_report LOG [NAME]: `tally report --json LOG` into $T_TMP/NAME.json
# (default: the log's base name) and sets T_JSON to that path.  A failed
# report, or output jq cannot parse, ends the test: nothing below could be
# checked.
t_report() {
	local log=$1 rc
	T_JSON="$T_TMP/${2:-$(basename "$1")}.json"
	"$TALLY" report --json "$log" >"$T_JSON" 2>"$T_JSON.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		sed 's/^/    /' "$T_JSON.err" >&2
		t_fatal "tally report --json $log exited $rc"
	fi
	jq -e . "$T_JSON" >/dev/null 2>&1 ||
		t_fatal "tally report --json $log: not JSON: $(head -c 300 "$T_JSON")"
}

# t_jq JSON FILTER: the filter's compact result.
t_jq() { jq -c "$2" "$1" 2>&1; }

# t_eq JSON FILTER EXPECTED [WHAT]: the filter's compact output equals
# EXPECTED (compare as text: numbers 10, strings "\"inet\"", arrays [1,2]).
t_eq() {
	local json=$1 filter=$2 want=$3 what=${4:-$2} got
	got=$(jq -c "$filter" "$json" 2>&1)
	if [ "$got" = "$want" ]; then
		t_pass
	else
		t_fail "$what: expected $want, got $got   (jq '$filter' $(basename "$json"))"
	fi
}

# t_true JSON FILTER WHAT: the filter yields true.
t_true() {
	local json=$1 filter=$2 what=$3 got
	got=$(jq -c "$filter" "$json" 2>&1)
	if [ "$got" = true ]; then
		t_pass
	else
		t_fail "$what: jq '$filter' gave $got"
	fi
}

# t_same GOT WANT WHAT: two words are equal.
t_same() {
	if [ "$1" = "$2" ]; then
		t_pass
	else
		t_fail "$3: expected '$2', got '$1'"
	fi
}

# t_same_file GOT WANT WHAT: two files have the same content (else shows the diff).
t_same_file() {
	if cmp -s "$1" "$2"; then
		t_pass
	else
		t_fail "$3: output differs (expected vs got):"
		diff "$2" "$1" | sed 's/^/    /' >&2
	fi
}

# t_rc GOT WANT WHAT: an exit status.
t_rc() {
	if [ "$1" -eq "$2" ] 2>/dev/null; then
		t_pass
	else
		t_fail "$3: exit status $1, expected $2"
	fi
}

# t_status RC WHAT: an exit status 0, saying "hung" for timeout's 124 or 137.
t_status() {
	if [ "$1" -eq 0 ]; then
		t_pass
	elif [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then
		t_fail "$2: hung (killed by timeout after ${LIMIT}s)"
	else
		t_fail "$2: exit status $1, expected 0"
	fi
}

# t_value FILE KEY: the word after "KEY " on the line of FILE that starts
# with it (the progs print "key value" lines).
t_value() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# jq helpers shared by the tests' filters: the sites / groups whose stack
# has a frame with function F, and the function names of a stack.
T_JQ_DEFS='
def fns: [.stack[]?.function];
def has_fn($f): (fns | index($f)) != null;
def site($f): [.sockets.sites[] | select(has_fn($f))];
def group($f): [.sockets.groups[] | select(has_fn($f))];
'

# t_site JSON FUNCTION EXPECTED: the one site whose stack holds FUNCTION
# has {open, created, closed} == EXPECTED (e.g. '{"open":1,"created":1,"closed":0}').
t_site() {
	local json=$1 fn=$2 want=$3 got
	got=$(jq -c "$T_JQ_DEFS"'site($f) | if length == 1 then .[0] | {open, created, closed}
	      else "\(length) sites with \($f)" end' --arg f "$fn" "$json" 2>&1)
	if [ "$got" = "$want" ]; then
		t_pass
	else
		t_fail "site of $fn: expected $want, got $got ($(basename "$json"))"
	fi
}

# t_group JSON FUNCTION FILTER EXPECTED: FILTER applied to the one group
# (a site with open sockets) whose stack holds FUNCTION.
t_group() {
	local json=$1 fn=$2 filter=$3 want=$4 got
	got=$(jq -c "$T_JQ_DEFS"'group($f) | if length == 1 then .[0] | '"$filter"'
	      else "\(length) groups with \($f)" end' --arg f "$fn" "$json" 2>&1)
	if [ "$got" = "$want" ]; then
		t_pass
	else
		t_fail "group of $fn, $filter: expected $want, got $got ($(basename "$json"))"
	fi
}

# t_totals JSON CREATED CLOSED OPEN: .sockets totals.
t_totals() {
	t_eq "$1" '[.sockets.created, .sockets.closed, .sockets.open]' "[$2,$3,$4]" \
		"$(basename "$1"): sockets [created, closed, open]"
}

# t_clean_events JSON: every claimed event was recorded whole, none lost.
t_clean_events() {
	t_eq "$1" '[.events.torn, .dropped, (.events.claimed - .events.recorded), ([.losses[]] | add)]' \
		'[0,0,0,0]' "$(basename "$1"): [torn, dropped, claimed-recorded, losses]"
}

# t_wait_file FILE PATTERN SECS: waits (bounded) until FILE has a line
# matching PATTERN (grep -E).
t_wait_file() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
