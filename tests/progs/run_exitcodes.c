/*
 * run_exitcodes — children that each open a socket and leave it open, then
 * end: with _exit(3), exit(2), quick_exit(4), killed by SIGTERM (as a
 * test's server is at teardown), or (unless "failing") exit(0).  A child
 * that exits on an error (a test's subprocess that fails on purpose) or is
 * killed is no leak for tally run --check; one that exits with 0 is
 * (tests/integration/test_run_exitcodes.sh).
 *
 *   run_exitcodes [failing]   prints "child M: STATUS" per child (the
 *                             signal's number, negative, for the killed
 *                             one), exits 0
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strlen(argv[1]) == 1) {   /* a child */
		if (socket(AF_INET, SOCK_DGRAM, 0) < 0)
			return 98;
		if (argv[1][0] == 'u')
			_exit(3);
		if (argv[1][0] == 'q')
			quick_exit(4);
		if (argv[1][0] == 'k') {
			kill(getpid(), SIGTERM);
			pause();
		}
		exit(argv[1][0] == 'e' ? 2 : 0);
	}
	const char *modes = argc > 1 && strcmp(argv[1], "failing") == 0 ? "ueqk" : "ueqk0";
	for (const char *m = modes; *m; m++) {
		char arg[2] = { *m, 0 };
		int status;
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			execl(argv[0], argv[0], arg, (char *)NULL);
			_exit(99);
		}
		if (waitpid(pid, &status, 0) != pid)
			return 1;
		printf("child %c: %d\n", *m,
		       WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status));
	}
	return 0;
}
