/*
 * safe_throw_plugin — the dlopen'ed C++ plugin of MEASURED.md, hazard 2.
 * It throws and catches inside itself, throws out into the program, catches
 * what the program's callback throws, and opens and closes a socket between
 * throws.  Guard destructors run during unwinding, so _Unwind_Resume is
 * called as well as _Unwind_RaiseException.  Built by tests/tests.mk as
 * build/progs/safe_throw_plugin.so; loaded by safe_cxx.
 */
#include <stdexcept>
#include <string>

#include <sys/socket.h>
#include <unistd.h>

namespace {

int guards_run;   // Guard destructors run so far (one thread uses the plugin)

struct Guard {
	std::string what;
	explicit Guard(const char *w) : what(w) {}
	~Guard() { guards_run++; }
};

__attribute__((noinline)) void plugin_thrower(int i)
{
	Guard g("thrower");
	if (i >= 0)
		throw std::runtime_error("inside " + std::to_string(i));
}

}  // namespace

extern "C" {

/* Throws and catches n times inside the plugin; returns how many caught. */
__attribute__((visibility("default"))) int plugin_throw_inside(int n)
{
	int caught = 0;
	for (int i = 0; i < n; i++) {
		try {
			plugin_thrower(i);
		} catch (const std::runtime_error &e) {
			if (e.what() == "inside " + std::to_string(i))
				caught++;
		}
	}
	return caught;
}

/* Throws out of the plugin, through a frame with a destructor. */
__attribute__((visibility("default"))) void plugin_throw_out(int code)
{
	Guard g("out");
	throw std::runtime_error("plugin error " + std::to_string(code));
}

/* Calls back into the program, which throws; caught here.  Returns 1 when
 * the program's exception arrived with its message. */
__attribute__((visibility("default"))) int plugin_call_main(void (*cb)(int), int v)
{
	try {
		Guard g("call_main");
		cb(v);
	} catch (const std::logic_error &e) {
		return std::string(e.what()) == "main error " + std::to_string(v);
	}
	return 0;
}

/* A socket opened, an exception thrown and caught while it is open, then
 * closed.  Returns the fd it had, or -1. */
__attribute__((visibility("default"))) int plugin_socket_between_throws(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	try {
		plugin_thrower(fd);
	} catch (const std::exception &) {
		close(fd);
		return fd;
	}
	close(fd);
	return -1;
}

__attribute__((visibility("default"))) int plugin_guards_run(void)
{
	return guards_run;
}

}  // extern "C"
