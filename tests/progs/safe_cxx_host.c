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

typedef int (*inside_fn)(int);
typedef int (*int_fn)(void);

static void *need(void *lib, const char *name)
{
	void *p = dlsym(lib, name);
	if (!p) {
		fprintf(stderr, "safe_cxx_host: dlsym %s: %s\n", name, dlerror());
		exit(100);
	}
	return p;
}

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

	if (argc > 1) {
		snprintf(path, sizeof(path), "%s", argv[1]);
	} else {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n <= 0)
			return 100;
		path[n] = 0;
		char *slash = strrchr(path, '/');
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "safe_throw_plugin.so");
	}
	int fd = host_socket();   /* open while the plugin is loaded and throws */
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "safe_cxx_host: dlopen: %s\n", dlerror());
		return 100;
	}
	inside_fn inside = (inside_fn)need(lib, "plugin_throw_inside");
	int_fn between = (int_fn)need(lib, "plugin_socket_between_throws");
	int_fn guards = (int_fn)need(lib, "plugin_guards_run");

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
