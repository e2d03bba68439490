/*
 * rev_longjmp — a hooked call left by longjmp, then a reference taken on
 * the same object from a frame deeper than the one the abandoned call was
 * made from.  o is created (1), referenced (2); rv_unref_cb drops one (1)
 * and its callback longjmps out of it; take() then adds two references from
 * a deeper frame (3).  Writes "object o ADDR" into argv[1]; prints
 * "ok count 3".  The object is left alive.
 *
 *   rev_longjmp OUTFILE [sig]
 * sig: sigsetjmp/siglongjmp instead of setjmp/longjmp.  Built twice
 * (tests/progs/rev.mk): plain, and as rev_longjmp_chk with _FORTIFY_SOURCE,
 * where the jumps become __longjmp_chk.
 */
#include <setjmp.h>
#include <stdio.h>

#include "revlib/revlib.h"

static jmp_buf jb;
static sigjmp_buf sjb;
static volatile int sink;

static void jump(void *arg)
{
	(void)arg;
	longjmp(jb, 1);
}

static void sigjump(void *arg)
{
	(void)arg;
	siglongjmp(sjb, 1);
}

/* A real call (not a tail call) from a frame below main's. */
__attribute__((noinline, optimize("no-optimize-sibling-calls"))) static void take(struct rv_obj *o)
{
	volatile char pad[64];
	pad[0] = 1;
	rv_ref(o);
	rv_ref(o);
	sink = pad[0];
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	struct rv_obj *o = rv_new();
	rv_ref(o);
	if (argc > 2) {
		if (!sigsetjmp(sjb, 1))
			rv_unref_cb(o, sigjump, NULL);
	} else if (!setjmp(jb)) {
		rv_unref_cb(o, jump, NULL);
	}
	take(o);
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "object o %p\n", (void *)o);
	fclose(f);
	printf("ok count %d\n", rv_count(o));
	return 0;
}
