#!/bin/bash
# A socket made under a function an every-type lifetime rule names ("*:
# open_for_life = lifetime"; the gobject preset names GIO's network monitor
# so, whose netlink socket GIO keeps for the life of the process) is kept,
# not left open: the report counts it apart (sockets.kept) and --check
# passes over it, in COMMAND and in its child processes.  The socket
# leaked beside it is still one.  Without the rule both count.
. "$(dirname "$0")/lib.sh"

t_prog fd_kept
RULE='*: open_for_life = lifetime'
t_run "$T_TMP/k.log" --check --rules "$RULE" -- "$T_BIN"
t_rc "$T_RC" 1 "kept: --check fails on the leaked socket"
grep -q '^tally: check failed: 1 socket left open$' "$T_ERR" && t_pass ||
	t_fail "kept: the check line: $(grep 'check failed' "$T_ERR")"
t_report "$T_TMP/k.log" k
t_eq "$T_JSON" '.sockets | [.open, .kept, .leaked]' '[2,1,1]' "kept: sockets [open, kept, leaked]"
t_eq "$T_JSON" '[.sockets.groups[] | [.open, .kept, (.stack | map(.function) | index("open_for_life") != null)]] | sort' \
	'[[1,0,false],[1,1,true]]' "kept: the groups: the one made under open_for_life is kept"
"$TALLY" report "$T_TMP/k.log" | grep -q '1 of them kept for the life of the process (made under a lifetime rule.s function): no leak$' &&
	t_pass || t_fail "kept: the text report's group line"

"$TALLY" report "$T_TMP/k.log" | grep -q '^sockets: 2 created, 0 closed, 1 open at the end: LEAKED (and 1 kept open for the life of the process' &&
	t_pass || t_fail "kept: the text report's sockets line: $("$TALLY" report "$T_TMP/k.log" | grep '^sockets')"

t_run "$T_TMP/c.log" --check --rules "$RULE" -- "$T_BIN" child
t_rc "$T_RC" 1 "child: --check fails on the two leaked sockets"
grep -q '^tally: check failed: 2 sockets left open (1 by child processes)$' "$T_ERR" && t_pass ||
	t_fail "child: the check line: $(grep 'check failed' "$T_ERR")"

t_run "$T_TMP/n.log" --check -- "$T_BIN"
grep -q '^tally: check failed: 2 sockets left open$' "$T_ERR" && t_pass ||
	t_fail "no rule: both count: $(grep 'check failed' "$T_ERR")"
t_done
