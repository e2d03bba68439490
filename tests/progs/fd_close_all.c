/* A daemon's start: close every fd from 3 up to a limit, open or not.  The
 * closes of fds that are not open are counted, and only the first 1024
 * recorded with a stack, so the event area is left for what matters. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static __attribute__((noinline)) int after_the_loop(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);   /* left open on purpose */
	__asm__ volatile("" ::: "memory");         /* no tail call: keep the frame */
	return fd;
}

int main(int argc, char **argv)
{
	int limit = argc > 1 ? atoi(argv[1]) : 5000, closed = 0;

	for (int fd = 3; fd < limit; fd++)
		closed += close(fd) == 0;
	printf("closed %d open fd %d\n", closed, after_the_loop());
	return 0;
}
