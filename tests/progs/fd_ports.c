/* Four UDP ports from BASE bound, two of them dup'ed (more fds, not more
 * ports), then a quiet second before exit: the port budget counts 4 ports
 * and takes its rate over the whole time, quiet included. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int base = argc > 1 ? atoi(argv[1]) : 31000;

	for (int i = 0; i < 4; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(base + i)),
		                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
			perror("bind");
			return 1;
		}
		if (i < 2 && dup(fd) < 0)
			return 1;
	}
	usleep(1200 * 1000);
	printf("bound %d-%d\n", base, base + 3);
	return 0;
}
