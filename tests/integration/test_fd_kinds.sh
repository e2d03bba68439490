#!/bin/bash
# The report says what each open socket is: listening, connected (to whom),
# accepted (from whom, even when accept was not asked), a dup.
. "$(dirname "$0")/lib.sh"

t_prog fd_kinds
t_run "$T_TMP/k.log" -- "$T_BIN"
t_rc "$T_RC" 0 "tally run"
port=$(sed -n 's/^port //p' "$T_OUT")
t_report "$T_TMP/k.log"
t_eq "$T_JSON" '[.sockets.groups[] | [.listening, .accepted, .connected, .dups]] | sort' \
	'[[0,0,1,0],[0,0,1,1],[0,1,1,0],[1,0,0,0]]' "kinds of the four groups"
t_eq "$T_JSON" "[.sockets.groups[] | select(.listening == 0 and .accepted == 0 and .dups == 0) | .peers[]]" \
	"[\"127.0.0.1:$port\"]" "the client's peer is the listener"
t_eq "$T_JSON" '[.sockets.groups[] | select(.accepted == 1) | .peers | length]' '[1]' \
	"the accepted connection's peer is known"
"$TALLY" report "$T_TMP/k.log" >"$T_TMP/k.txt"
grep -q "; 1 listening$" "$T_TMP/k.txt" || t_fail "text: no listening group: $(grep open "$T_TMP/k.txt")"
grep -q "no bound port; 1 connected to 127.0.0.1:$port$" "$T_TMP/k.txt" ||
	t_fail "text: no connected group: $(grep open "$T_TMP/k.txt")"

# A raw socket has no port: bound, its getsockname gives the protocol in
# the port field (Janus's SCTP socket read as "port 132").  Needs
# CAP_NET_RAW, which the tests have as root.
cat >"$T_TMP/raw.c" <<'EOF'
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int r = socket(AF_INET, SOCK_RAW, IPPROTO_SCTP);
	if (r < 0) {
		perror("raw socket");
		return 1;
	}
	return bind(r, (struct sockaddr *)&a, sizeof(a)) != 0;
}
EOF
gcc -O2 -o "$T_TMP/raw" "$T_TMP/raw.c" || t_fatal "cannot build raw.c"
t_run "$T_TMP/raw.log" -- "$T_TMP/raw"
t_rc "$T_RC" 0 "tally run raw (a raw socket needs root or CAP_NET_RAW: $(cat "$T_ERR"))"
t_report "$T_TMP/raw.log"
t_eq "$T_JSON" '[.sockets.groups[] | [.type, .ports]]' '[["raw",[]]]' "raw socket: no port"
t_done
