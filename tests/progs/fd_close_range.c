/*
 * fd_close_range — close_range() over socket fds, from distinct noinline
 * sites.  Opens 5 sockets at consecutive fds (range_sock), and for some
 * modes one below (lo_sock) and one above (hi_sock) them, then calls
 * close_range on the 5 and checks with the kernel what it did.  Prints
 * "first N", "last N", "lo N", "hi N".
 *
 *   all       close_range(first, last, 0)
 *   cloexec   close_range(first, last, CLOSE_RANGE_CLOEXEC): all stay open
 *   unshare   close_range(first, last, CLOSE_RANGE_UNSHARE): closes too
 *   partial   lo, the 5, hi; close_range(first, last, 0): lo and hi stay
 *   tail      lo, the 5; close_range(first, ~0U, 0)
 *   closefrom lo, the 5; closefrom(first)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "progutil.h"

#define N 5

static __attribute__((noinline, noclone)) int lo_sock(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket lo");
	return fd;
}

static __attribute__((noinline, noclone)) int range_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket range");
	return fd;
}

static __attribute__((noinline, noclone)) int hi_sock(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket hi");
	return fd;
}

static __attribute__((noinline, noclone)) void range_close(unsigned first, unsigned last, int flags)
{
	if (close_range(first, last, flags) != 0)
		die("close_range");
}

/* 1 open with FD_CLOEXEC, 0 open without, -1 closed. */
static int fd_state(int fd)
{
	int f = fcntl(fd, F_GETFD);
	if (f < 0) {
		if (errno != EBADF)
			die("F_GETFD");
		return -1;
	}
	return !!(f & FD_CLOEXEC);
}

static void expect(int fd, int state, const char *what)
{
	if (fd_state(fd) != state) {
		fprintf(stderr, "fd_close_range: fd %d: %s: state %d, expected %d\n", fd, what,
		        fd_state(fd), state);
		exit(1);
	}
}

static __attribute__((noinline, noclone)) void closefrom_site(int first)
{
	closefrom(first);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int partial = !strcmp(mode, "partial"), tail = !strcmp(mode, "tail");
	int from = !strcmp(mode, "closefrom");
	int lo = -1, hi = -1, fds[N];

	if (strcmp(mode, "all") && strcmp(mode, "cloexec") && strcmp(mode, "unshare") &&
	    !partial && !tail && !from) {
		fprintf(stderr, "fd_close_range: unknown mode '%s'\n", mode);
		return 2;
	}
	if (partial || tail || from)
		lo = lo_sock();
	/* One call site for all five: a volatile bound keeps the compiler
	 * from unrolling or peeling the loop into several. */
	for (volatile int i = 0; i < N; i++)
		fds[i] = range_sock();
	for (int i = 1; i < N; i++)
		if (fds[i] != fds[i - 1] + 1)
			die("range sockets are not consecutive");
	if (partial)
		hi = hi_sock();
	int first = fds[0], last = fds[N - 1];

	if (from) {
		closefrom_site(first);
		for (int i = 0; i < N; i++)
			expect(fds[i], -1, "closed by closefrom");
	} else if (!strcmp(mode, "cloexec")) {
		range_close(first, last, CLOSE_RANGE_CLOEXEC);
		for (int i = 0; i < N; i++)
			expect(fds[i], 1, "open, close-on-exec after CLOSE_RANGE_CLOEXEC");
	} else {
		range_close(first, tail ? ~0U : (unsigned)last,
		            !strcmp(mode, "unshare") ? CLOSE_RANGE_UNSHARE : 0);
		for (int i = 0; i < N; i++)
			expect(fds[i], -1, "closed by close_range");
	}
	if (lo >= 0)
		expect(lo, 0, "below the range: untouched");
	if (hi >= 0)
		expect(hi, 0, "above the range: untouched");
	printf("first %d\nlast %d\nlo %d\nhi %d\n", first, last, lo, hi);
	return 0;
}
