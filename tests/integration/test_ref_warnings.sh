#!/bin/bash
# Rules that cannot apply never stop the program: tests/progs/ref_got (see
# test_ref_got.sh) runs under the shim with the gotlib rules plus one that
# names a function that exists nowhere, one that cannot be parsed (in
# TALLY_RULES and on line 3 of a TALLY_RULES_FILE), both, an unknown
# preset, a preset none of whose functions exists, an unreadable rules
# file and a bad TALLY_HOOK.  Each gives exactly its one warning line on
# stderr (and nothing else is printed), the program's results are the
# same as without tally, and the good rules still keep the books: a alive
# with net 2 and its cells per call site.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ref_lib.sh"

ref_baseline ref_got

# books_intact WHAT HOOK: the books of a and d as test_ref_got.sh expects
# them with entry (or got) hooks.
books_intact() {
	local own=("cell d gl_use_own 1") dnet=2
	if [ "$2" = got ]; then own=() dnet=1; fi
	expect_view "object|cell" "$1: live objects and their cells" \
		"object a type t net 2 flags created created_at site_new unstacked 0" \
		"cell a site_new 1" "cell a site_plt_ref 2" "cell a site_ptr_ref 1" "cell a gotplugin_ref 2" "cell a site_unref -4" \
		"object d type t net $dnet flags created created_at site_new unstacked 0" \
		"cell d site_new 1" "${own[@]}"
	expect_view header "$1: header" "header objects_live 2 objects_untracked 0 violations 0"
}

BAD_ROLE='tally: TALLY_RULES line 1: ignoring rule "t: gl_extra = bump": unknown role (new, inc, dec, free, sink, take, lifetime)'
MISSING='tally: rule no_such_fn (inc): no such function in the process (yet)'

for hook in entry got; do
	# a function that exists nowhere
	ref_run "missing.$hook" ref_got TALLY_HOOK=$hook TALLY_RULES="$RULES; t: no_such_fn = inc"
	expect_lines "$R.err" "missing function, $hook: stderr" "$MISSING"
	books_intact "missing function, $hook" $hook
	t_same "$(grep '^rule no_such_fn ' "$R.view")" \
		"rule no_such_fn role inc type t found 0 entries 0 got_sites 0 calls 0" \
		"missing function, $hook: its rule"

	# a rule that cannot be parsed
	ref_run "badrole.$hook" ref_got TALLY_HOOK=$hook TALLY_RULES="$RULES; t: gl_extra = bump"
	expect_lines "$R.err" "bad rule, $hook: stderr" "$BAD_ROLE"
	books_intact "bad rule, $hook" $hook
	t_same "$(grep -c '^rule ' "$R.view")" 3 "bad rule, $hook: rules in the log"

	# both: one line each
	ref_run "both.$hook" ref_got TALLY_HOOK=$hook \
		TALLY_RULES="t: gl_extra = bump; $RULES; t: no_such_fn = inc"
	expect_lines "$R.err" "both, $hook: stderr" "$BAD_ROLE" "$MISSING"
	books_intact "both, $hook" $hook
done

# With the coverage lines: the missing rule is said once, not twice.
ref_run missing.report ref_got TALLY_RULES="$RULES; t: no_such_fn = inc" TALLY_REPORT_HOOKS=1
expect_lines "$R.err" "missing function, coverage lines: stderr" "$MISSING" \
	"tally: rule gl_ref (inc, t): 1 entry, 0 GOT sites" \
	"tally: rule gl_unref (dec, t): 1 entry, 0 GOT sites" \
	"tally: rule gl_new (new, t): 1 entry, 0 GOT sites"

# A rules file: the warning names the file and the line.
RF=$T_TMP/gotlib.rules
printf '%s\n' "# the gotlib rules" "t: gl_ref = inc" "t: gl_unref = dec(9)" \
	"t: gl_new = new   # creations" "t: gl_unref = dec" >"$RF"
ref_run file ref_got TALLY_RULES_FILE="$RF"
expect_lines "$R.err" "rules file: stderr" \
	"tally: $RF line 3: ignoring rule \"t: gl_unref = dec(9)\": the object must be one of the first 6 arguments (0-5)"
books_intact "rules file" entry
# The shim reads the file with its own open and close: no event of the
# program's (a process that makes no call of its own records nothing).
env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/true.log" TALLY_RULES_FILE="$RF" /bin/true 2>/dev/null
t_report "$T_TMP/true.log" true
t_eq "$T_JSON" '.events.claimed' 0 "rules file: the shim's own reading of it is no event"

# TALLY_RULES and TALLY_RULES_FILE together; the file cannot be read.
ref_run nofile ref_got TALLY_RULES="$RULES" TALLY_RULES_FILE="$T_TMP/none.rules"
expect_lines "$R.err" "unreadable rules file: stderr" \
	"tally: cannot read TALLY_RULES_FILE $T_TMP/none.rules: No such file or directory"
books_intact "unreadable rules file" entry

# An unknown preset.
ref_run preset.unknown ref_got TALLY_RULES="gobjekt; $RULES"
expect_lines "$R.err" "unknown preset: stderr" \
	"tally: TALLY_RULES line 1: ignoring rule \"gobjekt\": unknown preset (presets: gobject, gst, glib, gateway)"
books_intact "unknown preset" entry

# A preset none of whose functions exists here: one line for the preset,
# none per function.
ref_run preset.absent ref_got TALLY_RULES="gateway
$RULES"
expect_lines "$R.err" "absent preset: stderr" \
	"tally: no function named by the presets exists in the process (yet)"
books_intact "absent preset" entry
t_same "$(grep -c '^rule gw_publisher' "$R.view")" 3 "absent preset: its rules are in the log"

# A bad TALLY_HOOK: one line, and the default (entry) applies.
ref_run badhook ref_got TALLY_RULES="$RULES" TALLY_HOOK=gott
expect_lines "$R.err" "bad TALLY_HOOK: stderr" \
	'tally: ignoring TALLY_HOOK="gott": expected entry or got; using entry'
books_intact "bad TALLY_HOOK" entry

# Nothing at all to hook: the program runs and the books stay empty.
ref_run none ref_got TALLY_RULES="# nothing;;"
expect_lines "$R.err" "no rules: stderr"
t_same "$(grep -c -E '^(rule|object|cell) ' "$R.view")" 0 "no rules: books"

# Under tally run, for a shell that runs three processes: each problem is
# said once for the whole run, by tally run (a bad rule before it starts, a
# rule or preset that named nothing in any process at its end), not once
# per process.
"$TALLY" run --log "$T_TMP/sh.log" --rules 'gateway; t: gl_extra = bump; t: no_such_fn = inc' \
	-- sh -c 'true; /bin/true; /bin/true' >"$T_TMP/sh.out" 2>"$T_TMP/sh.err"
t_rc $? 0 "tally run of a shell with bad rules"
grep '^tally: ' "$T_TMP/sh.err" | grep -v -e '^tally: log: ' -e 'logs\? of processes' >"$T_TMP/sh.warn"
expect_lines "$T_TMP/sh.warn" "tally run, a shell: warnings" \
	'tally: --rules line 1: ignoring rule "t: gl_extra = bump": unknown role (new, inc, dec, free, sink, take, lifetime)' \
	'tally: rule no_such_fn (inc): no such function in any process of the run' \
	'tally: no function named by the presets exists in any process of the run'

# Two processes where the rules match (the gateway, twice): the rule that
# names nothing is still said once; a relative --rules-file is found after
# COMMAND changes directory.
GW=$TOP/build/examples/gateway
printf 'gateway\nt: no_such_fn = inc\n' >"$T_TMP/rel.rules"
(cd "$T_TMP" && "$TALLY" run --log "$T_TMP/gw.log" --rules-file rel.rules \
	-- sh -c "cd / && '$GW' --cycles 1 --packets 2 && '$GW' --cycles 1 --packets 2") \
	>"$T_TMP/gw.out" 2>"$T_TMP/gw.err"
t_rc $? 0 "tally run of two gateways"
t_same "$(grep -c 'no_such_fn' "$T_TMP/gw.err")" 1 "two gateways: lines about no_such_fn"
t_same "$(grep -c '^tally: rule gw_publisher_ref (inc, gw_publisher): 1 entry' "$T_TMP/gw.err")" 2 \
	"two gateways: coverage lines of gw_publisher_ref (one per gateway)"
grep -q "cannot read" "$T_TMP/gw.err" && t_fail "rules file lost: $(grep 'cannot read' "$T_TMP/gw.err")" || t_pass

t_done
