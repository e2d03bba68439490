/*
 * safe_sigkill — a program to be killed with SIGKILL at an arbitrary
 * moment: 6 sockets made, 2 closed (4 left open, from keep_socket), then
 * an endless loop that opens a socket, closes it at once, and sleeps a
 * little.  Prints "pid P" and "ready" before the loop.  It gives up after
 * 30 s, so a test that forgot it does not leave it behind forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static __attribute__((noinline)) int keep_socket(int type)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0) {
		perror("socket");
		exit(100);
	}
	return fd;
}

static __attribute__((noinline)) void churn_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	int fds[6];
	struct timespec nap = { 0, 200 * 1000 };   /* 200 us */

	for (int i = 0; i < 6; i++)
		fds[i] = keep_socket(i % 2 ? SOCK_STREAM : SOCK_DGRAM);
	close(fds[1]);
	close(fds[4]);
	printf("open %d %d %d %d\npid %d\nready\n", fds[0], fds[2], fds[3], fds[5], (int)getpid());
	fflush(stdout);
	time_t give_up = time(NULL) + 30;
	while (time(NULL) < give_up) {
		churn_socket();
		nanosleep(&nap, NULL);
	}
	return 0;
}
