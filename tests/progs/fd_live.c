/*
 * fd_live — a long-running process for reading a log while it is written:
 * opens 4 sockets (2 UDP bound to 127.0.0.1 from live_udp, 2 TCP from
 * live_tcp), closes 1 more, prints "ready PID" and sleeps until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "progutil.h"

static __attribute__((noinline, noclone)) int live_udp(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die("udp");
	return fd;
}

static __attribute__((noinline, noclone)) int live_tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("tcp");
	return fd;
}

int main(void)
{
	for (volatile int i = 0; i < 2; i++)
		live_udp();
	for (volatile int i = 0; i < 3; i++) {
		int fd = live_tcp();
		if (i == 2 && close(fd) != 0)
			die("close");
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
