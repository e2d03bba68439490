/*
 * safe_daemon — the programs of MEASURED.md, hazard 1: a shim must not
 * hold fds of its own in the program, nor touch the program's fds.
 *
 *   safe_daemon first        prints the fd of its very first socket
 *   safe_daemon closeall     closes fds 3..255 like a daemon, then reuses 3
 *   safe_daemon closerange   the same with close_range(3, ~0U, 0)
 *   safe_daemon hold         makes sockets of several kinds, prints their
 *                            fds, "pid P" and "ready", then waits for
 *                            SIGTERM (at most 20 s)
 *
 * closeall/closerange open two UDP sockets on loopback, which must be fds 3
 * and 4, queue a datagram to each from itself, make calls the shim records
 * with stacks from new call sites (new stacks are where an unwinder checks
 * memory), and then read() fd 3 and fd 4, blocking.  A shim whose unwinder
 * reads from "its" fd 3 hangs here or eats the datagram (and then hangs).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "safe_daemon: %s: %s\n", what, strerror(errno));
	exit(100);
}

/* A UDP socket bound to 127.0.0.1 on a port the kernel picks; its address
 * goes to *addr. */
static __attribute__((noinline)) int udp_loopback(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0)
		die("bind");
	if (getsockname(fd, (struct sockaddr *)addr, &len) < 0)
		die("getsockname");
	return fd;
}

/* Distinct call sites, each a stack the shim has not seen yet. */
static __attribute__((noinline)) void scratch_tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket tcp");
	if (close(fd) < 0)
		die("close tcp");
}

static __attribute__((noinline)) void scratch_deep(int depth)
{
	if (depth > 0) {
		scratch_deep(depth - 1);
		__asm__ volatile("" ::: "memory");   /* not a tail call */
		return;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	close(sv[0]);
	close(sv[1]);
}

/* The same from a frame some pages further down the stack: an unwinder
 * that validates stack pages sees pages it has not checked before. */
static __attribute__((noinline)) void scratch_far(int pages)
{
	volatile char pad[4096 * 4];

	pad[0] = 0;
	pad[sizeof(pad) - 1] = 0;
	if (pages > 1)
		scratch_far(pages - 1);
	else
		scratch_deep(2);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void connect_self(int fd, const struct sockaddr_in *addr)
{
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0)
		die("connect");
}

static void send_self(int fd, const struct sockaddr_in *addr, const char *msg)
{
	if (sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)addr, sizeof(*addr)) < 0)
		die("sendto");
}

static void read_print(int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);   /* blocking, on purpose */

	if (n < 0)
		die("read");
	buf[n] = 0;
	printf("read fd %d: %s\n", fd, buf);
}

static int daemon_mode(int use_close_range)
{
	struct sockaddr_in a_addr, b_addr;

	if (use_close_range) {
		if (close_range(3, ~0U, 0) < 0)
			die("close_range");
	} else {
		for (int fd = 3; fd < 256; fd++)
			close(fd);
	}
	int a = udp_loopback(&a_addr);
	int b = udp_loopback(&b_addr);
	printf("udp fds %d %d\n", a, b);

	/* Nothing queued yet: an unwinder reading fd 3 or 4 would block. */
	scratch_deep(3);
	scratch_far(3);
	send_self(a, &a_addr, "datagram to a");
	send_self(b, &b_addr, "datagram to b");
	/* Data queued: an unwinder reading them would eat the datagrams. */
	scratch_deep(5);
	scratch_far(5);
	connect_self(a, &a_addr);
	connect_self(b, &b_addr);
	scratch_tcp();
	fflush(stdout);

	read_print(a);
	read_print(b);
	close(a);
	close(b);
	return 0;
}

static int first_mode(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	printf("first socket fd %d\n", fd);
	return 0;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static __attribute__((noinline)) int tcp_listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) < 0)
		die("listen");
	return fd;
}

/* Sockets of every kind the shim wraps, one closed, then wait. */
static int hold_mode(void)
{
	struct sockaddr_in u_addr, l_addr;
	int fds[8], n = 0, sv[2];

	fds[n++] = udp_loopback(&u_addr);
	fds[n++] = tcp_listener(&l_addr);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&l_addr, sizeof(l_addr)) < 0)
		die("connect");
	fds[n++] = c;
	int s = accept(fds[1], NULL, NULL);
	if (s < 0)
		die("accept");
	fds[n++] = s;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		die("socketpair");
	fds[n++] = sv[0];
	close(sv[1]);
	scratch_deep(4);
	int d = dup(fds[0]);
	if (d < 0)
		die("dup");
	fds[n++] = d;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);

	printf("fds");
	for (int i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\npid %d\nready\n", (int)getpid());
	fflush(stdout);
	alarm(20);   /* never outlive a test that forgot us */
	while (!stop)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "first") == 0)
		return first_mode();
	if (strcmp(mode, "closeall") == 0)
		return daemon_mode(0);
	if (strcmp(mode, "closerange") == 0)
		return daemon_mode(1);
	if (strcmp(mode, "hold") == 0)
		return hold_mode();
	fprintf(stderr, "usage: safe_daemon first|closeall|closerange|hold\n");
	return 2;
}
