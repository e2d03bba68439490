/* One of each: a listening socket, a client connected to it, the accepted
 * connection (accept without asking for the peer), and a dup of that.
 * Prints the listening port; all four stay open. */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return 1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	int s = accept(l, NULL, NULL);
	if (s < 0 || dup(s) < 0)
		return 1;
	printf("port %d\n", ntohs(a.sin_port));
	return 0;
}
