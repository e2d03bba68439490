/*
 * rev_dlerror — dlerror() after a successful dlopen says nothing (glibc
 * clears the error state on each dl* call).  Loads argv[1] (librevlib.so,
 * not linked to this program) RTLD_LAZY | RTLD_LOCAL and prints
 * "dlopen ok dlerror NONE" or the message dlerror() returned.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
	const char *e = dlerror();
	printf("dlopen %s dlerror %s\n", h ? "ok" : "failed", e ? e : "NONE");
	return 0;
}
