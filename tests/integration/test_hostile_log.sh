#!/bin/bash
# `tally report` on a log whose strings were crafted or damaged: a module
# path naming a FIFO, a directory or a device must not hang the symbolizer
# (the frames keep module + offset only), and an exe field without its NUL,
# with bytes that are not UTF-8 or with control characters must still give
# JSON that jq parses and text that carries no raw control bytes.
. "$(dirname "$0")/lib.sh"

# Offsets from the format header itself, so the test follows its layout.
cat >"$T_TMP/offsets.c" <<'EOF'
#include <stddef.h>
#include <stdio.h>
#include "tally/format.h"
int main(void)
{
	printf("exe %zu\n", offsetof(struct tally_header, exe));
	printf("exe_size %zu\n", sizeof(((struct tally_header *)0)->exe));
	printf("modules_off %zu\n", offsetof(struct tally_header, modules_off));
	printf("modules_used %zu\n", offsetof(struct tally_header, modules_used));
	printf("max_modules %zu\n", offsetof(struct tally_header, max_modules));
	printf("module_size %zu\n", sizeof(struct tally_module));
	printf("module_committed %zu\n", offsetof(struct tally_module, committed));
	printf("module_path %zu\n", offsetof(struct tally_module, path));
	printf("path_size %zu\n", sizeof(((struct tally_module *)0)->path));
	return 0;
}
EOF
"${CC:-cc}" -I"$TOP/include" -o "$T_TMP/offsets" "$T_TMP/offsets.c" ||
	t_fatal "cannot build the offsets helper"
eval "$("$T_TMP/offsets" | awk '{ printf "OFF_%s=%s\n", $1, $2 }')"

# utf8_ok FILE WHAT: FILE is valid UTF-8 (jq alone would not say: it reads
# invalid bytes as U+FFFD).  Skipped without iconv.
utf8_ok() {
	command -v iconv >/dev/null || return 0
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 && t_pass || t_fail "$2: not valid UTF-8"
}

get_u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
get_u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
# put_bytes FILE OFFSET SIZE: stdin, NUL-padded to SIZE bytes, at OFFSET.
put_bytes() {
	{ head -c "$3"; head -c "$3" /dev/zero; } | head -c "$3" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# A log with a leaked socket, so that the report symbolizes a stack whose
# frames lie in the program, libc and the shim.
t_prog fd_threads
t_run_ok "$T_TMP/good.log" -- "$T_BIN" 1 1 1
GOOD=$T_TMP/good.log
t_report "$GOOD" good
t_true "$T_JSON" '[.sockets.groups[].stack[].function] | any(. != null)' \
	"good log: the leaked socket's stack has named frames"

MODOFF=$(get_u64 "$GOOD" "$OFF_modules_off")
NMOD=$(get_u32 "$GOOD" "$OFF_modules_used")
MAXMOD=$(get_u32 "$GOOD" "$OFF_max_modules")
[ "$NMOD" -le "$MAXMOD" ] || NMOD=$MAXMOD
[ "$NMOD" -gt 0 ] || t_fatal "the good log lists no module"

# set_module_paths LOG PATH: every committed module entry names PATH.
set_module_paths() {
	local i entry
	for ((i = 0; i < NMOD; i++)); do
		entry=$((MODOFF + i * OFF_module_size))
		[ "$(get_u32 "$1" $((entry + OFF_module_committed)))" = 1 ] || continue
		printf '%s' "$2" | put_bytes "$1" $((entry + OFF_module_path)) "$OFF_path_size"
	done
}

# report_limited NAME LOG [--json]: `tally report` within 5 s into
# $T_TMP/NAME.out; sets T_RC and fails the test on a hang or exit != 0.
report_limited() {
	local name=$1 log=$2; shift 2
	timeout -k 2 5 "$TALLY" report "$@" "$log" >"$T_TMP/$name.out" 2>"$T_TMP/$name.err"
	T_RC=$?
	if [ "$T_RC" -eq 124 ] || [ "$T_RC" -eq 137 ]; then
		t_fail "$name: tally report${*:+ $*} did not finish within 5 s (hangs)"
	else
		t_rc "$T_RC" 0 "$name: tally report${*:+ $*}"
	fi
}

# ---- module paths that are not regular files ---------------------------
mkfifo "$T_TMP/fifo"
mkdir "$T_TMP/dir"
for target in "$T_TMP/fifo" "$T_TMP/dir" /dev/zero /dev/null; do
	name=mod-$(basename "$target")
	cp "$GOOD" "$T_TMP/$name.log"
	set_module_paths "$T_TMP/$name.log" "$target"
	report_limited "$name" "$T_TMP/$name.log" --json
	if [ "$T_RC" -ne 0 ]; then
		:   # said above
	elif jq -e . "$T_TMP/$name.out" >/dev/null 2>&1; then
		t_pass
		# No file to read: module + offset only, every frame.
		got=$(jq -c --arg m "$target" '[.sockets.groups[].stack[]] | length > 0 and
			all(.module == $m and .function == null and .file == null)' "$T_TMP/$name.out")
		t_same "$got" true "$name: every frame is module + offset only"
	else
		t_fail "$name: not JSON: $(head -c 300 "$T_TMP/$name.out")"
	fi
	report_limited "$name-text" "$T_TMP/$name.log"
	if [ "$T_RC" -eq 0 ]; then
		grep -qF "$(basename "$target")+0x" "$T_TMP/$name-text.out" && t_pass ||
			t_fail "$name: text report shows no '$(basename "$target")+0x' frame"
	fi
done

# ---- exe without a NUL, and not UTF-8 ----------------------------------
cp "$GOOD" "$T_TMP/exe-ff.log"
head -c "$OFF_exe_size" /dev/zero | tr '\0' '\377' |
	put_bytes "$T_TMP/exe-ff.log" "$OFF_exe" "$OFF_exe_size"
report_limited exe-ff "$T_TMP/exe-ff.log" --json
if jq -e . "$T_TMP/exe-ff.out" >/dev/null 2>&1; then
	t_pass
	# One U+FFFD per byte, and nothing read past the field.
	t_eq "$T_TMP/exe-ff.out" '.process.exe | [length, (explode | unique)]' \
		"[$OFF_exe_size,[65533]]" "exe of 0xff bytes: [length, code points]"
	t_totals "$T_TMP/exe-ff.out" 2 1 1
	utf8_ok "$T_TMP/exe-ff.out" "exe of 0xff bytes: JSON report"
else
	t_fail "exe of 0xff bytes: not JSON: $(head -c 300 "$T_TMP/exe-ff.out")"
fi
report_limited exe-ff-text "$T_TMP/exe-ff.log"
line=$(grep -a '^process ' "$T_TMP/exe-ff-text.out")
want=$(printf 'process %s (%s), ' "$(t_jq "$T_JSON" .process.pid)" \
	"$(head -c "$OFF_exe_size" /dev/zero | tr '\0' x | sed 's/x/\xef\xbf\xbd/g')")
case "$line" in
"$want"*) t_pass ;;
*) t_fail "exe of 0xff bytes: text line is '$(printf '%s' "$line" | head -c 80)...'" ;;
esac
utf8_ok "$T_TMP/exe-ff-text.out" "exe of 0xff bytes: text report"

# ---- exe with control characters, quotes and a terminal escape ---------
cp "$GOOD" "$T_TMP/exe-ctl.log"
printf '/bin/a"b\\c\tE\033[31mR\177\302\233\303\251\n' |
	put_bytes "$T_TMP/exe-ctl.log" "$OFF_exe" "$OFF_exe_size"
report_limited exe-ctl "$T_TMP/exe-ctl.log" --json
if jq -e . "$T_TMP/exe-ctl.out" >/dev/null 2>&1; then
	t_pass
	t_eq "$T_TMP/exe-ctl.out" '.process.exe | explode' \
		'[47,98,105,110,47,97,34,98,92,99,9,69,27,91,51,49,109,82,127,155,233,10]' \
		"exe with control characters: code points"
	grep -q "$(printf '\033')" "$T_TMP/exe-ctl.out" &&
		t_fail "exe with control characters: raw ESC in the JSON" || t_pass
else
	t_fail "exe with control characters: not JSON: $(head -c 300 "$T_TMP/exe-ctl.out")"
fi
report_limited exe-ctl-text "$T_TMP/exe-ctl.log"
grep -qF 'process '"$(t_jq "$T_JSON" .process.pid)"' (/bin/a"b\c\x09E\x1b[31mR\x7f\u009bé\x0a), ' \
	"$T_TMP/exe-ctl-text.out" && t_pass ||
	t_fail "exe with control characters: text line is '$(grep -a '^process ' "$T_TMP/exe-ctl-text.out" | cat -v)'"
LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$T_TMP/exe-ctl-text.out" &&
	t_fail "exe with control characters: raw control bytes in the text report" || t_pass

# ---- module paths without a NUL, and not UTF-8 ------------------------
cp "$GOOD" "$T_TMP/mod-ff.log"
set_module_paths "$T_TMP/mod-ff.log" "$(head -c "$OFF_path_size" /dev/zero | tr '\0' '\377')"
report_limited mod-ff "$T_TMP/mod-ff.log" --json
jq -e . "$T_TMP/mod-ff.out" >/dev/null 2>&1 && t_pass ||
	t_fail "module paths of 0xff bytes: not JSON: $(head -c 300 "$T_TMP/mod-ff.out")"
utf8_ok "$T_TMP/mod-ff.out" "module paths of 0xff bytes: JSON report"
report_limited mod-ff-text "$T_TMP/mod-ff.log"
utf8_ok "$T_TMP/mod-ff-text.out" "module paths of 0xff bytes: text report"

t_done
