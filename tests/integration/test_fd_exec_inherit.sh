#!/bin/bash
# A socket leaked across exec is in the new image's log (found open at
# start, with its port); the old image's log says its sockets were open
# when it exec'd; --check fails; one stack that made two kinds is "mixed".
. "$(dirname "$0")/lib.sh"

t_prog fd_exec_inherit
port=$((33000 + RANDOM % 2000))
"$TALLY" run --check --log "$T_TMP/x.log" -- "$T_BIN" "$port" >"$T_OUT" 2>"$T_ERR"
t_rc $? 1 "tally run --check"
grep -q "^second image" "$T_OUT" || t_fail "no second image: $(cat "$T_OUT")"

t_report "$T_TMP/x.log.1" second
# The socket came in open across exec: inherited, not made by this image.
t_eq "$T_JSON" '[.sockets.created, .sockets.closed, .sockets.open, .sockets.inherited]' '[0,0,1,1]' \
	"second image totals [created, closed, open, inherited]"
t_eq "$T_JSON" '.sockets.groups[0] | [.ports, .stack_missing]' \
	"[[$port],\"open when the program started: inherited across exec or from its parent\"]" \
	"the inherited socket"

t_report "$T_TMP/x.log" first
t_eq "$T_JSON" '[.process.state, .sockets.open]' '["exec'"'"'d",3]' "first image"
t_eq "$T_JSON" '[.sockets.groups[] | select(.stack[0].function == "open_kind") | [.open, .family, .type]]' \
	'[[2,"mixed","mixed"]]' "one call site, two kinds"
"$TALLY" report "$T_TMP/x.log" >"$T_TMP/first.txt"
grep -q "3 open when it exec'd (kept by the new program unless close-on-exec)" "$T_TMP/first.txt" ||
	t_fail "first image text: $(grep '^sockets' "$T_TMP/first.txt")"
t_done
