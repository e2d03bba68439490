/*
 * ref_kept — objects alive at exit, some kept on purpose (a flag says so),
 * some still reachable from a global variable, for
 * tests/integration/test_ref_kept.sh under the rules
 *   kt: kt_new = new; kt: kt_ref = inc; kt: kt_unref = dec; kt: kept_if(0, 2);
 *   gt: gt_new = new; gt: kept_if(8, 1, g_object_get_type)
 *
 *   kt A  flags 2                          kept
 *   kt B  flags 0                          leaked
 *   kt C  flags 2, then unmapped unseen    leaked (its flag cannot be read)
 *   kt F  flags 2, freed with kt_unref     not alive
 *   kt G  flags 0, in a global variable    still reachable: not leaked
 *   kt H  flags 0, in a global variable,   leaked: +1 beyond its creation
 *         and one more kt_ref from           reference, at extra_ref()
 *         extra_ref()
 *   gt D  a real GObject (ref_count 1)     kept: a GObject, word 8 odd
 *   gt E  a fake: word 8 is 1, its class   leaked: the GType check faults,
 *         pointer leads to a garbage GType    the shim's guard skips it
 * Exits 0; prints "ok".
 */
#include <glib-object.h>
#include <stdio.h>
#include <string.h>

#include "keptlib/keptlib.h"

/* A fake GTypeInstance: class pointer first, then an odd word at 8. */
struct fake {
	void *klass;
	uint32_t word;
};

/* Globals holding objects at exit: still reachable. */
struct kt_obj *global_g, *global_h;

static __attribute__((noinline)) void extra_ref(struct kt_obj *o)
{
	kt_ref(o);   /* never dropped */
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	static uintptr_t garbage_class[4] = { 0x7ff0deadbeef0000u, 1, 2, 3 };
	static struct fake fake = { garbage_class, 1 };

	struct kt_obj *a = kt_new(2), *b = kt_new(0), *c = kt_new(2), *f = kt_new(2);
	if (!a || !b || !c || !f)
		return 1;
	/* before C's page is unmapped: mmap would hand its address out again */
	global_g = kt_new(0);
	global_h = kt_new(0);
	if (!global_g || !global_h)
		return 1;
	extra_ref(global_h);
	kt_unref(f);
	kt_vanish(c);
	GObject *d = g_object_new(G_TYPE_OBJECT, NULL);
	if (gt_new(d) != d || gt_new(&fake) != &fake)
		return 1;
	printf("ok\n");
	return 0;
}
