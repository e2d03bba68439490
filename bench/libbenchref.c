/*
 * libbenchref — the reference-counted object bench_ref measures: a real
 * atomic counter, freed when it reaches 0, with its functions exported
 * (default visibility) and noinline, as libgobject has g_object_ref.
 *
 * br_hold and br_release take and drop a reference through br_ref and
 * br_unref, as gst_object_ref calls g_object_ref: a hooked call nested in
 * another for the same object.  Built with -fno-semantic-interposition
 * (bench.mk), so those inner calls are direct, with no PLT or GOT entry,
 * like a library calling its own functions (MEASURED.md, hazard 3): only an
 * entry hook sees them.
 */
#include <stdlib.h>

#define API __attribute__((visibility("default"), noinline))
/* Keeps a call from becoming a tail call: the inner call gets its own
 * frame below the outer one, as in GStreamer. */
#define KEEP(x) __asm__ volatile("" : "+r"(x))

struct br {
	int refs;              /* atomic */
	int payload;
};

API struct br *br_new(void)
{
	struct br *o = calloc(1, sizeof(*o));
	if (o)
		o->refs = 1;
	return o;
}

API struct br *br_ref(struct br *o)
{
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

API void br_unref(struct br *o)
{
	if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(o);
}

API struct br *br_hold(struct br *o)
{
	struct br *r = br_ref(o);
	KEEP(r);
	return r;
}

API void br_release(struct br *o)
{
	br_unref(o);
	KEEP(o);
}

/* The current count, for the program's own check. */
API int br_refs(const struct br *o)
{
	return __atomic_load_n(&o->refs, __ATOMIC_RELAXED);
}
