#!/bin/bash
# Runs every test: each cmocka unit binary, then each integration script.
# A test passes when it exits 0.  Ends with the line "N passed, M failed".
# TESTS=pattern limits the run to tests whose name contains the pattern.
set -u
cd "$(dirname "$0")/.."
export JANUS_TEST_REQUIRED=1
export TALLY="$PWD/build/tally" TALLY_LIB="$PWD/build/libtally.so" TOP="$PWD"
passed=0 failed=0 failures=()
# Each test's output is kept, so the failures can be shown again at the end:
# CI logs often show only the tail of a run.
outdir=$(mktemp -d "${TMPDIR:-/tmp}/tally-tests.XXXXXX") || exit 2
trap 'rm -rf "$outdir"' EXIT

run_one() {
	local name=$1; shift
	case "$name" in *"${TESTS:-}"*) ;; *) return ;; esac
	echo "=== $name"
	local start=$SECONDS
	local out="$outdir/$(echo "$name" | tr / _).out"
	# Only stdin, stdout and stderr go to the test, as from a clean login:
	# tests check fd numbers, and a CI runner may leave other fds open.
	( for fd in /proc/self/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && eval "exec $fd>&-"
	  done
	  exec timeout 600 "$@" ) 2>&1 | tee "$out"
	if [ "${PIPESTATUS[0]}" -eq 0 ]; then
		passed=$((passed + 1)); echo "--- PASS $name ($((SECONDS - start))s)"
	else
		failed=$((failed + 1)); failures+=("$name"); echo "--- FAIL $name ($((SECONDS - start))s)"
	fi
}

for t in build/unit/test_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in tests/integration/test_*.sh tests/janus/selftest_compare.sh tests/janus/test_janus.sh; do
	[ -f "$t" ] || continue
	run_one "${t#tests/}" bash "$t"
done

echo
for name in "${failures[@]}"; do
	echo "=== what $name printed (its failures and last lines):"
	out="$outdir/$(echo "$name" | tr / _).out"
	grep -a -E 'FAIL|MISMATCH|Error|error' "$out" | grep -v -- '^--- FAIL' | head -40
	echo "  ..."
	tail -n 15 "$out"
done
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
