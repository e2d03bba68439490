# shellcheck shell=bash
# tests/integration/rev_lib.sh — what the review tests (test_rev_*.sh)
# share, on top of lib.sh and refdump.sh: running a build/progs/rev_*
# program without tally and with the shim preloaded, and comparing.

. "$(dirname "${BASH_SOURCE[0]}")/refdump.sh"
PROGS=$TOP/build/progs
REV_RULES='t: rv_new = new; t: rv_new_cb = new; t: rv_ref = inc; t: rv_unref = dec; t: rv_unref_cb = dec'

# rev_base NAME PROG [ARGS...]: PROG without tally; output in $T_TMP/NAME.base.out.
rev_base() {
	local name=$1 prog=$2 rc
	shift 2
	timeout -k 5 "$LIMIT" "$PROGS/$prog" "$@" >"$T_TMP/$name.base.out" 2>"$T_TMP/$name.base.err"
	rc=$?
	t_status $rc "$name: $prog without tally"
}

# rev_run NAME PROG [VAR=VALUE...] -- [ARGS...]: PROG with the shim preloaded
# and TALLY_LOG=$T_TMP/NAME.log; checks exit 0 and the same output as
# rev_base NAME.  Sets R=$T_TMP/NAME and REV_RC.
rev_run() {
	local name=$1 prog=$2
	local -a envs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	R=$T_TMP/$name
	rm -f "$R.log"
	timeout -k 5 "$LIMIT" env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$R.log" "${envs[@]}" \
		"$PROGS/$prog" "$@" >"$R.out" 2>"$R.err"
	REV_RC=$?
	t_status $REV_RC "$name: $prog under tally (stderr: $(head -c 300 "$R.err"))"
	t_same_file "$R.out" "$T_TMP/$name.base.out" "$name: $prog's own results under tally"
}
