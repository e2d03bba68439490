/*
 * fd_reuse — a socket closed behind the shim's back (the raw close
 * syscall, as a glibc-internal close would) whose fd number then comes back
 * from another call.  Prints "old N" (the socket's fd) and "new N" (the fd
 * that took its number), and checks that the number was reused.
 *
 *   pipe      pipe() takes the number
 *   socket    a new socket() takes it (and leaks)
 *   dup       dup() of a pipe takes it
 *   accept    accept() takes it (and leaks, with the listener and client)
 *   pair      two sockets closed unseen, a socketpair takes both (leaks)
 *   unseen    closed unseen, the number never comes back
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "progutil.h"

static __attribute__((noinline, noclone)) int old_sock(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket old");
	return fd;
}

static __attribute__((noinline, noclone)) int new_sock(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket new");
	return fd;
}

static __attribute__((noinline, noclone)) void pipe_it(int p[2])
{
	if (pipe(p) != 0)
		die("pipe");
}

static __attribute__((noinline, noclone)) int dup_it(int fd)
{
	int d = dup(fd);
	if (d < 0)
		die("dup");
	return d;
}

static __attribute__((noinline, noclone)) int listen_sock(struct sockaddr_in *where)
{
	socklen_t len = sizeof(*where);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(where, 0, sizeof(*where));
	where->sin_family = AF_INET;
	where->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)where, sizeof(*where)) != 0 ||
	    listen(fd, 4) != 0 || getsockname(fd, (struct sockaddr *)where, &len) != 0)
		die("listener");
	return fd;
}

static __attribute__((noinline, noclone)) int client_sock(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0)
		die("client");
	return fd;
}

static __attribute__((noinline, noclone)) int accept_it(int listener)
{
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		die("accept");
	return fd;
}

static __attribute__((noinline, noclone)) void pair_it(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
		die("socketpair");
}

/* What a glibc-internal close does: the kernel closes, no wrapper runs. */
static void close_unseen(int fd)
{
	if (syscall(SYS_close, fd) != 0)
		die("SYS_close");
}

static void same(int a, int b, const char *what)
{
	if (a != b) {
		fprintf(stderr, "fd_reuse: %s: fd %d, expected %d\n", what, a, b);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int old, fresh, p[2];

	if (!strcmp(mode, "pipe")) {
		old = old_sock();
		close_unseen(old);
		pipe_it(p);
		fresh = p[0];
	} else if (!strcmp(mode, "socket")) {
		old = old_sock();
		close_unseen(old);
		fresh = new_sock();
	} else if (!strcmp(mode, "dup")) {
		pipe_it(p);
		old = old_sock();
		close_unseen(old);
		fresh = dup_it(p[0]);
	} else if (!strcmp(mode, "accept")) {
		struct sockaddr_in where;
		int l = listen_sock(&where);
		client_sock(&where);
		old = old_sock();
		close_unseen(old);
		fresh = accept_it(l);
	} else if (!strcmp(mode, "pair")) {
		int sv[2];
		old = old_sock();
		int old2 = old_sock();
		same(old2, old + 1, "second old socket");
		close_unseen(old);
		close_unseen(old2);
		pair_it(sv);
		same(sv[1], sv[0] + 1, "socketpair second end");
		fresh = sv[0];
	} else if (!strcmp(mode, "unseen")) {
		old = old_sock();
		close_unseen(old);
		fresh = old;
	} else {
		fprintf(stderr, "fd_reuse: unknown mode '%s'\n", mode);
		return 2;
	}
	same(fresh, old, "the number came back");
	printf("old %d\nnew %d\n", old, fresh);
	return 0;
}
