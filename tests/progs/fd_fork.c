/*
 * fd_fork — fork with sockets open.  The parent opens one socket
 * (parent_sock), forks N children one after the other and waits for each;
 * child k closes the inherited socket (unless "keep"), leaks k sockets of
 * its own (child_sock) and exits normally.  The parent closes its socket
 * after the last child is gone and leaks nothing.  Prints "parent PID",
 * "sock FD" and "child K PID".
 *
 *   fd_fork N [keep]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progutil.h"

static __attribute__((noinline, noclone)) int parent_sock(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket parent");
	return fd;
}

static __attribute__((noinline, noclone)) int child_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket child");
	return fd;
}

static __attribute__((noinline, noclone)) void child_main(int k, int inherited, int keep)
{
	if (!keep && close(inherited) != 0)
		die("close inherited");
	for (volatile int i = 0; i < k; i++)
		child_sock();
	printf("child %d %d\n", k, (int)getpid());
	exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int keep = argc > 2 && !strcmp(argv[2], "keep");
	int s = parent_sock();

	printf("parent %d\nsock %d\n", (int)getpid(), s);
	for (int k = 1; k <= n; k++) {
		int status;
		fflush(stdout);   /* or the child would print the parent's lines again */
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			child_main(k, s, keep);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			die("child failed");
	}
	if (close(s) != 0)
		die("close");
	return 0;
}
