/*
 * safe_netplugin — a C plugin for safe_threads_dlopen, which opens a UDP
 * socket from a function of its own.  test_safe_threads_dlopen.sh builds it
 * as a shared object (gcc -shared -fPIC -g) under two names.  The main()
 * below only lets tests/tests.mk's default rule build this file as a
 * program too; it does nothing.
 */
#include <sys/socket.h>

static __attribute__((noinline)) int netplugin_make_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	__asm__ volatile("" ::: "memory");   /* no tail call: keep this frame */
	return fd;
}

/* The plugin's entry point: a socket, left open for the caller. */
__attribute__((visibility("default"), noinline)) int netplugin_open(void)
{
	int fd = netplugin_make_socket();
	__asm__ volatile("" ::: "memory");
	return fd;
}

int main(void)
{
	return 0;
}
