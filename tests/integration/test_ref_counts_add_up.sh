#!/bin/bash
# A verdict's counts add up: references taken less those dropped is what
# is left, also when the drops sit inside a branch that leaks (peek,
# which forgets one unref once, drops all the others).  The verdict once
# read "takes 6 references for each 1 dropped" for 12 taken, 11 dropped.
. "$(dirname "$0")/lib.sh"

cat >"$T_TMP/libobj.c" <<'EOC'
#include <stdlib.h>
#include <stdio.h>
#define API __attribute__((visibility("default"), noinline))
typedef struct obj { int refs; int id; } obj;
typedef struct objlist { obj *v[64]; int n; } objlist;
API obj *obj_new(int id) { obj *o = calloc(1, sizeof *o); o->refs = 1; o->id = id; return o; }
API obj *obj_ref(obj *o) { __atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED); return o; }
API void obj_unref(obj *o) { if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0) { o->id = -1; free(o); } }
API int obj_refs(obj *o) { return __atomic_load_n(&o->refs, __ATOMIC_RELAXED); }
API objlist *objlist_new(void) { return calloc(1, sizeof(objlist)); }
API void objlist_add(objlist *l, obj *o) { l->v[l->n++] = obj_ref(o); }
API obj *objlist_lookup(objlist *l, int id) {
  for (int i = 0; i < l->n; i++) if (l->v[i]->id == id) return obj_ref(l->v[i]);
  return NULL;
}
API void objlist_free(objlist *l) { for (int i = 0; i < l->n; i++) obj_unref(l->v[i]); free(l); }
EOC
cat >"$T_TMP/useobj.c" <<'EOC'
#include <stdio.h>
#include <string.h>
typedef struct obj obj; typedef struct objlist objlist;
obj *obj_new(int); obj *obj_ref(obj*); void obj_unref(obj*); int obj_refs(obj*);
objlist *objlist_new(void); void objlist_add(objlist*, obj*); obj *objlist_lookup(objlist*, int); void objlist_free(objlist*);

__attribute__((noinline)) static int peek(objlist *l, int id, int bug) {
  obj *o = objlist_lookup(l, id);
  if (!o) return -1;
  int r = obj_refs(o);
  if (!bug) obj_unref(o);          /* PEEKLINE: bug forgets this */
  return r;
}
int main(int argc, char **argv) {
  int bug = argc > 1 && !strcmp(argv[1], "--bug");
  objlist *l = objlist_new();
  for (int i = 0; i < 6; i++) { obj *o = obj_new(i); objlist_add(l, o); obj_unref(o); }
  int sum = 0;
  for (int k = 0; k < 10; k++) for (int i = 0; i < 6; i++) sum += peek(l, i, bug && i == 4 && k == 7);
  objlist_free(l);
  printf("sum=%d\n", sum);
  return 0;
}
EOC
gcc -O2 -g -fPIC -shared -o "$T_TMP/libobj.so" "$T_TMP/libobj.c" &&
	gcc -O2 -g -o "$T_TMP/useobj" "$T_TMP/useobj.c" -L"$T_TMP" -lobj -Wl,-rpath,"$T_TMP" ||
	t_fatal "cannot build useobj"
t_run "$T_TMP/u.log" --rules 'obj_new=new;obj_ref=inc;obj_unref=dec' -- "$T_TMP/useobj" --bug
t_rc "$T_RC" 0 "tally run useobj --bug"
t_report "$T_TMP/u.log"
t_eq "$T_JSON" '[.verdicts[] | [.taken, .dropped, .net]] | unique' '[[12,11,1]]' \
	"verdicts: [taken, dropped, net]"
# ... and the functions that dropped them include peek, whose drops sit
# inside its leaking branch.
t_true "$T_JSON" '[.verdicts[] | .dropped_by | split(", ") | index("peek") != null] | all' \
	"verdicts: dropped_by names peek"
t_done
