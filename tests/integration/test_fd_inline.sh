#!/bin/bash
# A frame in code inlined two deep (reg inlined into cycle inlined into
# main) is named after main, with the line in main: the call of cycle, not
# the call of reg inside cycle (a line of another function).
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/inl.c" <<'EOC'
#include <sys/socket.h>
static inline int reg(void) { return socket(AF_INET, SOCK_DGRAM, 0); }
static inline int cycle(void) {
	int fd = reg();   /* line 4 */
	return fd;
}
int main(void)
{
	int a = cycle();   /* line 9 */
	return a < 0;
}
EOC
gcc -g -O1 -o "$T_TMP/inl" "$T_TMP/inl.c" || t_fatal "cannot build inl.c"
t_run "$T_TMP/i.log" -- "$T_TMP/inl"
t_rc "$T_RC" 0 "tally run inl"
t_report "$T_TMP/i.log"
t_eq "$T_JSON" '.sockets.groups[0].stack[0] | [.function, .line]' '["main",9]' \
	"the inlined frame: main, at its call of cycle"
t_done
