#!/bin/bash
# close_range() (tests/progs/fd_close_range.c): the sockets in the range are
# closed (not leaks), unless CLOSE_RANGE_CLOEXEC only marked them; sockets
# outside the range are untouched.  closefrom() too.
. "$(dirname "$0")/lib.sh"

t_prog fd_close_range
PROG=$T_BIN

run_mode() {
	t_run_ok "$T_TMP/$1.log" -- "$PROG" "$1"
	FIRST=$(t_value "$T_OUT" first) LAST=$(t_value "$T_OUT" last)
	LO=$(t_value "$T_OUT" lo) HI=$(t_value "$T_OUT" hi)
	t_same "$((LAST - FIRST))" 4 "$1: the 5 range sockets are consecutive fds"
	RANGE=$(jq -nc --argjson a "$FIRST" --argjson b "$LAST" '[range($a; $b + 1)]')
	t_report "$T_TMP/$1.log"
	J=$T_JSON
	t_clean_events "$J"
	t_eq "$J" '[.failures, .anomalies]' '[[],[]]' "$1: failures and anomalies"
}

run_mode all
t_totals "$J" 5 5 0
t_site "$J" range_sock '{"open":0,"created":5,"closed":5}'
t_eq "$J" '.sockets.groups' '[]' "all: groups"

run_mode unshare
t_totals "$J" 5 5 0
t_site "$J" range_sock '{"open":0,"created":5,"closed":5}'

run_mode cloexec
t_totals "$J" 5 0 5
t_site "$J" range_sock '{"open":5,"created":5,"closed":0}'
t_group "$J" range_sock '[.fds, .family, .type]' "[$RANGE,\"inet\",\"dgram\"]"

run_mode partial
t_totals "$J" 7 5 2
t_site "$J" range_sock '{"open":0,"created":5,"closed":5}'
t_group "$J" lo_sock '[.open, .fds, .family, .type]' "[1,[$LO],\"inet\",\"stream\"]"
t_group "$J" hi_sock '[.open, .fds, .family, .type]' "[1,[$HI],\"unix\",\"dgram\"]"
t_eq "$J" '.sockets.groups | length' 2 "partial: groups"
t_same "$LO,$HI" "$((FIRST - 1)),$((LAST + 1))" "partial: lo and hi are next to the range"

# last = ~0U: everything from first up.
run_mode tail
t_totals "$J" 6 5 1
t_site "$J" range_sock '{"open":0,"created":5,"closed":5}'
t_group "$J" lo_sock '[.open, .fds]' "[1,[$LO]]"

# closefrom(first): glibc closes them without calling close_range.
run_mode closefrom
t_totals "$J" 6 5 1
t_site "$J" range_sock '{"open":0,"created":5,"closed":5}'
t_group "$J" lo_sock '[.open, .fds]' "[1,[$LO]]"

t_done
