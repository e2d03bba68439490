/* librevrelro.so: calls rv_ref through its PLT and keeps a counter in .data
 * (tests/integration/test_rev_relro.sh; its PT_GNU_RELRO is extended by
 * relro_extend to end in the middle of the page of .got.plt and .data). */
#include "revlib.h"

int rr_calls = 1;   /* .data: written on every call */

struct rv_obj *rr_use(struct rv_obj *o)
{
	rr_calls++;
	return rv_ref(o);
}
