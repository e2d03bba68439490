#!/bin/bash
# A vfork child that closes the parent's sockets, and a close() cancelled
# before its syscall, leave the sockets open: the books must say so.
. "$(dirname "$0")/lib.sh"

t_prog fd_vfork_cancel
for run in 1 2 3; do
	t_run "$T_TMP/v$run.log" -- "$T_BIN"
	t_rc "$T_RC" 0 "run $run: tally run"
	fds=$(sed -n 's/^open //p' "$T_OUT" | tr ' ' '\n' | sort -n | paste -sd, -)
	t_report "$T_TMP/v$run.log" "v$run"
	t_eq "$T_JSON" '[.sockets.groups[].fds[]] | sort' "[$fds]" "run $run: open fds"
	t_eq "$T_JSON" '[.sockets.created, .sockets.closed, .sockets.open]' '[4,0,4]' \
		"run $run: created, closed, open"
done
t_done
