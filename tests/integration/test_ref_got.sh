#!/bin/bash
# Reference functions hooked through the GOT (TALLY_HOOK=got) and at their
# entry (the default), for real: tests/progs/ref_got calls the library
# tests/unit/gotlib (gl_new, gl_ref, gl_unref) through PLT slots, through a
# function pointer read from a GLOB_DAT slot, from a plugin it dlopens,
# dlcloses and loads again, and the library calls gl_ref itself
# (gl_use_own, a direct call).  Twice: ref_got (GOT read-only after load:
# -z relro -z now, plugin loaded RTLD_NOW) and ref_got_lazy (lazy PLT,
# plugin loaded RTLD_LAZY).  Checked, per program and mode:
#   - the fixtures have the relocations this test is about (readelf);
#   - the coverage lines the shim prints with TALLY_REPORT_HOOKS=1, exactly;
#   - the program prints the same results as without tally (the hooks
#     change nothing it can see: arguments, return values);
#   - the books (tests/progs/ref_logdump, ref_lib.sh's view of them): the
#     object a kept alive with net 2, its cells per call site (creation 1,
#     PLT 2, GOT pointer 1, plugin 2 over its two loads, unrefs -4), the
#     two freed objects closed, the calls each rule saw;
#   - the library's own call: with entry hooks d has net 2 and a cell at
#     gl_use_own, as the library counts; through the GOT it is not seen
#     (net 1, gl_ref saw 5 calls where the library counts 6);
#   - a rule for a function of the plugin (known only after dlopen): its
#     entry is patched at each load, and the nested gl_ref is booked once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ref_lib.sh"

# ---- the fixtures ---------------------------------------------------------------

fixture() {
	t_same "$(reloc_kinds "$1" "$2" | sort | tr '\n' ' ')" "$3" "fixture: GOT relocations of $2 in $(basename "$1")"
}
fixture "$PROGS/ref_got" gl_ref "GLOB_DAT relro "
fixture "$PROGS/ref_got" gl_new "JUMP_SLOT relro "
fixture "$PROGS/ref_got" gl_unref "JUMP_SLOT relro "
fixture "$PROGS/ref_got_lazy" gl_ref "GLOB_DAT relro "
fixture "$PROGS/ref_got_lazy" gl_new "JUMP_SLOT plain "
fixture "$PROGS/ref_got_lazy" gl_unref "JUMP_SLOT plain "
fixture "$PROGS/libgotplugin_now.so" gl_ref "JUMP_SLOT relro "
fixture "$PROGS/libgotplugin.so" gl_ref "JUMP_SLOT plain "
# gl_use_own's call of gl_ref goes through no slot
fixture "$PROGS/libgotlib.so" gl_ref ""
fixture "$PROGS/libgotlib_lazy.so" gl_ref ""

# ---- the runs -----------------------------------------------------------------------

# What both modes book the same: four creations at one site, two freed;
# a alive with 2 references.
common_books() {
	expect_view header "$1: header" "header objects_live 2 objects_untracked 0 violations 0"
	expect_view type "$1: type t" \
		"type t created 4 first_seen_inc 0 freed 2 balanced 0 dec_unknown 0 underflow 0 after_release 0 untracked 0 unstacked 0 nested 0"
	expect_view violation "$1: violations"
}

for prog in ref_got ref_got_lazy; do
	ref_baseline "$prog"
	t_same_file "$T_TMP/$prog.base.out" <(printf '%s\n' "a count 2" "d count 2" "live objects 2" \
		"calls new 4 ref 6 unref 6" "ref returns its argument yes" "plugin unloaded yes") \
		"$prog: its results without tally"

	# Through the GOT: the exe's one slot per function at start-up; the
	# plugin's slot at each of its two loads.
	ref_run "$prog.got" "$prog" TALLY_RULES="$RULES" TALLY_HOOK=got TALLY_REPORT_HOOKS=1
	expect_lines "$R.err" "$prog, got: coverage lines on stderr" \
		"tally: rule gl_ref (inc, t): 0 entries, 1 GOT site" \
		"tally: rule gl_unref (dec, t): 0 entries, 1 GOT site" \
		"tally: rule gl_new (new, t): 0 entries, 1 GOT site"
	expect_view rule "$prog, got: rules" \
		"rule gl_ref role inc type t found 1 entries 0 got_sites 3 calls 5" \
		"rule gl_unref role dec type t found 1 entries 0 got_sites 1 calls 6" \
		"rule gl_new role new type t found 1 entries 0 got_sites 1 calls 4"
	common_books "$prog, got"
	expect_view "object|cell" "$prog, got: live objects and their cells" \
		"object a type t net 2 flags created created_at site_new unstacked 0" \
		"cell a site_new 1" "cell a site_plt_ref 2" "cell a site_ptr_ref 1" "cell a gotplugin_ref 2" "cell a site_unref -4" \
		"object d type t net 1 flags created created_at site_new unstacked 0" \
		"cell d site_new 1"

	# At the entries: every call, also the library's own.
	ref_run "$prog.entry" "$prog" TALLY_RULES="$RULES" TALLY_REPORT_HOOKS=1
	expect_lines "$R.err" "$prog, entry: coverage lines on stderr" \
		"tally: rule gl_ref (inc, t): 1 entry, 0 GOT sites" \
		"tally: rule gl_unref (dec, t): 1 entry, 0 GOT sites" \
		"tally: rule gl_new (new, t): 1 entry, 0 GOT sites"
	expect_view rule "$prog, entry: rules" \
		"rule gl_ref role inc type t found 1 entries 1 got_sites 0 calls 6" \
		"rule gl_unref role dec type t found 1 entries 1 got_sites 0 calls 6" \
		"rule gl_new role new type t found 1 entries 1 got_sites 0 calls 4"
	common_books "$prog, entry"
	expect_view "object|cell" "$prog, entry: live objects and their cells" \
		"object a type t net 2 flags created created_at site_new unstacked 0" \
		"cell a site_new 1" "cell a site_plt_ref 2" "cell a site_ptr_ref 1" "cell a gotplugin_ref 2" "cell a site_unref -4" \
		"object d type t net 2 flags created created_at site_new unstacked 0" \
		"cell d site_new 1" "cell d gl_use_own 1"
	# TALLY_HOOK=entry says the same as the default
	ref_run "$prog.entry2" "$prog" TALLY_RULES="$RULES" TALLY_HOOK=entry
	t_same "$(cat "$R.err")" "" "$prog, TALLY_HOOK=entry: stderr"
	t_same_file <(sort "$R.view") <(sort "$T_TMP/$prog.entry.view") \
		"$prog, TALLY_HOOK=entry: books"

	# The difference, said once more as what it means: the library's own
	# reference to d is in the entry books (as the library counts it:
	# "d count 2") and missing from the GOT books.
	t_same "$(grep -c '^cell d gl_use_own 1$' "$T_TMP/$prog.entry.view")/$(grep -c \
		'^cell d gl_use_own ' "$T_TMP/$prog.got.view")" "1/0" \
		"$prog: gl_use_own's reference seen with entry/got hooks"

	# A rule for the plugin's own function: found only once it is loaded,
	# its entry patched at each load; gl_ref called inside it for the same
	# object is not booked a second time.
	ref_run "$prog.pluginrule" "$prog" TALLY_RULES="$RULES; t: gotplugin_ref = inc"
	expect_lines "$R.err" "$prog, plugin rule: stderr" \
		"tally: rule gotplugin_ref (inc): no such function in the process (yet)"
	expect_view rule "$prog, plugin rule: rules" \
		"rule gl_ref role inc type t found 1 entries 1 got_sites 0 calls 6" \
		"rule gl_unref role dec type t found 1 entries 1 got_sites 0 calls 6" \
		"rule gl_new role new type t found 1 entries 1 got_sites 0 calls 4" \
		"rule gotplugin_ref role inc type t found 1 entries 2 got_sites 0 calls 2"
	common_books "$prog, plugin rule"
	expect_view "object|cell" "$prog, plugin rule: live objects and their cells" \
		"object a type t net 2 flags created created_at site_new unstacked 0" \
		"cell a site_new 1" "cell a site_plt_ref 2" "cell a site_ptr_ref 1" "cell a site_plugin 2" "cell a site_unref -4" \
		"object d type t net 2 flags created created_at site_new unstacked 0" \
		"cell d site_new 1" "cell d gl_use_own 1"
	# The same plugin loaded by its bare name, which the program's RUNPATH
	# ($ORIGIN) finds: the shim finds it along the program's own search
	# path and loads it by that path, hooked at load (a bare name used to
	# be left to the loader, and the plugin to the next dlopen).
	REF_PLUGIN_BARE=1 ref_run "$prog.bare" "$prog" TALLY_RULES="$RULES; t: gotplugin_ref = inc"
	t_same_file <(sort "$R.view") <(sort "$T_TMP/$prog.pluginrule.view") \
		"$prog, plugin by bare name: books"
	# ... and through the GOT: the program calls it through dlsym's
	# pointer, which no GOT slot holds: gl_ref inside is what is seen.
	ref_run "$prog.pluginrule.got" "$prog" TALLY_RULES="$RULES; t: gotplugin_ref = inc" TALLY_HOOK=got
	expect_view rule "$prog, plugin rule, got: rules" \
		"rule gl_ref role inc type t found 1 entries 0 got_sites 3 calls 5" \
		"rule gl_unref role dec type t found 1 entries 0 got_sites 1 calls 6" \
		"rule gl_new role new type t found 1 entries 0 got_sites 1 calls 4" \
		"rule gotplugin_ref role inc type t found 1 entries 0 got_sites 0 calls 0"
	t_same "$(grep -E '^cell a (gotplugin_ref|site_plugin) ' "$R.view")" "cell a gotplugin_ref 2" \
		"$prog, plugin rule, got: the plugin's references"
done

# `tally run --hook got` passes the mode on and shows the coverage.
t_run_ok "$T_TMP/cli.log" --hook got --rules "$RULES" -- "$PROGS/ref_got" \
	"$(plugin_of ref_got)" "$T_TMP/cli.objects"
for line in "tally: rule gl_ref (inc, t): 0 entries, 1 GOT site" \
	"tally: rule gl_unref (dec, t): 0 entries, 1 GOT site" \
	"tally: rule gl_new (new, t): 0 entries, 1 GOT site"; do
	grep -qxF "$line" "$T_ERR" && t_pass || t_fail "tally run --hook got: stderr lacks '$line'"
done
r_dump "$T_TMP/cli.log" cli
ref_view "$D" "$T_TMP/cli.objects" >"$T_TMP/cli.view"
t_same "$(grep -c '^cell d gl_use_own' "$T_TMP/cli.view")" 0 "tally run --hook got: gl_use_own not seen"
t_same "$(grep '^object a ' "$T_TMP/cli.view")" \
	"object a type t net 2 flags created created_at site_new unstacked 0" "tally run --hook got: a"

t_done
