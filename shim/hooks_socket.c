/*
 * hooks_socket — socket, socketpair, bind, connect, listen, accept, accept4.
 *
 * Each wrapper makes the real call first, saves errno at once, records, and
 * restores errno: the program sees exactly the result and errno it would
 * see without the shim, also on success.
 */
#include "fdstate.h"
#include "real.h"
#include "track.h"

#include <netinet/in.h>

#include "hooks.h"
#include "memcheck.h"

/* Copies the address the program passed to bind/connect, but only memory
 * the kernel has read without a fault: a call can fail *because* the
 * pointer was bad, and libc would have returned EFAULT, not crashed. */
static void copy_call_addr(int ret, int err, const struct sockaddr *addr, socklen_t len,
                           struct tally_addr *out)
{
	if (ret == 0 || err == EINPROGRESS || err == EALREADY || err == EADDRINUSE) {
		track_addr(addr, len, out);   /* the kernel copied it before deciding */
		return;
	}
	/* EBADF/ENOTSOCK come before the copy, EFAULT from it; others (EINVAL
	 * may come either side) are checked. */
	if (err != EFAULT && err != EBADF && err != ENOTSOCK && addr &&
	    memcheck_range(addr, len))
		track_addr(addr, len, out);
}

EXPORT int socket(int domain, int type, int protocol)
{
	int fd = REAL(socket)(domain, type, protocol);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_SOCKET, fd, fd, errno)) {
		r.ev.arg = domain;
		r.ev.u.sock.type = type;
		r.ev.u.sock.protocol = protocol;
		rec_stack(&r);
		if (fd >= 0)
			track_open(&r, fd, domain, type, protocol, 0, NULL);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return fd;
}

EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int ret = REAL(socketpair)(domain, type, protocol, sv);
	SAVE_ERRNO;
	struct rec r;

	/* One event per end: each event's serial names one socket. */
	for (int end = 0; end < (ret == 0 ? 2 : 1); end++) {
		if (!rec_begin(&r, TALLY_EV_SOCKETPAIR, ret == 0 ? sv[end] : -1, ret, errno))
			break;
		r.ev.arg = ret == 0 ? sv[!end] : domain;
		r.ev.u.sock.type = type;
		r.ev.u.sock.protocol = protocol;
		rec_stack(&r);
		if (ret == 0)
			track_open(&r, sv[end], domain, type, protocol, TALLY_FD_PAIR, NULL);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return ret;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int ret = REAL(bind)(fd, addr, len);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_BIND, fd, ret, errno)) {
		copy_call_addr(ret, saved_errno__, addr, len, &r.ev.u.net);
		/* Port 0: the kernel chose one.  The only extra syscall the
		 * shim makes, and only for this rare case. */
		if (ret == 0 && r.ev.u.net.port == 0 &&
		    (r.ev.u.net.family == AF_INET || r.ev.u.net.family == AF_INET6)) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);
			if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
				track_addr((struct sockaddr *)&ss, sl, &r.ev.u.net);
		}
		uint64_t serial = fdstate_serial(&g_shim.log, fd);
		if (serial)
			r.ev.flags |= TALLY_EVF_SOCKET_FD;
		rec_stack(&r);
		if (ret == 0)
			fdstate_set_addr(&g_shim.log, fd, serial, &r.ev.u.net, 0);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return ret;
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int ret = REAL(connect)(fd, addr, len);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_CONNECT, fd, ret, errno)) {
		copy_call_addr(ret, saved_errno__, addr, len, &r.ev.u.net);
		uint64_t serial = fdstate_serial(&g_shim.log, fd);
		if (serial)
			r.ev.flags |= TALLY_EVF_SOCKET_FD;
		rec_stack(&r);
		if (ret == 0 || saved_errno__ == EINPROGRESS)
			fdstate_set_addr(&g_shim.log, fd, serial, &r.ev.u.net, 1);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return ret;
}

EXPORT int listen(int fd, int backlog)
{
	int ret = REAL(listen)(fd, backlog);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_LISTEN, fd, ret, errno)) {
		uint64_t serial = fdstate_serial(&g_shim.log, fd);
		r.ev.arg = backlog;
		if (serial)
			r.ev.flags |= TALLY_EVF_SOCKET_FD;
		rec_stack(&r);
		if (ret == 0)
			fdstate_add_flags(&g_shim.log, fd, serial, TALLY_FD_LISTENING);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return ret;
}

/* Shared tail of accept and accept4. */
static void record_accept(int listener, int fd, int err, struct sockaddr *addr,
                          socklen_t *len, int flags)
{
	struct rec r;
	struct tally_fd_slot like;

	if (!rec_begin(&r, TALLY_EV_ACCEPT, fd, fd, err))
		return;
	r.ev.arg = listener;
	/* On success the kernel wrote *len and the address: both readable.  It
	 * reports the full length even when it truncated to a smaller buffer,
	 * so bytes past the first page of addr are checked before reading. */
	if (fd >= 0 && addr && len) {
		size_t n = *len < sizeof(struct sockaddr_storage) ? *len
		                                                 : sizeof(struct sockaddr_storage);
		if (((uintptr_t)addr & 4095) + n <= 4096 || memcheck_range(addr, n))
			track_addr(addr, (socklen_t)n, &r.ev.u.net);
	} else if (fd >= 0) {
		/* The program did not ask who connected; the report should say.
		 * One syscall per accepted connection, far below accept's own. */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
			track_addr((struct sockaddr *)&ss, sl, &r.ev.u.net);
	}
	if (flags & SOCK_CLOEXEC)
		r.ev.flags |= TALLY_EVF_CLOEXEC;
	rec_stack(&r);
	if (fd >= 0) {
		if (!track_snapshot(listener, &like)) {
			memset(&like, 0, sizeof(like));
			like.domain = r.ev.u.net.family;
		}
		like.flags &= TALLY_FD_BOUND;   /* keep the local address only */
		like.peer = r.ev.u.net;
		if (like.peer.family)
			like.flags |= TALLY_FD_CONNECTED;
		like.origin_serial = 0;
		track_open(&r, fd, 0, 0, 0, TALLY_FD_ACCEPTED, &like);
	}
	rec_commit(&r);
	rec_end(&r);
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int ret = REAL(accept)(fd, addr, len);
	SAVE_ERRNO;
	record_accept(fd, ret, errno, addr, len, 0);
	RESTORE_ERRNO;
	return ret;
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int ret = REAL(accept4)(fd, addr, len, flags);
	SAVE_ERRNO;
	record_accept(fd, ret, errno, addr, len, flags);
	RESTORE_ERRNO;
	return ret;
}
