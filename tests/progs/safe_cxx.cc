/*
 * safe_cxx — a C++ program whose dlopen'ed C++ plugin throws and catches
 * exceptions, also across the plugin boundary both ways, with sockets
 * opened and closed in between (MEASURED.md, hazard 2: a preload that
 * brings libunwind in as DT_NEEDED takes over _Unwind_RaiseException).
 * Every line it prints is deterministic, so runs with and without the shim
 * compare byte for byte.
 *
 *   safe_cxx [PLUGIN.so]    default: safe_throw_plugin.so beside the program
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "progutil.h"

typedef int (*inside_fn)(int);
typedef void (*out_fn)(int);
typedef int (*call_main_fn)(void (*)(int), int);
typedef int (*int_fn)(void);

static int main_guards;

struct MainGuard {
	~MainGuard() { main_guards++; }
};

/* Thrown by the program, caught by the plugin. */
static void main_callback(int v)
{
	MainGuard g;
	throw std::logic_error("main error " + std::to_string(v));
}

static __attribute__((noinline)) int main_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		exit(100);
	}
	return fd;
}

/* Catches what the plugin throws, and rethrows it from the program. */
static __attribute__((noinline)) std::string relay(out_fn out, int code)
{
	try {
		MainGuard g;
		out(code);
	} catch (const std::runtime_error &) {
		throw;
	}
	return "not thrown";
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];

	if (plugin_path(path, sizeof(path), argc, argv, "safe_throw_plugin.so") != 0)
		return 100;
	void *lib = open_plugin("safe_cxx", path);
	inside_fn inside = (inside_fn)need("safe_cxx", lib, "plugin_throw_inside");
	out_fn out = (out_fn)need("safe_cxx", lib, "plugin_throw_out");
	call_main_fn call_main = (call_main_fn)need("safe_cxx", lib, "plugin_call_main");
	int_fn between = (int_fn)need("safe_cxx", lib, "plugin_socket_between_throws");
	int_fn guards = (int_fn)need("safe_cxx", lib, "plugin_guards_run");

	printf("inside: caught %d of 1000\n", inside(1000));

	int fd = main_socket();   /* open across the throws below */
	int caught = 0;
	for (int i = 0; i < 100; i++) {
		try {
			out(i);
		} catch (const std::runtime_error &e) {
			caught += std::string(e.what()) == "plugin error " + std::to_string(i);
		}
	}
	printf("out: caught %d of 100 in the program\n", caught);
	close(fd);

	int back = 0;
	for (int i = 0; i < 100; i++)
		back += call_main(main_callback, i);
	printf("back: plugin caught %d of 100 from the program\n", back);

	int fds_ok = 0;
	for (int i = 0; i < 50; i++)
		fds_ok += between() >= 0;
	printf("between: %d of 50 sockets opened and closed around a throw\n", fds_ok);

	try {
		relay(out, 42);
		printf("relay: nothing thrown\n");
	} catch (const std::exception &e) {
		printf("relay: %s\n", e.what());
	}

	printf("guards: plugin %d, program %d\n", guards(), main_guards);
	dlclose(lib);
	return 0;
}
