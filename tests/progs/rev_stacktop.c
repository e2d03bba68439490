/*
 * rev_stacktop — a hooked reference function called from code running near
 * the top of its stack: a makecontext() coroutine whose stack is followed
 * by an unmapped (PROT_NONE) page, as a coroutine library or a thread with
 * its own stack (pthread_attr_setstack) has it.  The program only touches
 * its own stack; prints "ok count N" and exits 0.
 */
#include <stdio.h>

#include "progutil.h"
#include "revlib/revlib.h"

static struct rv_obj *obj;

static void coroutine(void)
{
	/* A direct call at the very top of the coroutine's stack. */
	rv_ref(obj);
}

int main(void)
{
	obj = rv_new();
	if (run_on_guarded_stack(coroutine, 16) != 0)
		return 2;
	printf("ok count %d\n", rv_count(obj));
	rv_unref(obj);
	rv_unref(obj);
	return 0;
}
