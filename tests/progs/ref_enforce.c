/*
 * ref_enforce — the violations TALLY_ENFORCE=abort stops a program at
 * (tests/integration/test_ref_enforce.sh).
 *
 *   ref_enforce double-close     a UDP socket closed twice (the second
 *                                close fails with EBADF), then exits 0
 *   ref_enforce after-release    rl_new, rl_unref (count 0: freed), then
 *                                rl_ref of the freed object: a use after
 *                                free the program would commit, so only
 *                                run it where tally aborts first
 *   ref_enforce balanced         rl_new, rl_ref, rl_unref x2: no violation
 */
#include "reflib/reflib.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static __attribute__((noinline)) int close_twice(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return perror("socket"), 1;
	if (close(fd) != 0)
		return perror("close"), 1;
	int rc = close(fd);   /* the double close */
	printf("second close: %d %s\n", rc, rc ? strerror(errno) : "");
	return 0;
}

static __attribute__((noinline)) void ref_after_release(void)
{
	struct rl_obj *o = rl_new(1);
	rl_unref(o);
	printf("released\n");
	fflush(stdout);
	rl_ref(o);            /* tally aborts here under TALLY_ENFORCE=abort */
	printf("not reached under TALLY_ENFORCE=abort\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "double-close") == 0)
		return close_twice();
	if (strcmp(mode, "after-release") == 0) {
		ref_after_release();
		return 0;
	}
	if (strcmp(mode, "balanced") == 0) {
		struct rl_obj *o = rl_new(1);
		rl_ref(o);
		rl_unref(o);
		rl_unref(o);
		return 0;
	}
	fprintf(stderr, "usage: ref_enforce double-close|after-release|balanced\n");
	return 2;
}
