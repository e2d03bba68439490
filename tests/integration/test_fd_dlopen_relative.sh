#!/bin/bash
# A plugin dlopen'ed by a relative path ("./libp.so"): its frames are
# symbolized when the report is read from another directory.  The module
# table records the file as mapped (an absolute path), not the name the
# program gave dlopen.  When the file is then replaced (a rebuild: the
# mapping reads "(deleted)") and the modules are scanned again (a
# dlclose), the plugin is still the same module: its two sockets, made
# before and after, are one group.
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
	for (int i = 0; i < 2; i++) {   /* one call site, two sockets */
		if (make() < 0)
			return 1;
		if (i == 0) {
			if (rename("libp2.so", "libp.so") != 0)
				return 1;
			void *m = dlopen("libm.so.6", RTLD_NOW);   /* its dlclose: a rescan */
			if (m)
				dlclose(m);
		}
	}
	return 0;
}
EOC
gcc -O0 -g -fPIC -shared -o "$T_TMP/libp.so" "$T_TMP/p.c" &&
	cp "$T_TMP/libp.so" "$T_TMP/libp2.so" &&
	gcc -O0 -g -o "$T_TMP/host" "$T_TMP/host.c" -ldl || t_fatal "cannot build the plugin test"
(cd "$T_TMP" && "$TALLY" run --log "$T_TMP/rel.log" -- ./host) >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "tally run ./host"
(cd / && "$TALLY" report --json "$T_TMP/rel.log") >"$T_TMP/rel.json" 2>"$T_TMP/rel.err"
t_eq "$T_TMP/rel.json" '[.sockets.groups[0].stack[0] | .function, (.file // "" | test("p.c$"))]' \
	'["p_make",true]' "the plugin's frame, read from another directory"
t_eq "$T_TMP/rel.json" '[.sockets.groups[] | .open]' '[2]' \
	"one group of 2 sockets, before and after the file was replaced"
t_done
