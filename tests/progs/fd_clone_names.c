/* A socket opened from a function GCC clones (constant propagation makes
 * open_clone(AF_INET, ...) into open_clone.constprop.0(...)): the report
 * must name the frame "open_clone", as the source does. */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

static __attribute__((noinline)) int open_clone(int family, int type, int port)
{
	int fd = socket(family, type, 0);
	struct sockaddr_in a = { .sin_family = (sa_family_t)family, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		perror("bind");
	return fd;
}

int main(void)
{
	/* Both left open on purpose. */
	printf("fd %d\n", open_clone(AF_INET, SOCK_DGRAM, 0));
	printf("fd %d\n", open_clone(AF_INET, SOCK_DGRAM, 0));
	return 0;
}
