/*
 * rev_relro — calls rr_use (librevrelro.so, whose GOT slot for rv_ref lies
 * in a PT_GNU_RELRO range ending mid-page, see tests/progs/revlib) ten
 * times: each call writes the library's .data.  Prints "ok calls N count C".
 */
#include <stdio.h>

#include "revlib/revlib.h"

struct rv_obj *rr_use(struct rv_obj *o);
extern int rr_calls;

int main(void)
{
	struct rv_obj *o = rv_new();
	for (int i = 0; i < 10; i++)
		rr_use(o);
	printf("ok calls %d count %d\n", rr_calls, rv_count(o));
	for (int i = 0; i < 11; i++)
		rv_unref(o);
	return 0;
}
