/*
 * fd_fail_flood — a gateway's bad night after weeks of running: the event
 * area is long full when the port range runs out.  Fills the area with
 * FILL socket+close pairs, then binds BINDS times to a port its own socket
 * holds (EADDRINUSE) from port_taken(), and closes a socket twice DOUBLES
 * times from close_twice().  The report must count every one.
 *
 *   fd_fail_flood FILL BINDS DOUBLES
 * Prints "binds failed N double closes N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static __attribute__((noinline)) int port_taken(int fd, const struct sockaddr_in *sin)
{
	int rc = bind(fd, (const struct sockaddr *)sin, sizeof(*sin));
	__asm__ volatile("" ::: "memory");   /* no tail call: keep the frame */
	return rc;
}

static __attribute__((noinline)) int close_twice(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || close(fd) != 0)
		return 0;
	int rc = close(fd);
	__asm__ volatile("" ::: "memory");
	return rc < 0 && errno == EBADF;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int fill = atoi(argv[1]), binds = atoi(argv[2]), doubles = atoi(argv[3]);
	for (int i = 0; i < fill; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || close(fd) != 0)
			return 1;
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int holder = socket(AF_INET, SOCK_DGRAM, 0), other = socket(AF_INET, SOCK_DGRAM, 0);
	if (holder < 0 || other < 0 || bind(holder, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(holder, (struct sockaddr *)&sin, &len) != 0)
		return 1;
	int failed = 0, twice = 0;
	for (int i = 0; i < binds; i++)
		failed += port_taken(other, &sin) < 0 && errno == EADDRINUSE;
	for (int i = 0; i < doubles; i++)
		twice += close_twice();
	close(other);
	close(holder);
	printf("binds failed %d double closes %d\n", failed, twice);
	return 0;
}
