#!/bin/bash
# Sockets a process inherited from outside the run (stdio on sockets, as
# under Node's spawn or systemd) are not its leaks: --check passes.
. "$(dirname "$0")/lib.sh"

t_prog fd_socket_stdio
"$T_BIN" "$TALLY" run --check --log "$T_TMP/stdio.log" -- /bin/true
t_rc $? 0 "tally run --check of /bin/true with stdio on sockets"
t_report "$T_TMP/stdio.log" stdio
t_eq "$T_JSON" '[.sockets.open, .sockets.inherited_open, .sockets.leaked]' '[3,3,0]' \
	"stdio sockets: open, inherited, leaked"
t_done
