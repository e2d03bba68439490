#define _GNU_SOURCE
/* Calls that fail because the program passed a bad pointer must fail the
 * same way under the shim (EFAULT, or the error the kernel finds first),
 * never crash it: the shim may only read what the kernel could read. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(const char *what, int ret)
{
	printf("%-36s -> %d %s\n", what, ret, ret < 0 ? strerrorname_np(errno) : "");
}

int main(void)
{
	/* A page that is mapped but unreadable, and one past the end of a
	 * readable page: bad pointers that do not point into nothing. */
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (none == MAP_FAILED || two == MAP_FAILED || mprotect(two + 4096, 4096, PROT_NONE))
		return 1;
	struct sockaddr *edge = (struct sockaddr *)(two + 4096 - 4);   /* 4 bytes, then none */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	show("bind(PROT_NONE addr)", bind(s, (struct sockaddr *)none, 16));
	show("bind(addr across into PROT_NONE)", bind(s, edge, 16));
	show("bind(bad fd, PROT_NONE addr)", bind(-1, (struct sockaddr *)none, 16));
	show("bind(NULL, 16)", bind(s, NULL, 16));
	show("connect(PROT_NONE addr)", connect(s, (struct sockaddr *)none, 16));
	show("connect(bad fd, PROT_NONE addr)", connect(-1, (struct sockaddr *)none, 16));
	show("connect(len 100000)", connect(s, (struct sockaddr *)two, 100000));

	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	show("bind listener", bind(l, (struct sockaddr *)&a, sizeof(a)));
	show("listen", listen(l, 4));
	show("accept(PROT_NONE len) on empty queue", accept(l, (struct sockaddr *)two, (socklen_t *)none));
	show("accept4(PROT_NONE addr and len)", accept4(l, (struct sockaddr *)none, (socklen_t *)none, 0));
	close(s);
	close(l);
	return 0;
}
