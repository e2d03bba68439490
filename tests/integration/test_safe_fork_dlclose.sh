#!/bin/bash
# A forked child that dlopens and dlcloses a library (tests/progs's revlib
# is not needed: one is built here).  The child's module rescan lock was
# taken again for good at fork (the fork's own prepare handler had taken
# it, and the child took that for a rescan under way), so the child's
# first dlclose hung, and modules it loaded were never named.
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/q.c" <<'EOC'
int q_value(void) { return 42; }
EOC
cat >"$T_TMP/dlf.c" <<'EOC'
#include <dlfcn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		void *q = dlopen(argv[1], RTLD_NOW);
		if (!q)
			_exit(2);
		dlclose(q);
		printf("dlclose done\n");
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
EOC
gcc -O2 -g -fPIC -shared -o "$T_TMP/libq.so" "$T_TMP/q.c" &&
	gcc -O2 -g -o "$T_TMP/dlf" "$T_TMP/dlf.c" -ldl || t_fatal "cannot build the dlclose test"
timeout 20 "$TALLY" run --log "$T_TMP/d.log" -- "$T_TMP/dlf" "$T_TMP/libq.so" >"$T_OUT" 2>"$T_ERR"
t_rc $? 0 "fork child's dlopen + dlclose under tally run (124: hung)"
t_same "$(grep -c '^dlclose done$' "$T_OUT")" 1 "the child's dlclose returned"
t_done
