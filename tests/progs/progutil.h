/*
 * tests/progs/progutil.h — the boilerplate the test programs share: dying
 * on a failed call, and finding, loading and looking into a dlopen'ed
 * plugin.  Static inline, so each program (built alone from its NAME.c or
 * NAME.cc, C or C++) gets only what it uses.  Nothing here opens a socket:
 * the call sites whose stacks the tests check stay in the programs.
 */
#ifndef TALLY_TEST_PROGUTIL_H
#define TALLY_TEST_PROGUTIL_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* perror(what) and exit status 1. */
static inline void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The plugin a program loads: argv[1] if given, else `name` in the
 * program's own directory (from /proc/self/exe).  0, or -1 when the
 * program's own path cannot be read. */
static inline int plugin_path(char *path, size_t size, int argc, char **argv, const char *name)
{
	if (argc > 1) {
		snprintf(path, size, "%s", argv[1]);
	} else {
		ssize_t n = readlink("/proc/self/exe", path, size - 1);
		if (n <= 0)
			return -1;
		path[n] = 0;
		char *slash = strrchr(path, '/');
		snprintf(slash + 1, size - (size_t)(slash + 1 - path), "%s", name);
	}
	return 0;
}

/* dlopen(path, RTLD_NOW | RTLD_LOCAL), or "PROG: dlopen: ERROR" and exit
 * status 100. */
static inline void *open_plugin(const char *prog, const char *path)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "%s: dlopen: %s\n", prog, dlerror());
		exit(100);
	}
	return lib;
}

/* dlsym(lib, name), or "PROG: dlsym NAME: ERROR" and exit status 100. */
static inline void *need(const char *prog, void *lib, const char *name)
{
	void *p = dlsym(lib, name);
	if (!p) {
		fprintf(stderr, "%s: dlsym %s: %s\n", prog, name, dlerror());
		exit(100);
	}
	return p;
}

#endif
