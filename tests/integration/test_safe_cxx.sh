#!/bin/bash
# MEASURED.md hazard 2: a preload with DT_NEEDED libunwind.so.8 takes over
# C++ exceptions (libunwind exports _Unwind_RaiseException, _Unwind_Resume,
# ...).  The shim dlopens libunwind RTLD_LOCAL instead.  Checked:
#   - build/libtally.so has no NEEDED libunwind;
#   - safe_cxx (C++, its plugin throws inside, out into the program, and
#     catches the program's throws, sockets in between) and safe_cxx_host
#     (C, dlopens the same C++ plugin: libgcc_s arrives after the preload)
#     print exactly the same with and without the shim;
#   - with LD_DEBUG=bindings, every binding of _Unwind_RaiseException and
#     _Unwind_Resume goes to libgcc_s.so.1, the same ones with and without
#     the shim; nothing outside libunwind binds anything to libunwind; and
#     libunwind was really loaded under the shim (or this proves nothing);
#   - the report of the run has the plugin's sockets with plugin stacks.
. "$(dirname "$0")/lib.sh"

# ---- the shim does not need libunwind -----------------------------------
needed=$(readelf -d "$TALLY_LIB" 2>&1 | grep NEEDED)
if [ -z "$needed" ]; then
	t_fail "readelf -d $TALLY_LIB shows no NEEDED at all: $(readelf -d "$TALLY_LIB" 2>&1 | head -3)"
elif grep -qi unwind <<<"$needed"; then
	t_fail "libtally.so has NEEDED libunwind: $needed"
else
	t_pass
fi

t_prog safe_cxx
CXX_BIN=$T_BIN
t_prog safe_cxx_host
HOST_BIN=$T_BIN
# The plugin: a shared object; make's target is the stamp beside it.
make -s -C "$TOP" build/progs/safe_throw_plugin >"$T_TMP/make.out" 2>&1 ||
	t_fatal "cannot build build/progs/safe_throw_plugin.so: $(cat "$T_TMP/make.out")"
[ -f "$TOP/build/progs/safe_throw_plugin.so" ] || t_fatal "no build/progs/safe_throw_plugin.so"

# bindings FILE: "BINDER -> TARGET SYMBOL" for the unwinder entry points,
# from an LD_DEBUG=bindings file; libunwind's own references left out (it
# is loaded RTLD_LOCAL by the shim; what it binds to is its business).
bindings() {
	sed -n 's/.*binding file \([^ ]*\) \[[0-9]*\] to \([^ ]*\) \[[0-9]*\]: normal symbol `\(_Unwind_RaiseException\|_Unwind_Resume\)'"'"'.*/\1 -> \2 \3/p' "$1" |
		grep -v '^[^ ]*libunwind' | sort -u
}

for prog in "$CXX_BIN" "$HOST_BIN"; do
	name=$(basename "$prog")
	# ---- same output, with and without the shim -------------------------
	timeout -k 5 $LIMIT "$prog" >"$T_TMP/$name.plain" 2>&1
	t_status $? "$name without the shim"
	grep -q '^inside: caught 1000 of 1000$' "$T_TMP/$name.plain" && t_pass ||
		t_fail "$name without the shim did not catch its exceptions: $(cat "$T_TMP/$name.plain")"

	timeout -k 5 $LIMIT env LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/$name.pre.%p" "$prog" \
		>"$T_TMP/$name.preload" 2>&1
	t_status $? "LD_PRELOAD=libtally.so $name"
	t_same_file "$T_TMP/$name.preload" "$T_TMP/$name.plain" "$name with LD_PRELOAD vs without"

	log=$T_TMP/$name.log
	t_run_limited "$log" --json -- "$prog"
	t_status $T_RC "tally run -- $name"
	t_expect_log_line "$log"
	head -n -1 "$T_OUT" >"$T_TMP/$name.tally"
	t_same_file "$T_TMP/$name.tally" "$T_TMP/$name.plain" "$name under tally run vs without"

	# ---- the plugin's sockets, with stacks through the plugin -----------
	if [ -f "$log" ]; then
		t_report "$log"
		t_totals "$T_JSON" 51 51 0
		t_site "$T_JSON" plugin_socket_between_throws '{"open":0,"created":50,"closed":50}'
		t_eq "$T_JSON" "$T_JQ_DEFS"'site("plugin_socket_between_throws")[0].stack[]
			| select(.function == "plugin_socket_between_throws") | .module' \
			"\"$TOP/build/progs/safe_throw_plugin.so\"" "$name: module of the plugin frame"
		t_eq "$T_JSON" '[.process.running, .process.state]' '[false,"exited"]' \
			"$name: process state"
		if [ "$name" = safe_cxx ]; then
			# C++ names are demangled: _ZL11main_socketv reads main_socket().
			t_eq "$T_JSON" '[.sockets.sites[].stack[].function | strings
				| select(startswith("main_socket") or startswith("_Z"))] | unique' \
				'["main_socket()"]' "$name: C++ frame names demangled"
		fi
	fi

	# ---- LD_DEBUG=bindings: who gets _Unwind_RaiseException -------------
	rm -f "$T_TMP/bind.plain".* "$T_TMP/bind.shim".*
	timeout -k 5 $LIMIT env LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T_TMP/bind.plain" \
		"$prog" >/dev/null 2>&1
	t_status $? "LD_DEBUG=bindings $name"
	timeout -k 5 $LIMIT env LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T_TMP/bind.shim" \
		LD_PRELOAD="$TALLY_LIB" TALLY_LOG="$T_TMP/$name.bind.%p" "$prog" >/dev/null 2>&1
	t_status $? "LD_DEBUG=bindings LD_PRELOAD=libtally.so $name"
	# One process each: one file each (bind.plain.PID).
	plain_file=$(ls "$T_TMP"/bind.plain.* 2>/dev/null)
	shim_file=$(ls "$T_TMP"/bind.shim.* 2>/dev/null)
	if [ ! -f "$plain_file" ] || [ ! -f "$shim_file" ]; then
		t_fail "$name: expected one LD_DEBUG output file per run, got '$plain_file' and '$shim_file'"
		continue
	fi
	bindings "$plain_file" >"$T_TMP/$name.bind.plain"
	bindings "$shim_file" >"$T_TMP/$name.bind.shim"
	for sym in _Unwind_RaiseException _Unwind_Resume; do
		grep -q " $sym\$" "$T_TMP/$name.bind.plain" && t_pass ||
			t_fail "$name without the shim: no binding of $sym at all (did it throw?)"
		bad=$(grep " $sym\$" "$T_TMP/$name.bind.shim" | grep -v ' -> [^ ]*/libgcc_s\.so\.1 ')
		t_same "${bad:-none}" none "$name under the shim: bindings of $sym not to libgcc_s.so.1"
	done
	t_same_file "$T_TMP/$name.bind.shim" "$T_TMP/$name.bind.plain" \
		"$name: _Unwind_* bindings with the shim vs without"
	bad=$(sed 's/^[[:space:]]*[0-9]*:[[:space:]]*//' "$shim_file" | grep -E '^binding file [^ ]+ \[[0-9]+\] to [^ ]*libunwind' |
		grep -Ev '^binding file [^ ]*(libunwind[^ ]*|libtally\.so) ')
	t_same "${bad:-none}" none "$name under the shim: bindings from outside libunwind to libunwind"
	grep -q "normal symbol \`unw_backtrace'" "$shim_file" && t_pass ||
		t_fail "$name under the shim: libunwind's unw_backtrace never looked up: the shim ran without libunwind, so this test proved nothing"
done

t_done
