#!/bin/bash
# Runs every test: each cmocka unit binary, then each integration script.
# A test passes when it exits 0.  Ends with the line "N passed, M failed".
# TESTS=pattern limits the run to tests whose name contains the pattern.
set -u
cd "$(dirname "$0")/.."
export JANUS_TEST_REQUIRED=1
export TALLY="$PWD/build/tally" TALLY_LIB="$PWD/build/libtally.so" TOP="$PWD"
passed=0 failed=0 failures=()

run_one() {
	local name=$1; shift
	case "$name" in *"${TESTS:-}"*) ;; *) return ;; esac
	echo "=== $name"
	local start=$SECONDS
	if timeout 600 "$@"; then
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
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
