/*
 * fd_kept — a socket kept open for the life of the process, made under a
 * function a lifetime rule names for every type ("*: open_for_life =
 * lifetime", as the gobject preset names GIO's network monitor, whose
 * netlink socket GIO keeps), and one socket leaked beside it.  With
 * "child": the parent runs itself again as a child first, which does the
 * same (tests/integration/test_fd_kept.sh).  Prints "fds A B", exits 0.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int kept_fd = -1;

__attribute__((noinline)) int open_for_life(void)
{
	kept_fd = socket(AF_INET, SOCK_DGRAM, 0);
	__asm__ volatile("" ::: "memory");   /* not a tail call */
	return kept_fd;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			execl(argv[0], argv[0], (char *)NULL);
			_exit(99);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			return 1;
	}
	int a = open_for_life();
	int b = socket(AF_INET, SOCK_DGRAM, 0);   /* leaked */
	printf("fds %d %d\n", a, b);
	return a < 0 || b < 0;
}
