/*
 * safe_cxx_host — a C program that dlopen()s the C++ plugin
 * safe_throw_plugin.so: the case of MEASURED.md, hazard 2, where it bites
 * hardest.  The program does not link libstdc++ or libgcc_s, so both are
 * loaded by the dlopen, after everything the preload brought in: had the
 * shim pulled libunwind in as DT_NEEDED, libstdc++ would bind its
 * _Unwind_RaiseException to libunwind's.  (A C++ program links libgcc_s
 * itself, ahead of a preload's dependencies: see safe_cxx for that case.)
 *
 *   safe_cxx_host [PLUGIN.so]   default: safe_throw_plugin.so beside it
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "progutil.h"

typedef int (*inside_fn)(int);
typedef int (*int_fn)(void);

static __attribute__((noinline)) int host_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		exit(100);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];

	if (plugin_path(path, sizeof(path), argc, argv, "safe_throw_plugin.so") != 0)
		return 100;
	int fd = host_socket();   /* open while the plugin is loaded and throws */
	void *lib = open_plugin("safe_cxx_host", path);
	inside_fn inside = (inside_fn)need("safe_cxx_host", lib, "plugin_throw_inside");
	int_fn between = (int_fn)need("safe_cxx_host", lib, "plugin_socket_between_throws");
	int_fn guards = (int_fn)need("safe_cxx_host", lib, "plugin_guards_run");

	printf("inside: caught %d of 1000\n", inside(1000));
	int ok = 0;
	for (int i = 0; i < 50; i++)
		ok += between() >= 0;
	printf("between: %d of 50 sockets opened and closed around a throw\n", ok);
	printf("guards: plugin %d\n", guards());
	close(fd);
	dlclose(lib);
	return 0;
}
