# shellcheck shell=bash
# tests/integration/refdump.sh — what the reference-book tests
# (test_ref_*.sh) share, on top of lib.sh: reading a log's books with
# build/progs/ref_logdump (a reader of its own, independent of the
# analyzer) and questions about them.
#
# A dump (see tests/progs/ref_logdump.c) has "log", "rule", "type",
# "object", "violation" and "stack" lines; stack frames are
# MODULE+0xOFF:FUNCTION, innermost first.  "The function of a frame" below
# is that FUNCTION, from the module file's own symbol table.

t_prog ref_logdump
LOGDUMP=$T_BIN

# The awk functions the questions share.  Pass 1 (NR == FNR) reads the
# stacks; pass 2 the other lines.
R_AWK_DEFS='
function fn_of(frame,   i) { i = index(frame, ":"); return substr(frame, i + 1) }
function stack_has(id, fn,   n, f, i) {
	n = split(stacks[id], f, " ")
	for (i = 1; i <= n; i++) if (fn_of(f[i]) == fn) return 1
	return 0
}
function stack_top(id,   f) { split(stacks[id], f, " "); return fn_of(f[1]) }
function field(name,   i) { for (i = 1; i < NF; i++) if ($i == name) return $(i + 1); return "" }
NR == FNR { if ($1 == "stack") { id = $2; $1 = ""; $2 = ""; stacks[id] = $0 }; next }
'

# r_dump LOG NAME: dumps LOG into $T_TMP/NAME.dump and sets D to it.  A log
# ref_logdump cannot read ends the test.
r_dump() {
	D="$T_TMP/$2.dump"
	if ! "$LOGDUMP" "$1" >"$D" 2>"$D.err"; then
		t_fatal "ref_logdump $1: $(cat "$D.err")"
	fi
}

# r_header DUMP FIELD: a field of the "log" line (objects_live, violations, ...).
r_header() { awk -v k="$2" '$1 == "log" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }

# r_type DUMP TYPE FIELD: a counter of a type (created, first_seen_inc, ...).
r_type() {
	awk -v t="$2" -v k="$3" '$1 == "type" && $3 == t { for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

# r_rule DUMP FUNCTION FIELD: a field of a rule (flags, entries, got_sites, calls).
r_rule() {
	awk -v f="$2" -v k="$3" '$1 == "rule" && $3 == f { for (i = 4; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

# r_live DUMP TYPE [CREATOR]: the addresses (one per line, sorted) of the
# live objects of TYPE ("*": any) whose creation stack has a frame in
# function CREATOR (any creation when not given).
r_live() {
	awk -v t="$2" -v c="${3:-}" "$R_AWK_DEFS"'
		$1 == "object" && (t == "*" || field("type") == t) &&
		(c == "" || stack_has(field("create_stack"), c)) { print $2 }' "$1" "$1" | sort
}

# r_count DUMP TYPE [CREATOR]: how many r_live finds.
r_count() { r_live "$@" | grep -c .; }

# r_obj DUMP ADDR FIELD: a field of the live object at ADDR (type, net,
# flags, create_stack, unstacked, cells).
r_obj() {
	awk -v a="$2" -v k="$3" '$1 == "object" && $2 == a { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"
}

# r_cells DUMP ADDR FN: "N:SUM" — how many cells of the object at ADDR have
# a stack whose innermost frame is in function FN, and their net sum.
r_cells() {
	awk -v a="$2" -v fn="$3" "$R_AWK_DEFS"'
		$1 == "object" && $2 == a {
			n = split(field("cells"), c, ",")
			for (i = 1; i <= n; i++) {
				split(c[i], sn, ":")
				if (stack_top(sn[1]) == fn) { k++; sum += sn[2] }
			}
		}
		END { printf "%d:%d\n", k, sum }' "$1" "$1"
}

# r_cells_total DUMP ADDR: the net sum of all cells of the object at ADDR
# plus its unstacked remainder (equals its net when the books add up).
r_cells_total() {
	awk -v a="$2" "$R_AWK_DEFS"'
		$1 == "object" && $2 == a {
			n = split(field("cells"), c, ",")
			for (i = 1; i <= n; i++) { split(c[i], sn, ":"); sum += sn[2] }
			sum += field("unstacked")
		}
		END { print sum + 0 }' "$1" "$1"
}

# r_violations DUMP [TYPE]: the number of violation events (of TYPE).
r_violations() { awk -v t="${2:-}" '$1 == "violation" && (t == "" || $3 == "type" && $4 == t)' "$1" | grep -c .; }

# r_no_violations DUMP WHAT: no violation counted or recorded, and no type
# counted an underflow or a reference after release.
r_no_violations() {
	t_same "$(r_header "$1" violations)/$(r_violations "$1")" "0/0" "$2: violations (header/events)"
	t_same "$(awk '$1 == "type" { for (i = 4; i < NF; i++) if ($i == "underflow" || $i == "after_release") s += $(i + 1) } END { print s + 0 }' "$1")" \
		0 "$2: underflow + after_release over all types"
}

# r_types_note DUMP TYPE...: one line per type with its blind-spot counters,
# for the test's output.
r_types_note() {
	local d=$1 ty; shift
	for ty in "$@"; do
		t_log "$(basename "$d" .dump) $ty: $(awk -v t="$ty" '$1 == "type" && $3 == t { $1 = $2 = $3 = ""; print }' "$d")"
	done
}

# r_line FILE FUNCTION PATTERN: the line number in FILE of the first line
# matching PATTERN (grep -E) after the line that starts FUNCTION's definition.
r_line() {
	awk -v fn="$2" -v pat="$3" 'index($0, fn "(") && /^[A-Za-z_]/ && !/;$/ { inside = 1; next }
		inside && $0 ~ pat { print NR; exit }' "$1"
}

# r_json_books JSON: whether `tally report --json` has the books ("objects"
# with "types", and "verdicts"): the analyzer's checks run only then.  A
# report without them is a failure of its own, never a silent skip.
r_json_books() {
	if [ "$(jq -c '(.objects | type) == "object" and (.objects.types | type) == "array" and
	             (.verdicts | type) == "array"' "$1" 2>/dev/null)" = true ]; then
		return 0
	fi
	t_fail "$(basename "$1"): the report has no books (objects, types, verdicts)"
	return 1
}

# r_json_live JSON TYPE: the report's count of live objects of TYPE (0 if
# the type is not listed).
r_json_live() { jq -c --arg t "$2" '[.objects.types[] | select(.type == $t) | .live] | add // 0' "$1"; }

# r_json_verdicts_consistent JSON WHAT: every verdict's line lies in its
# function (a frame of its stack has both), and there is one.
r_json_verdicts_consistent() {
	t_same "$(jq -c '[.verdicts[] | select(.line != null) | . as $v |
		select([.stack[] | select(.function == $v.function and .line == $v.line)] |
		       length == 0) | [.function, .line]]' "$1")" "[]" \
		"$2: report: each verdict's function holds its line"
	t_same "$(jq '.verdicts | length > 0' "$1")" true "$2: report: verdicts"
}

# r_json_verdict JSON TYPE FUNCTION [LINE]: whether a verdict on TYPE names
# FUNCTION (at LINE, if given) as where the reference was taken: the
# innermost frame of its stack, or the verdict's own function and line.
r_json_verdict() {
	jq -e --arg t "$2" --arg f "$3" --arg l "${4:-}" '
		def at($fn; $ln): $fn == $f and ($l == "" or ($ln | tostring) == $l);
		[.verdicts[] | select(.type == $t) |
		 select(at(.stack[0].function; .stack[0].line) or at(.function; .line))] |
		length > 0' "$1" >/dev/null 2>&1
}
