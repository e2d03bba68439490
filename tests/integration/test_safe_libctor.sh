#!/bin/bash
# Sockets made by the constructor of a shared library the program links
# (DT_NEEDED), and closed by that library's destructor.  ld.so runs the
# constructors of the program's libraries before the preloaded shim's own
# (LD_DEBUG=libs: "calling init: libX.so" comes before libtally.so), so a
# shim that only starts recording in its constructor misses them: the
# socket leaks unseen.  Expected: the library constructor's 2 sockets are
# in the report (stack holds libctor_make), the one its destructor closes
# is counted closed, the other is open with the fd the program printed.
# The library and the program are built here, into the temp dir.
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/libctor.c" <<'EOF'
#include <sys/socket.h>
#include <unistd.h>
int libctor_leaked = -1, libctor_closed = -1;
static __attribute__((noinline)) int libctor_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0);
}
__attribute__((constructor)) static void libctor_make(void)
{
	libctor_leaked = libctor_socket();
	libctor_closed = libctor_socket();
}
__attribute__((destructor)) static void libctor_unmake(void)
{
	close(libctor_closed);
}
EOF
cat >"$T_TMP/usector.c" <<'EOF'
#include <stdio.h>
extern int libctor_leaked, libctor_closed;
int main(void)
{
	printf("leaked %d\nclosed %d\n", libctor_leaked, libctor_closed);
	return libctor_leaked < 0 || libctor_closed < 0;
}
EOF
gcc -O2 -g -fPIC -shared -o "$T_TMP/libctor.so" "$T_TMP/libctor.c" >"$T_TMP/cc.out" 2>&1 &&
	gcc -O2 -g -o "$T_TMP/usector" "$T_TMP/usector.c" -L"$T_TMP" -lctor -Wl,-rpath,"$T_TMP" \
		>>"$T_TMP/cc.out" 2>&1 ||
	t_fatal "cannot build the library and its program: $(cat "$T_TMP/cc.out")"

log=$T_TMP/libctor.log
t_run_limited "$log" --json -- "$T_TMP/usector"
t_rc $T_RC 0 "tally run -- usector"
t_expect_log_line "$log"
[ -f "$log" ] || t_done
leaked=$(t_value "$T_OUT" leaked)
t_report "$log"
J=$T_JSON
t_totals "$J" 2 1 1
t_eq "$J" "$T_JQ_DEFS"'[site("libctor_make")[] | [.created, .closed, .open]] | transpose | map(add)' \
	'[2,1,1]' "sites under libctor_make: [created, closed, open]"
t_group "$J" libctor_make '.fds' "[$leaked]"
t_eq "$J" '[.process.running, .process.state]' '[false,"exited"]' "process state"

t_done
