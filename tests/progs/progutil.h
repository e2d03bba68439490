/*
 * tests/progs/progutil.h — the boilerplate the test programs share: dying
 * on a failed call, finding, loading and looking into a dlopen'ed plugin,
 * and running a function on a small stack that ends in an unmapped page.  Static inline, so each program (built alone from its NAME.c or
 * NAME.cc, C or C++) gets only what it uses.  Nothing here opens a socket:
 * the call sites whose stacks the tests check stay in the programs.
 */
#ifndef TALLY_TEST_PROGUTIL_H
#define TALLY_TEST_PROGUTIL_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
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

/* Runs fn on a stack of `pages` pages followed by an unmapped one (as a
 * coroutine library's, or a thread's on a stack of its own), until it
 * returns.  0, or -1 (perror said why). */
static inline int run_on_guarded_stack(void (*fn)(void), size_t pages)
{
	static ucontext_t main_ctx, co_ctx;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = pages * page;
	char *mem = (char *)mmap(NULL, size + page, PROT_READ | PROT_WRITE,
	                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED || mprotect(mem + size, page, PROT_NONE) != 0) {
		perror("mmap");
		return -1;
	}
	if (getcontext(&co_ctx) != 0) {
		perror("getcontext");
		return -1;
	}
	co_ctx.uc_stack.ss_sp = mem;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, fn, 0);
	if (swapcontext(&main_ctx, &co_ctx) != 0) {
		perror("swapcontext");
		return -1;
	}
	return 0;
}

#endif
