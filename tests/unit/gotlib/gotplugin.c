/*
 * gotplugin — the plugin tests/progs/ref_got dlopens, dlcloses and loads
 * again: its calls of gl_ref go through its own PLT slot (lazy until the
 * first call when loaded RTLD_LAZY), which tally must redirect each time
 * the plugin is loaded.  Not linked against gotlib: gl_ref comes from the
 * program's global scope.
 */
#include "gotlib.h"

void *gotplugin_ref(void *o)
{
	void *r = gl_ref(o);
	__asm__ volatile("" ::: "memory");   /* a call, not a tail jump */
	return r;
}
