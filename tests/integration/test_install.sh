#!/bin/bash
# `make install PREFIX=...` puts tally and libtally.so where an installed
# tally finds its own shim (PREFIX/bin/tally -> PREFIX/lib/tally/libtally.so),
# without TALLY_LIB and from any working directory.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$TOP" install PREFIX="$tmp/prefix" >/dev/null || fail "make install"
[ -x "$tmp/prefix/bin/tally" ] || fail "no bin/tally"
[ -f "$tmp/prefix/lib/tally/libtally.so" ] || fail "no lib/tally/libtally.so"

cd "$tmp"
out=$(env -u TALLY_LIB "$tmp/prefix/bin/tally" run --log "$tmp/l.%p" -- \
	"$TOP/build/examples/gateway" --bug --cycles 1 --packets 3 2>"$tmp/err") ||
	fail "installed tally run failed: $(cat "$tmp/err")"
grep -q "^tally: log: $tmp/l\." "$tmp/err" || fail "no log line: $(cat "$tmp/err")"
echo "$out" | grep -q "2 open at the end" || fail "report: $out"
echo "PASS: installed tally finds its shim and reports 2 leaked sockets"
