/* A socket leaked across exec: the first image opens a bound UDP socket
 * (inherited by the next image) and a close-on-exec one, then execs itself;
 * the second image must show the inherited socket, with its port.  The
 * first image also opens two sockets of different kinds from one call
 * site, to be reported as one group of mixed kinds. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static __attribute__((noinline)) int open_kind(int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	__asm__ volatile("" ::: "memory");
	return fd;
}

/* Both kinds from one call instruction: a loop the compiler may not copy. */
static __attribute__((noinline, optimize("O0")))
int open_kinds(void)
{
	static const int kinds[2] = { SOCK_DGRAM, SOCK_STREAM };
	static volatile int nkinds = 2;
	int ok = 0;

	for (int i = 0; i < nkinds; i++)
		ok |= open_kind(kinds[i]);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc > 2) {
		printf("second image\n");
		return 0;
	}
	int port = argc > 1 ? atoi(argv[1]) : 33333;
	int kept = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (kept < 0 || bind(kept, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 1;
	if (open_kinds() < 0)
		return 1;
	execl("/proc/self/exe", argv[0], argv[1] ? argv[1] : "33333", "again", (char *)NULL);
	return 1;
}
