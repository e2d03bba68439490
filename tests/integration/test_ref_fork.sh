#!/bin/bash
# Objects a forked child inherits from its parent are the parent's: the
# child's report counts them apart ("inherited from its parent at fork"),
# not as its leaks, and blames only what the child itself created and
# kept.  The parent, which frees its object, leaks nothing.  With "refs",
# the child also takes 3 references to the inherited object and keeps
# them: that object is then judged as the child's own, and leaked.
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/o.c" <<'EOC'
#include <stdlib.h>
struct o { int refs; };
struct o *o_new(void) { struct o *p = calloc(1, sizeof(*p)); p->refs = 1; return p; }
void o_ref(struct o *p) { p->refs++; }
void o_unref(struct o *p) { if (--p->refs == 0) free(p); }
EOC
cat >"$T_TMP/forker.c" <<'EOC'
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
struct o;
#include <string.h>
struct o *o_new(void);
void o_ref(struct o *p);
void o_unref(struct o *p);
static struct o *kept_by_child;
__attribute__((noinline)) static void child_leaks(void)
{
	kept_by_child = o_new();   /* never unreferenced */
}
__attribute__((noinline)) static void child_refs(struct o *p)
{
	for (int i = 0; i < 3; i++)
		o_ref(p);   /* never given back */
}
int main(int argc, char **argv)
{
	struct o *parents = o_new();
	pid_t pid = fork();
	if (pid == 0) {
		child_leaks();
		if (argc > 1 && strcmp(argv[1], "refs") == 0)
			child_refs(parents);
		exit(0);
	}
	waitpid(pid, NULL, 0);
	o_unref(parents);
	return 0;
}
EOC
gcc -O1 -g -fPIC -shared -o "$T_TMP/libo.so" "$T_TMP/o.c" &&
	gcc -O1 -g -o "$T_TMP/forker" "$T_TMP/forker.c" -L"$T_TMP" -lo -Wl,-rpath,"$T_TMP" ||
	t_fatal "cannot build the fork test"
t_run "$T_TMP/f.log" --rules 'o: o_new = new; o: o_ref = inc; o: o_unref = dec' -- "$T_TMP/forker"
t_rc "$T_RC" 0 "tally run forker"
CLOG=$(sed -n 's/^tally: also: \(.*\) (pid [0-9]*, child process)$/\1/p' "$T_ERR")
[ -f "$CLOG" ] || t_fatal "no child log: $(cat "$T_ERR")"
t_report "$CLOG" child
t_eq "$T_JSON" '[.objects.inherited, .objects.leaked]' '[1,1]' "child: [inherited, leaked]"
t_eq "$T_JSON" '[.verdicts[] | .function]' '["child_leaks"]' "child: the verdict names its own leak only"
t_report "$T_TMP/f.log" parent
t_eq "$T_JSON" '[.objects.inherited, .objects.leaked, (.verdicts | length)]' '[0,0,0]' \
	"parent: [inherited, leaked, verdicts]"
"$TALLY" report "$CLOG" >"$T_TMP/child.txt"
grep -q "(1 inherited from its parent at fork: not its leaks)" "$T_TMP/child.txt" && t_pass ||
	t_fail "child text: $(grep '^reference counts' "$T_TMP/child.txt")"

# The child keeps 3 references to the inherited object: its own leak.
t_run "$T_TMP/r.log" --rules 'o: o_new = new; o: o_ref = inc; o: o_unref = dec' -- "$T_TMP/forker" refs
t_rc "$T_RC" 0 "tally run forker refs"
CLOG=$(sed -n 's/^tally: also: \(.*\) (pid [0-9]*, child process)$/\1/p' "$T_ERR")
[ -f "$CLOG" ] || t_fatal "no child log: $(cat "$T_ERR")"
t_report "$CLOG" child-refs
t_eq "$T_JSON" '[.objects.inherited, .objects.leaked]' '[0,2]' "child with refs: [inherited, leaked]"
t_true "$T_JSON" '[.verdicts[] | .function] | index("child_refs") != null' \
	"child with refs: a verdict names child_refs"
t_done
