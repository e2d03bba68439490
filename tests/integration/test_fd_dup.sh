#!/bin/bash
# Duplicated socket fds (tests/progs/fd_dup.c): a dup counts as a socket of
# its own, created at the dup site, until it is closed; dup2/dup3 over an
# open socket closes that socket (not a leak); a socketpair is two sockets.
. "$(dirname "$0")/lib.sh"

t_prog fd_dup
PROG=$T_BIN

# run_mode MODE: runs fd_dup MODE under tally; sets J (report) and the
# fds it printed (A, B, D, SV0, SV1, PORT).
run_mode() {
	t_run_ok "$T_TMP/$1.log" -- "$PROG" "$1"
	A=$(t_value "$T_OUT" a) B=$(t_value "$T_OUT" b) D=$(t_value "$T_OUT" d)
	SV0=$(t_value "$T_OUT" sv0) SV1=$(t_value "$T_OUT" sv1) PORT=$(t_value "$T_OUT" port)
	t_report "$T_TMP/$1.log"
	J=$T_JSON
	t_clean_events "$J"
	t_eq "$J" '[.failures, .anomalies]' '[[],[]]' "$1: failures and anomalies"
}

# dup2(a, b) over the open socket b: b's socket is closed by the dup2, the
# new b is a's socket under the dup2 site; close(a) leaves it the only one.
run_mode dup2-leak
t_totals "$J" 3 2 1
t_site "$J" sock_a '{"open":0,"created":1,"closed":1}'
t_site "$J" sock_b '{"open":0,"created":1,"closed":1}'
t_site "$J" dup2_over '{"open":1,"created":1,"closed":0}'
t_group "$J" dup2_over '[.fds, .family, .type]' "[[$B],\"inet\",\"dgram\"]"
t_group "$J" dup2_over '.stack[0].function' '"dup2_over"'
t_eq "$J" '.sockets.groups | length' 1 "dup2-leak: one group"

run_mode dup2-clean
t_totals "$J" 3 3 0
t_site "$J" dup2_over '{"open":0,"created":1,"closed":1}'
t_site "$J" sock_b '{"open":0,"created":1,"closed":1}'

# dup2(a, a) returns a and changes nothing.
run_mode dup2-self
t_totals "$J" 1 1 0
t_site "$J" sock_a '{"open":0,"created":1,"closed":1}'

# dup2(pipe, a): the socket at a is closed, and a pipe is no socket.
run_mode dup2-pipe
t_totals "$J" 1 1 0
t_eq "$J" '.sockets.groups' '[]' "dup2-pipe: groups"
t_site "$J" sock_a '{"open":0,"created":1,"closed":1}'

# dup of a bound socket, original closed: the dup is reported, at the dup
# site, with the socket's family, type and port.
run_mode dup
t_totals "$J" 2 1 1
t_site "$J" sock_a '{"open":0,"created":1,"closed":1}'
t_site "$J" dup_it '{"open":1,"created":1,"closed":0}'
t_group "$J" dup_it '[.fds, .family, .type, .ports]' "[[$D],\"inet\",\"dgram\",[$PORT]]"
t_group "$J" dup_it '.stack[0].function' '"dup_it"'

# Both left open: two groups, one per site.
run_mode dup-both
t_totals "$J" 2 0 2
t_group "$J" sock_a '[.open, .fds]' "[1,[$A]]"
t_group "$J" dup_it '[.open, .fds]' "[1,[$D]]"

run_mode dup3
t_same "$D" 40 "dup3 target fd"
t_totals "$J" 2 1 1
t_site "$J" dup3_it '{"open":1,"created":1,"closed":0}'
t_group "$J" dup3_it '[.fds, .family, .type, .stack[0].function]' '[[40],"inet","dgram","dup3_it"]'
t_site "$J" sock_a '{"open":0,"created":1,"closed":1}'

run_mode dupfd
t_same "$D" 50 "F_DUPFD_CLOEXEC result"
t_totals "$J" 2 1 1
t_site "$J" dupfd_it '{"open":1,"created":1,"closed":0}'
t_group "$J" dupfd_it '[.fds, .family, .type, .stack[0].function]' '[[50],"inet","dgram","dupfd_it"]'

# socketpair: both ends are sockets of the pair_it site.
run_mode pair-leak
t_totals "$J" 2 0 2
t_site "$J" pair_it '{"open":2,"created":2,"closed":0}'
t_group "$J" pair_it '[.fds, .family, .type]' "[[$SV0,$SV1],\"unix\",\"stream\"]"

run_mode pair-half
t_totals "$J" 2 1 1
t_group "$J" pair_it '[.open, .created, .closed, .fds]' "[1,2,1,[$SV1]]"

run_mode pair-clean
t_totals "$J" 2 2 0
t_site "$J" pair_it '{"open":0,"created":2,"closed":2}'
t_eq "$J" '.sockets.groups' '[]' "pair-clean: groups"

t_done
