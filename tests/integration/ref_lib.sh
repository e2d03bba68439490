# shellcheck shell=bash
# tests/integration/ref_lib.sh — what test_ref_got.sh and
# test_ref_warnings.sh share, on top of lib.sh and refdump.sh: running
# tests/progs/ref_got under the preloaded shim with given TALLY_* settings,
# and its books as lines a test compares whole:
#
#   header objects_live N objects_untracked N violations N
#   rule FUNCTION role ROLE type TYPE found 0|1 entries N got_sites N calls N
#   type NAME created N first_seen_inc N ... nested N       (ref_logdump's)
#   object NAME type TYPE net N flags F created_at FUNCTION unstacked N
#   cell NAME FUNCTION NET      the object's cells whose stack's innermost
#                               frame is in FUNCTION, summed
#   violation KIND NAME TYPE certain 0|1
#
# NAME is the program's name for the object (a, b, c, d: its OBJECTS
# file), else its address.  Source after lib.sh.

. "$(dirname "${BASH_SOURCE[0]}")/refdump.sh"
t_prog ref_got
t_prog ref_got_lazy
PROGS=$TOP/build/progs

# The rules of the main runs.
RULES='t: gl_ref = inc; t: gl_unref = dec; t: gl_new = new'

# plugin_of PROG: the plugin PROG loads (ref_got: RTLD_NOW, its slot in
# RELRO; ref_got_lazy: RTLD_LAZY, its slot still lazy).
plugin_of() {
	local dir=$PROGS/
	# REF_PLUGIN_BARE=1: the bare name, which the programs' RUNPATH
	# ($ORIGIN) finds
	[ "${REF_PLUGIN_BARE:-0}" = 1 ] && dir=
	case $1 in
	ref_got) echo "${dir}libgotplugin_now.so" ;;
	*) echo "${dir}libgotplugin.so" ;;
	esac
}

# ref_baseline PROG: runs PROG without tally into $T_TMP/PROG.base.out.
ref_baseline() {
	local prog=$1 rc
	timeout -k 5 "$LIMIT" "$PROGS/$prog" "$(plugin_of "$prog")" "$T_TMP/$prog.base.objects" \
		>"$T_TMP/$prog.base.out" 2>"$T_TMP/$prog.base.err"
	rc=$?
	t_rc $rc 0 "$prog without tally"
	if [ -s "$T_TMP/$prog.base.err" ]; then
		t_fail "$prog without tally wrote to stderr: $(cat "$T_TMP/$prog.base.err")"
	fi
}

# ref_view DUMP OBJECTS: the lines described at the top.
ref_view() {
	awk -v objs="$2" "$R_AWK_DEFS"'
		function name_of(addr) { return (addr in names) ? names[addr] : addr }
		BEGIN { while ((getline l < objs) > 0) { split(l, w, " "); if (w[1] == "object") names[w[3]] = w[2] } }
		$1 == "log" {
			print "header objects_live", field("objects_live"), "objects_untracked",
			      field("objects_untracked"), "violations", field("violations")
		}
		$1 == "rule" {
			print "rule", $3, "role", field("role"), "type", field("type"), "found",
			      (field("flags") ~ /FOUND/) ? 1 : 0, "entries", field("entries"),
			      "got_sites", field("got_sites"), "calls", field("calls")
		}
		$1 == "type" { s = $0; sub(/^type [0-9]+ [^ ]+ flags [^ ]+ /, "", s); print "type", $3, s }
		$1 == "object" {
			n = name_of($2)
			print "object", n, "type", field("type"), "net", field("net"), "flags", field("flags"),
			      "created_at", stack_top(field("create_stack")), "unstacked", field("unstacked")
			split("", sum)
			k = split(field("cells"), c, ",")
			for (i = 1; i <= k; i++)
				if (split(c[i], sn, ":") == 2)
					sum[stack_top(sn[1])] += sn[2]
			for (f in sum)
				print "cell", n, f, sum[f]
		}
		$1 == "violation" { print "violation", $2, name_of(field("addr")), field("type"), "certain", field("certain") }
	' "$1" "$1"
}

# ref_run NAME PROG [VAR=VALUE...]: runs PROG with the shim preloaded,
# TALLY_LOG=$T_TMP/NAME.log and the given settings.  Checks it exited 0
# and printed what it prints without tally, then puts its books into
# $T_TMP/NAME.view.  Sets R (the path prefix $T_TMP/NAME: .out .err
# .objects .log .dump .view).
ref_run() {
	local name=$1 prog=$2 rc
	shift 2
	R=$T_TMP/$name
	rm -f "$R.log"
	timeout -k 5 "$LIMIT" env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$R.log" "$@" \
		"$PROGS/$prog" "$(plugin_of "$prog")" "$R.objects" >"$R.out" 2>"$R.err"
	rc=$?
	t_status $rc "$name: $prog under tally"
	t_same_file "$R.out" "$T_TMP/$prog.base.out" "$name: $prog's own results under tally"
	if [ ! -f "$R.log" ]; then
		t_fail "$name: no log $R.log; stderr: $(cat "$R.err")"
		: >"$R.view"
		return
	fi
	r_dump "$R.log" "$name"
	ref_view "$D" "$R.objects" >"$R.view"
}

# expect_lines FILE WHAT LINE...: FILE holds exactly these lines (any order).
expect_lines() {
	local file=$1 what=$2
	shift 2
	if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi | LC_ALL=C sort >"$file.want"
	LC_ALL=C sort "$file" >"$file.got"
	t_same_file "$file.got" "$file.want" "$what"
}

# expect_view KIND WHAT LINE...: the lines of the last run's books that
# start with KIND ("rule", "type", "object|cell", ...) are exactly these.
expect_view() {
	local kind=$1 what=$2 part
	shift 2
	part=$R.view.$(printf '%s' "$kind" | tr -c 'a-z' _)
	grep -E "^($kind) " "$R.view" >"$part" || true
	expect_lines "$part" "$what" "$@"
}

# reloc_kinds FILE SYMBOL: one line per GOT relocation of SYMBOL in FILE:
# "JUMP_SLOT relro", "GLOB_DAT plain", ... (relro: the slot lies in
# PT_GNU_RELRO, read-only once loaded).
reloc_kinds() {
	local file=$1 sym=$2 lo=0 size=0 off info type value name rest
	read -r lo size < <(readelf -lW "$file" | awk '$1 == "GNU_RELRO" { print $3, $6 }')
	readelf -rW "$file" | while read -r off info type value name rest; do
		[ "$name" = "$sym" ] || continue
		case $type in R_X86_64_JUMP_SLOT | R_X86_64_GLOB_DAT) ;; *) continue ;; esac
		if ((0x$off >= ${lo:-0} && 0x$off < ${lo:-0} + ${size:-0})); then
			echo "${type#R_X86_64_} relro"
		else
			echo "${type#R_X86_64_} plain"
		fi
	done
}
