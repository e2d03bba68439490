/*
 * ref_got — calls a reference-counting library (tests/unit/gotlib) every
 * way a call can reach it, for tests/integration/test_ref_got.sh:
 *
 *   ref_got PLUGIN OBJECTS
 *
 * Four objects from one call site (site_new): a, b, c and d.  a gets two
 * references through the PLT (site_plt_ref), one through a function
 * pointer read from the GOT (site_ptr_ref: this file is compiled -fPIC, so
 * the address comes from a GLOB_DAT slot; the linker then has the PLT
 * calls of gl_ref jump through that slot too, while gl_new and gl_unref
 * keep JUMP_SLOT entries of their own) and one from the dlopen'ed
 * PLUGIN (its gotplugin_ref, called by site_plugin); the plugin is then
 * dlclose'd, loaded again and called once more.  a is dropped 4 times
 * (site_unref): 2 references stay.  b and c are dropped once: freed.  d
 * gets a reference from inside the library (gl_use_own, called by
 * site_own): 2 stay.
 *
 * stdout: the library's own counts, the same with and without tally.
 * OBJECTS: "object NAME ADDR" lines, to find a, b, c, d in the books.
 * The call sites are functions of their own (noinline, not static: their
 * names stay as written), so each innermost frame names its site.
 *
 * Built by tests/unit/refhooks.mk twice: ref_got (-z now, against
 * libgotlib.so, loads the plugin RTLD_NOW) and ref_got_lazy (lazy PLT,
 * against libgotlib_lazy.so, loads it RTLD_LAZY).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "gotlib.h"
#include "progutil.h"

#ifndef REF_GOT_DLOPEN
#define REF_GOT_DLOPEN RTLD_NOW
#endif

#define BARRIER() __asm__ volatile("" ::: "memory")

typedef void *(*ref_fn)(void *);

/* The call sites: one stack each. */
__attribute__((noinline)) void *site_new(void)
{
	void *o = gl_new();
	BARRIER();
	return o;
}

__attribute__((noinline)) void *site_plt_ref(void *o)
{
	void *r = gl_ref(o);
	BARRIER();
	return r;
}

__attribute__((noinline)) void *site_ptr_ref(void *o)
{
	/* read from the GOT here, at run time: a GLOB_DAT slot */
	ref_fn volatile p = gl_ref;
	void *r = p(o);
	BARRIER();
	return r;
}

__attribute__((noinline)) void site_unref(void *o)
{
	gl_unref(o);
	BARRIER();
}

__attribute__((noinline)) void site_own(void *o)
{
	gl_use_own(o);
	BARRIER();
}

__attribute__((noinline)) void *site_plugin(ref_fn fn, void *o)
{
	void *r = fn(o);
	BARRIER();
	return r;
}

/* Loads the plugin, calls it on `o` once, unloads it; says whether it
 * really went. */
static int plugin_round(const char *path, void *o, int *returns_arg)
{
	void *lib = dlopen(path, REF_GOT_DLOPEN | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "ref_got: dlopen %s: %s\n", path, dlerror());
		exit(100);
	}
	ref_fn fn = (ref_fn)need("ref_got", lib, "gotplugin_ref");
	*returns_arg &= site_plugin(fn, o) == o;
	dlclose(lib);
	void *again = dlopen(path, REF_GOT_DLOPEN | RTLD_NOLOAD);
	if (again)
		dlclose(again);
	return again == NULL;
}

int main(int argc, char **argv)
{
	void *obj[4];
	int returns_arg = 1, unloaded = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: ref_got PLUGIN OBJECTS\n");
		return 2;
	}
	FILE *objects = fopen(argv[2], "w");
	if (!objects)
		die(argv[2]);

	/* One call site for the four creations: the trip count is volatile
	 * so the loop is not unrolled into four. */
	static volatile int nobj = 4;
	for (int i = 0; i < nobj; i++)
		obj[i] = site_new();
	void *a = obj[0], *b = obj[1], *c = obj[2], *d = obj[3];
	fprintf(objects, "object a %p\nobject b %p\nobject c %p\nobject d %p\n", a, b, c, d);
	fclose(objects);

	static volatile int twice = 2;
	for (int i = 0; i < twice; i++)
		returns_arg &= site_plt_ref(a) == a;
	returns_arg &= site_ptr_ref(a) == a;
	unloaded &= plugin_round(argv[1], a, &returns_arg);
	unloaded &= plugin_round(argv[1], a, &returns_arg);
	site_own(d);

	static volatile int four = 4;
	for (int i = 0; i < four; i++)
		site_unref(a);
	site_unref(b);
	site_unref(c);

	printf("a count %d\n", gl_count(a));
	printf("d count %d\n", gl_count(d));
	printf("live objects %d\n", gl_live());
	printf("calls new %ld ref %ld unref %ld\n", gl_calls_new(), gl_calls_ref(),
	       gl_calls_unref());
	printf("ref returns its argument %s\n", returns_arg ? "yes" : "no");
	printf("plugin unloaded %s\n", unloaded ? "yes" : "no");
	return 0;
}
