/*
 * rev_failchild — a child process that makes a certain violation in its
 * books and then exits with status 1: what it still held is no leak, but
 * its certain violation still fails tally run --check
 * (tests/integration/test_run_exitcodes.sh).  Run with rules that book
 * rv_ref as a decrement, so that its second call is a reference after
 * release while the real counts stay right.  Prints "child: 1", exits 0.
 * With an argument: makes the same violation itself, then execs true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "revlib/revlib.h"

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {   /* "exec": the same violation, then an exec */
		struct rv_obj *o = rv_new();
		rv_ref(o);
		rv_ref(o);
		execl("/bin/true", "true", (char *)NULL);
		return 99;
	}
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		struct rv_obj *o = rv_new();
		rv_ref(o);   /* booked as the last decrement: released */
		rv_ref(o);   /* a reference after release, certain */
		exit(1);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child: %d\n", WEXITSTATUS(status));
	return 0;
}
