#!/bin/bash
# A frame in a function GCC cloned (open_clone.constprop.0 in the symbol
# table) is reported under the function's own name, so it reads like the
# source and groups with the function's other frames.
. "$(dirname "$0")/lib.sh"

t_prog fd_clone_names
nm "$T_BIN" | grep -q ' open_clone\.constprop\.' ||
	t_fatal "the compiler did not clone open_clone: the test proves nothing"
t_run "$T_TMP/names.log" -- "$T_BIN"
t_report "$T_TMP/names.log"
t_eq "$T_JSON" '.sockets.open' 2 "open sockets"
t_eq "$T_JSON" '[.sockets.groups[].stack[0].function] | unique' '["open_clone"]' \
	"innermost frame of each group"
t_eq "$T_JSON" '[.sockets.groups[].stack[].function | strings | select(test("\\."))]' '[]' \
	"no frame keeps a clone suffix"
t_done
