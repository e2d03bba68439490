/*
 * fd_exit — leaks N UDP sockets, then ends with a chosen status, so the
 * tests can check that `tally run` passes the status through and what
 * --check makes of it.
 *
 *   fd_exit CODE [N]     exit(CODE) after leaking N sockets (default 0)
 *   fd_exit kill [N]     die of SIGTERM instead
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static __attribute__((noinline, noclone)) int leak_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		exit(100);
	}
	return fd;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;

	if (argc < 2) {
		fprintf(stderr, "usage: fd_exit CODE|kill [N]\n");
		return 2;
	}
	for (int i = 0; i < n; i++)
		leak_socket();
	if (strcmp(argv[1], "kill") == 0) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		return 101;
	}
	return atoi(argv[1]);
}
