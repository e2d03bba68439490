/*
 * fd_transparency — what a program can observe of the shim, which must be
 * nothing (MEASURED.md, hazard 5: only direct checks catch a preload that
 * leaks an fd, drops close-on-exec or touches errno).  Writes a transcript
 * to OUTFILE: the test runs this once bare and once preloaded and requires
 * the transcripts to be identical.  The transcript holds:
 *
 *   - the fds open when main() starts (and again after everything is
 *     closed), with their targets minus inode numbers;
 *   - the fd number every call returned;
 *   - errno after each successful call, preset to a sentinel ("kept");
 *   - result and errno of calls that fail on purpose;
 *   - FD_CLOEXEC / O_NONBLOCK of each new fd;
 *   - what a forked child sees (errno after fork, its fd count).
 *
 * It also checks each value against what the kernel documents and writes
 * "MISMATCH ..." lines for any difference, so a bare run proves the
 * expectations themselves.  Nothing it prints depends on pids or ports.
 *
 *   fd_transparency OUTFILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL 12345

/* The transcript is kept in memory: writing it as we go would need an fd,
 * and would change the very numbers we record. */
static char transcript[1 << 16];
static size_t used;

static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(transcript + used, sizeof(transcript) - used, fmt, ap);
	va_end(ap);
	if (n > 0)
		used += (size_t)n < sizeof(transcript) - used ? (size_t)n : sizeof(transcript) - used - 1;
}

static const char *ename(int e)
{
	const char *n = e == SENTINEL ? "kept" : strerrorname_np(e);
	return n ? n : "?";
}

/* A call that must succeed: errno must still be the sentinel after it. */
#define OK(name, expr) ({ \
	errno = SENTINEL; \
	long r_ = (long)(expr); \
	int e_ = errno; \
	ok_seen(name, r_, e_); \
	(int)r_; })

static void ok_seen(const char *name, long r, int e)
{
	out("ok   %-40s -> %ld errno %s\n", name, r, ename(e));
	if (r < 0 || e != SENTINEL)
		out("MISMATCH %s: expected success with errno kept\n", name);
}

/* A call that must fail with `want`. */
#define FAIL(name, want, expr) ({ \
	errno = SENTINEL; \
	long r_ = (long)(expr); \
	int e_ = errno; \
	fail_seen(name, r_, e_, want); })

static void fail_seen(const char *name, long r, int e, int want)
{
	out("fail %-40s -> %ld errno %s\n", name, r, ename(e));
	if (r != -1 || e != want)
		out("MISMATCH %s: expected -1 with %s\n", name, ename(want));
}

/* FD_CLOEXEC and O_NONBLOCK of fd, against what they must be. */
static void flags(const char *name, int fd, int cloexec, int nonblock)
{
	int fdf = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
	int c = fdf >= 0 && (fdf & FD_CLOEXEC), n = fl >= 0 && (fl & O_NONBLOCK);

	out("flags %-39s cloexec %d nonblock %d\n", name, c, n);
	if (fdf < 0 || fl < 0 || c != cloexec || n != nonblock)
		out("MISMATCH flags of %s: expected cloexec %d nonblock %d\n", name, cloexec, nonblock);
}

/* The open fds, with targets; inode numbers ("socket:[123]") cut off. */
static int list_fds(const char *when)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int fds[1024], n = 0;

	if (!d) {
		out("MISMATCH cannot list /proc/self/fd\n");
		return -1;
	}
	while ((de = readdir(d)) && n < 1024) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		fds[n++] = atoi(de->d_name);
	}
	closedir(d);
	for (int i = 1; i < n; i++)   /* insertion sort: readdir order is not fixed */
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];
			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	out("fds %s: %d open\n", when, n);
	for (int i = 0; i < n; i++) {
		char link[64], target[512];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = 0;
		char *inode = strstr(target, ":[");
		if (inode)
			*inode = 0;
		out("  fd %d %s\n", fds[i], fds[i] > 2 ? target : "(stdio)");
	}
	return n;
}

static int loopback_listener(struct sockaddr_in *where)
{
	socklen_t len = sizeof(*where);
	int fd = OK("socket(AF_INET, SOCK_STREAM) listener", socket(AF_INET, SOCK_STREAM, 0));

	memset(where, 0, sizeof(*where));
	where->sin_family = AF_INET;
	where->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	OK("bind(127.0.0.1:0)", bind(fd, (struct sockaddr *)where, sizeof(*where)));
	OK("listen", listen(fd, 16));
	if (getsockname(fd, (struct sockaddr *)where, &len) != 0)
		out("MISMATCH getsockname\n");
	return fd;
}

static int connected_client(const struct sockaddr_in *to)
{
	int fd = OK("socket client", socket(AF_INET, SOCK_STREAM, 0));
	OK("connect", connect(fd, (const struct sockaddr *)to, sizeof(*to)));
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in where, closed_port;
	int p[2], q[2], sv[2], sv2[2];

	if (argc != 2) {
		fprintf(stderr, "usage: fd_transparency OUTFILE\n");
		return 2;
	}
	int nfds_start = list_fds("at start");

	/* ---- numbers, errno kept, flags, on the way ---------------------- */
	int s1 = OK("socket(AF_INET, SOCK_DGRAM)", socket(AF_INET, SOCK_DGRAM, 0));
	flags("socket", s1, 0, 0);
	int s2 = OK("socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC)",
	            socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
	flags("socket SOCK_CLOEXEC", s2, 1, 0);
	int s3 = OK("socket(AF_UNIX, SOCK_DGRAM|SOCK_NONBLOCK)",
	            socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	flags("socket SOCK_NONBLOCK", s3, 0, 1);
	int d1 = OK("dup(socket SOCK_CLOEXEC)", dup(s2));
	flags("dup of a cloexec socket", d1, 0, 0);
	OK("pipe", pipe(p));
	flags("pipe[0]", p[0], 0, 0);
	OK("pipe2(O_CLOEXEC|O_NONBLOCK)", pipe2(q, O_CLOEXEC | O_NONBLOCK));
	flags("pipe2[1]", q[1], 1, 1);
	OK("close(socket)", close(s1));
	int s4 = OK("socket after close (takes its number)", socket(AF_INET, SOCK_DGRAM, 0));
	if (s4 != s1)
		out("MISMATCH socket after close got %d, not %d\n", s4, s1);
	OK("close(pipe)", close(p[1]));
	int d2 = OK("dup2(socket, 20)", dup2(s2, 20));
	flags("dup2 of a cloexec socket", d2, 0, 0);
	int d3 = OK("dup2(socket, 20) over itself", dup2(s4, 20));
	int d4 = OK("dup2(fd, same fd)", dup2(s4, s4));
	int d5 = OK("dup3(socket, 21, O_CLOEXEC)", dup3(s4, 21, O_CLOEXEC));
	flags("dup3 O_CLOEXEC", d5, 1, 0);
	int d6 = OK("dup3(socket, 22, 0)", dup3(s2, 22, 0));
	flags("dup3 0", d6, 0, 0);
	int d7 = OK("fcntl(F_DUPFD, 30)", fcntl(s4, F_DUPFD, 30));
	flags("F_DUPFD", d7, 0, 0);
	int d8 = OK("fcntl(F_DUPFD_CLOEXEC, 30)", fcntl(s4, F_DUPFD_CLOEXEC, 30));
	flags("F_DUPFD_CLOEXEC", d8, 1, 0);
	OK("fcntl(F_GETFD)", fcntl(d8, F_GETFD));
	OK("fcntl(F_SETFD, 0)", fcntl(d8, F_SETFD, 0));
	flags("after F_SETFD 0", d8, 0, 0);
	OK("fcntl(F_SETFL, O_NONBLOCK)", fcntl(d7, F_SETFL, O_NONBLOCK));
	flags("after F_SETFL O_NONBLOCK", d7, 0, 1);
	struct f_owner_ex owner = { 0 };
	OK("fcntl(F_GETOWN_EX, &struct)", fcntl(s4, F_GETOWN_EX, &owner));
	out("F_GETOWN_EX type %d pid %d\n", owner.type, owner.pid);
	OK("socketpair(AF_UNIX, SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	flags("socketpair[0]", sv[0], 0, 0);
	OK("socketpair(SOCK_SEQPACKET|SOCK_CLOEXEC)",
	   socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv2));
	flags("socketpair SOCK_CLOEXEC [1]", sv2[1], 1, 0);
	out("numbers s1 %d s2 %d s3 %d d1 %d p %d %d q %d %d s4 %d d2 %d d3 %d d4 %d d5 %d "
	    "d6 %d d7 %d d8 %d sv %d %d sv2 %d %d\n", s1, s2, s3, d1, p[0], p[1], q[0], q[1],
	    s4, d2, d3, d4, d5, d6, d7, d8, sv[0], sv[1], sv2[0], sv2[1]);

	/* ---- accept4 flags ------------------------------------------------ */
	int l = loopback_listener(&where);
	int c1 = connected_client(&where);
	int a1 = OK("accept4(SOCK_CLOEXEC)", accept4(l, NULL, NULL, SOCK_CLOEXEC));
	flags("accept4 SOCK_CLOEXEC", a1, 1, 0);
	int c2 = connected_client(&where);
	int a2 = OK("accept4(0)", accept4(l, NULL, NULL, 0));
	flags("accept4 0", a2, 0, 0);
	int c3 = connected_client(&where);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int a3 = OK("accept(with address)", accept(l, (struct sockaddr *)&peer, &plen));
	flags("accept", a3, 0, 0);
	out("accept address length %u family %d\n", (unsigned)plen, peer.sin_family);
	int c4 = connected_client(&where);
	int a4 = OK("accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)",
	            accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	flags("accept4 SOCK_NONBLOCK|SOCK_CLOEXEC", a4, 1, 1);
	out("numbers l %d c %d %d %d %d a %d %d %d %d\n", l, c1, c2, c3, c4, a1, a2, a3, a4);

	/* ---- failures: same result, same errno ---------------------------- */
	FAIL("close(-1)", EBADF, close(-1));
	FAIL("close(999)", EBADF, close(999));
	FAIL("close(closed socket) again", EBADF, close(s1 + 100));
	int gone = OK("socket to close twice", socket(AF_INET, SOCK_DGRAM, 0));
	OK("close once", close(gone));
	FAIL("close twice", EBADF, close(gone));
	out("closed twice: fd %d; never open: fd %d\n", gone, s1 + 100);
	FAIL("dup(-1)", EBADF, dup(-1));
	FAIL("dup2(-1, 40)", EBADF, dup2(-1, 40));
	FAIL("dup2(socket, -1)", EBADF, dup2(s4, -1));
	FAIL("dup3(socket, same, 0)", EINVAL, dup3(s4, s4, 0));
	FAIL("dup3(socket, 41, bad flags)", EINVAL, dup3(s4, 41, 0x4));
	FAIL("fcntl(-1, F_DUPFD)", EBADF, fcntl(-1, F_DUPFD, 0));
	FAIL("fcntl(F_DUPFD, -1)", EINVAL, fcntl(s4, F_DUPFD, -1));
	FAIL("fcntl(-1, F_GETFD)", EBADF, fcntl(-1, F_GETFD));
	FAIL("socket(bad family)", EAFNOSUPPORT, socket(12345, SOCK_STREAM, 0));
	FAIL("socket(bad type)", EINVAL, socket(AF_INET, 12345, 0));
	/* Linux writes the fd numbers it reserved into the array even when
	 * socketpair fails: a scratch array keeps sv intact. */
	int scratch[2];
	FAIL("socketpair(AF_INET)", EOPNOTSUPP, socketpair(AF_INET, SOCK_STREAM, 0, scratch));
	int busy = OK("socket for a used port", socket(AF_INET, SOCK_STREAM, 0));
	FAIL("bind(used port)", EADDRINUSE, bind(busy, (struct sockaddr *)&where, sizeof(where)));
	FAIL("bind(-1)", EBADF, bind(-1, (struct sockaddr *)&where, sizeof(where)));
	FAIL("listen(pipe)", ENOTSOCK, listen(p[0], 1));
	FAIL("accept4(not listening)", EINVAL, accept4(busy, NULL, NULL, 0));
	FAIL("accept4(bad flags)", EINVAL, accept4(l, NULL, NULL, 0x1));
	OK("fcntl(listener, F_SETFL, O_NONBLOCK)", fcntl(l, F_SETFL, O_NONBLOCK));
	FAIL("accept(nonblocking, none pending)", EAGAIN, accept(l, NULL, NULL));
	{
		int t = OK("socket for a closed port", socket(AF_INET, SOCK_STREAM, 0));
		socklen_t len = sizeof(closed_port);
		closed_port = where;
		closed_port.sin_port = 0;
		OK("bind(127.0.0.1:0) for a closed port", bind(t, (struct sockaddr *)&closed_port,
		                                              sizeof(closed_port)));
		getsockname(t, (struct sockaddr *)&closed_port, &len);
		OK("close(the port's socket)", close(t));
	}
	FAIL("connect(closed port)", ECONNREFUSED,
	     connect(busy, (struct sockaddr *)&closed_port, sizeof(closed_port)));
	FAIL("close_range(10, 5)", EINVAL, close_range(10, 5, 0));
	FAIL("pipe2(bad flags)", EINVAL, pipe2(scratch, 0x1));

	/* ---- fork: the child sees the same errno and fds ------------------ */
	int nfds_now = list_fds("before fork");
	fflush(stdout);
	errno = SENTINEL;
	pid_t pid = fork();
	int e = errno;
	if (pid == 0) {
		DIR *dir = opendir("/proc/self/fd");
		int n = -1;   /* the opendir fd is not counted */
		while (dir && readdir(dir))
			n++;
		n -= 2;       /* . and .. */
		/* The exit status carries what the child saw: 0 all well, an
		 * errno value, or 200 for a different fd count. */
		_exit(e != SENTINEL ? (e > 0 && e < 200 ? e : 199) : n != nfds_now ? 200 : 0);
	}
	int status = -1;
	waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	out("fork: parent errno %s; child errno %s, fd count %s\n", ename(e),
	    code == 0 || code == 200 ? "kept" : code > 0 && code < 199 ? ename(code) : "?",
	    code == 200 ? "DIFFERENT" : "same");
	if (pid < 0 || e != SENTINEL || code != 0)
		out("MISMATCH fork: the child saw errno or fds changed (exit status %d)\n", code);

	/* ---- close everything; the fd table is as it was at the start ----- */
	int hi = OK("socket above the rest", socket(AF_INET, SOCK_DGRAM, 0));
	OK("fcntl(F_DUPFD, 60)", fcntl(hi, F_DUPFD, 60));
	OK("close_range(60, 70, CLOSE_RANGE_CLOEXEC)", close_range(60, 70, CLOSE_RANGE_CLOEXEC));
	flags("after close_range CLOEXEC", 60, 1, 0);
	OK("close_range(60, 70, 0)", close_range(60, 70, 0));
	/* d3 is d2 (20) and d4 is s4; p[1] and s1's first socket are closed. */
	int mine[] = { s2, s3, d1, p[0], q[0], q[1], s4, d2, d5, d6, d7, d8, sv[0], sv[1],
	               sv2[0], sv2[1], l, c1, c2, c3, c4, a1, a2, a3, a4, busy, hi };
	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
		OK("close(each fd made)", close(mine[i]));
	int nfds_end = list_fds("at the end");
	if (nfds_end != nfds_start)
		out("MISMATCH %d fds at the end, %d at the start\n", nfds_end, nfds_start);

	FILE *f = fopen(argv[1], "w");
	if (!f || fwrite(transcript, 1, used, f) != used || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
