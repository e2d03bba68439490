/*
 * fd_dup — every way to duplicate a socket fd or to land on one, each from
 * its own noinline function so the report's stacks tell them apart.  Prints
 * "name value" lines (fds, ports) for the test to compare with the report,
 * and checks with the kernel (fstat, F_GETFD) that each call did what it
 * should, exiting 1 otherwise.
 *
 *   dup2-leak   a, b sockets; dup2(a, b) closes b's socket; close(a); b leaks
 *   dup2-clean  same, then close(b): nothing open
 *   dup2-self   dup2(a, a) changes nothing; close(a)
 *   dup2-pipe   dup2(pipe, a): a's socket closed, a is now a pipe
 *   dup         a bound to 127.0.0.1:0; d = dup(a); close(a); d leaks
 *   dup-both    d = dup(a); both leak
 *   dup3        dup3(a, 40, O_CLOEXEC); close(a); 40 leaks
 *   dupfd       fcntl(a, F_DUPFD_CLOEXEC, 50); close(a); the dup leaks
 *   pair-leak   socketpair, both ends leak
 *   pair-half   socketpair, close sv[0], sv[1] leaks
 *   pair-clean  socketpair, both closed
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progutil.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fd_dup: check failed: %s\n", what);
		exit(1);
	}
}

/* The call sites.  Each checks its result after the call: no tail call,
 * so each keeps its own frame in the stack. */
static __attribute__((noinline, noclone)) int sock_a(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket a");
	return fd;
}

static __attribute__((noinline, noclone)) int sock_b(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket b");
	return fd;
}

static __attribute__((noinline, noclone)) int dup2_over(int from, int to)
{
	int fd = dup2(from, to);
	if (fd != to)
		die("dup2");
	return fd;
}

static __attribute__((noinline, noclone)) int dup_it(int from)
{
	int fd = dup(from);
	if (fd < 0)
		die("dup");
	return fd;
}

static __attribute__((noinline, noclone)) int dup3_it(int from, int to)
{
	int fd = dup3(from, to, O_CLOEXEC);
	if (fd != to)
		die("dup3");
	return fd;
}

static __attribute__((noinline, noclone)) int dupfd_it(int from, int min)
{
	int fd = fcntl(from, F_DUPFD_CLOEXEC, min);
	if (fd < min)
		die("fcntl F_DUPFD_CLOEXEC");
	return fd;
}

static __attribute__((noinline, noclone)) void pair_it(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
}

static __attribute__((noinline, noclone)) void close_it(int fd)
{
	if (close(fd) != 0)
		die("close");
}

static ino_t inode(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		die("fstat");
	return st.st_ino;
}

static int cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);
	if (f < 0)
		die("F_GETFD");
	return !!(f & FD_CLOEXEC);
}

static int is_socket(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		die("fstat");
	return S_ISSOCK(st.st_mode);
}

static int bind_loopback(int fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		die("bind");
	return ntohs(sin.sin_port);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int a, b, d, sv[2];

	if (!strncmp(mode, "dup2-", 5) && strcmp(mode, "dup2-self") && strcmp(mode, "dup2-pipe")) {
		a = sock_a();
		b = sock_b();
		ino_t ia = inode(a), ib = inode(b);
		check(ia != ib, "two sockets, two inodes");
		dup2_over(a, b);
		check(inode(b) == ia, "dup2 made b the same socket as a");
		close_it(a);
		if (!strcmp(mode, "dup2-clean"))
			close_it(b);
		printf("a %d\nb %d\n", a, b);
	} else if (!strcmp(mode, "dup2-self")) {
		a = sock_a();
		dup2_over(a, a);
		check(is_socket(a), "dup2(a, a) leaves a socket");
		close_it(a);
		printf("a %d\n", a);
	} else if (!strcmp(mode, "dup2-pipe")) {
		int p[2];
		a = sock_a();
		if (pipe(p) != 0)
			die("pipe");
		dup2_over(p[0], a);
		check(!is_socket(a), "dup2(pipe, a) replaced the socket");
		printf("a %d\n", a);   /* a, p[0], p[1] stay open: pipes */
	} else if (!strcmp(mode, "dup") || !strcmp(mode, "dup-both")) {
		a = sock_a();
		int port = bind_loopback(a);
		d = dup_it(a);
		check(inode(d) == inode(a) && !cloexec(d), "dup");
		if (!strcmp(mode, "dup"))
			close_it(a);
		printf("a %d\nd %d\nport %d\n", a, d, port);
	} else if (!strcmp(mode, "dup3")) {
		a = sock_a();
		d = dup3_it(a, 40);
		check(inode(d) == inode(a) && cloexec(d), "dup3 O_CLOEXEC");
		close_it(a);
		printf("a %d\nd %d\n", a, d);
	} else if (!strcmp(mode, "dupfd")) {
		a = sock_a();
		d = dupfd_it(a, 50);
		check(d == 50 && inode(d) == inode(a) && cloexec(d), "F_DUPFD_CLOEXEC");
		close_it(a);
		printf("a %d\nd %d\n", a, d);
	} else if (!strncmp(mode, "pair-", 5)) {
		pair_it(sv);
		check(is_socket(sv[0]) && is_socket(sv[1]), "socketpair made sockets");
		if (!strcmp(mode, "pair-half") || !strcmp(mode, "pair-clean"))
			close_it(sv[0]);
		if (!strcmp(mode, "pair-clean"))
			close_it(sv[1]);
		printf("sv0 %d\nsv1 %d\n", sv[0], sv[1]);
	} else {
		fprintf(stderr, "fd_dup: unknown mode '%s'\n", mode);
		return 2;
	}
	return 0;
}
