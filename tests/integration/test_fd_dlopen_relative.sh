#!/bin/bash
# A plugin dlopen'ed by a relative path ("./libp.so"): its frames are
# symbolized when the report is read from another directory.  The module
# table records the file as mapped (an absolute path), not the name the
# program gave dlopen.
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/p.c" <<'EOC'
#include <sys/socket.h>
/* -O0: no tail call, p_make keeps its frame */
int p_make(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0);   /* left open */
}
EOC
cat >"$T_TMP/host.c" <<'EOC'
#include <dlfcn.h>
#include <stdio.h>
int main(void)
{
	void *h = dlopen("./libp.so", RTLD_NOW);
	int (*make)(void) = h ? (int (*)(void))dlsym(h, "p_make") : NULL;
	if (!make) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	return make() < 0;
}
EOC
gcc -O0 -g -fPIC -shared -o "$T_TMP/libp.so" "$T_TMP/p.c" &&
	gcc -O2 -g -o "$T_TMP/host" "$T_TMP/host.c" -ldl || t_fatal "cannot build the plugin test"
(cd "$T_TMP" && "$TALLY" run --log "$T_TMP/rel.log" -- ./host) >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "tally run ./host"
(cd / && "$TALLY" report --json "$T_TMP/rel.log") >"$T_TMP/rel.json" 2>"$T_TMP/rel.err"
t_eq "$T_TMP/rel.json" '[.sockets.groups[0].stack[0] | .function, (.file // "" | test("p.c$"))]' \
	'["p_make",true]' "the plugin's frame, read from another directory"
t_done
