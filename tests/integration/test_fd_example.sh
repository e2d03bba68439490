#!/bin/bash
# The example gateway replays the case (CASE.md): with --bug, 5 add/remove
# cycles of 20 RTP packets leave exactly the 10 RTP/RTCP sockets of the 5
# removed publishers open, on ports 20000-20009, created under room_add ->
# port_pair_open; without --bug nothing leaks.  Also: `tally run` passes the
# command's exit status through, and --check turns "exited 0 but left
# sockets open" into 1.
. "$(dirname "$0")/lib.sh"

GW=$TOP/build/examples/gateway
if [ ! -x "$GW" ]; then
	make -s -C "$TOP" examples >/dev/null 2>&1 || t_fatal "cannot build the examples (make examples)"
fi

# ---- --bug: 10 sockets leak -------------------------------------------
t_run_ok "$T_TMP/bug.log" --json -- "$GW" --bug --cycles 5 --packets 20
grep -qx 'summary: sockets open at exit: 10' "$T_OUT" && t_pass ||
	t_fail "gateway --bug did not itself count 10 open sockets at exit: $(grep summary "$T_OUT")"
# `run --json`: the report is the last line of stdout, after the gateway's.
tail -n 1 "$T_OUT" >"$T_TMP/run-bug.json"
t_eq "$T_TMP/run-bug.json" '.sockets.open' 10 "tally run --json (last stdout line): open"

t_report "$T_TMP/bug.log"
J=$T_JSON
# Created: 2 per publisher (RTP + RTCP) x 5, 4 of the gateway's own
# (control listener, accepted client, the driver's control and UDP sockets),
# and 10 that failed to bind: add number k (0-based) first tries the k
# ports pairs the earlier publishers leaked, EADDRINUSE each time (0+1+2+3+4).
t_totals "$J" 24 14 10
t_eq "$J" "$T_JQ_DEFS"'[.sockets.sites[] | select(has_fn("port_pair_open")) | [.open, .created, .closed]] | sort' \
	'[[5,5,0],[5,15,10]]' "RTCP and RTP sites [open, created, closed]"
t_eq "$J" "$T_JQ_DEFS"'[.failures[] | [.call, .errno, .count, has_fn("udp_bind"), has_fn("port_pair_open")]]' \
	'[["bind","EADDRINUSE",10,true,true]]' "failed calls [call, errno, count, stack has udp_bind, port_pair_open]"
t_eq "$J" '[.sockets.groups[].open] | add' 10 "sum of the groups' open counts"
t_eq "$J" '[.sockets.groups[].fds[]] | length' 10 "fds listed in the groups"
t_eq "$J" '[.sockets.groups[].fds[]] | unique | length' 10 "distinct fds in the groups"
t_eq "$J" '[.sockets.groups[] | .family] | unique' '["inet"]' "families of the leaked sockets"
t_eq "$J" '[.sockets.groups[] | .type] | unique' '["dgram"]' "types of the leaked sockets"
# Ports: numbers or "lo-hi" strings; expanded and sorted they are 20000..20009.
t_eq "$J" '[.sockets.groups[].ports[] | if type == "string"
	then (split("-") | map(tonumber) | range(.[0]; .[1] + 1)) else . end] | sort' \
	"$(jq -nc '[range(20000; 20010)]')" "ports of the leaked sockets"
t_true "$J" "$T_JQ_DEFS"'[.sockets.groups[] | has_fn("port_pair_open") and has_fn("room_add")] | all' \
	"every group's stack has port_pair_open and room_add"
t_true "$J" "$T_JQ_DEFS"'[.sockets.groups[] | (fns | index("port_pair_open")) < (fns | index("room_add"))] | all' \
	"port_pair_open is called by (is inner to) room_add"
t_eq "$J" '[.sockets.groups[] | .stack[0].file // "" | test("examples/")] | all' true \
	"innermost frames are in the example's sources"
t_eq "$J" '[.process.running, .process.state]' '[false,"exited"]' "process state after the run"
t_eq "$J" '.anomalies' '[]' "anomalies"
t_clean_events "$J"

# --check: leaks and exit 0 -> 1, with a one-line reason.
t_run "$T_TMP/bug-check.log" --check -- "$GW" --bug --cycles 5 --packets 20
t_rc "$T_RC" 1 "tally run --check gateway --bug"
grep -qx 'tally: check failed: 10 sockets left open' "$T_ERR" && t_pass ||
	t_fail "--check stderr lacks 'tally: check failed: 10 sockets left open': $(cat "$T_ERR")"

# ---- no --bug: nothing leaks ------------------------------------------
t_run_ok "$T_TMP/ok.log" -- "$GW" --cycles 5 --packets 20
grep -qx 'summary: sockets open at exit: 0' "$T_OUT" && t_pass ||
	t_fail "gateway without --bug: $(grep summary "$T_OUT")"
# The relay's own cost, which make bench compares with and without tally:
# 5 x 20 packets relayed, so a figure above 0.
grep -Eqx 'summary: receive threads used [1-9][0-9]* ns of CPU per packet' "$T_OUT" && t_pass ||
	t_fail "gateway without --bug: no receive threads' CPU per packet: $(grep summary "$T_OUT")"
grep -Eqx 'driver: relayed in [0-9.]+ s: [1-9][0-9]* packets/s' "$T_OUT" && t_pass ||
	t_fail "gateway without --bug: no relay rate: $(grep driver "$T_OUT")"
t_report "$T_TMP/ok.log"
t_totals "$T_JSON" 14 14 0
t_eq "$T_JSON" '.sockets.groups' '[]' "groups without --bug"
t_eq "$T_JSON" "$T_JQ_DEFS"'[.sockets.sites[] | select(has_fn("port_pair_open")) | [.open, .created, .closed]]' \
	'[[0,5,5],[0,5,5]]' "RTP and RTCP sites without --bug [open, created, closed]"
t_eq "$T_JSON" '[.failures, .anomalies]' '[[],[]]' "failures and anomalies without --bug"
t_clean_events "$T_JSON"
t_run "$T_TMP/ok-check.log" --check -- "$GW" --cycles 5 --packets 20
t_rc "$T_RC" 0 "tally run --check gateway (no --bug)"

# ---- exit status passthrough ------------------------------------------
t_prog fd_exit
t_run "$T_TMP/e3.log" -- "$T_BIN" 3
t_rc "$T_RC" 3 "tally run fd_exit 3"
t_run "$T_TMP/e3c.log" --check -- "$T_BIN" 3 2
t_rc "$T_RC" 3 "tally run --check fd_exit 3 (2 leaked): the command's status wins"
t_run "$T_TMP/e0c.log" --check -- "$T_BIN" 0 2
t_rc "$T_RC" 1 "tally run --check fd_exit 0 (2 leaked)"
grep -qx 'tally: check failed: 2 sockets left open' "$T_ERR" && t_pass ||
	t_fail "--check stderr for 2 leaks: $(cat "$T_ERR")"
t_run "$T_TMP/e0.log" -- "$T_BIN" 0 2
t_rc "$T_RC" 0 "tally run fd_exit 0 (2 leaked) without --check"
t_run "$T_TMP/e0n.log" --check -- "$T_BIN" 0 0
t_rc "$T_RC" 0 "tally run --check fd_exit 0 (nothing leaked)"
t_run "$T_TMP/kill.log" -- "$T_BIN" kill 1
t_rc "$T_RC" 143 "tally run of a program killed by SIGTERM (128 + 15)"
t_report "$T_TMP/kill.log"
t_eq "$T_JSON" '[.process.state, .sockets.open]' '["killed or crashed",1]' "report of the SIGTERM'd program"
t_run "$T_TMP/none.log" -- "$T_TMP/no-such-program"
t_rc "$T_RC" 127 "tally run of a command that does not exist"

t_done
