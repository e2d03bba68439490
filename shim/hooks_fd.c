/*
 * hooks_fd — close, close_range, dup, dup2, dup3, fcntl(F_DUPFD*), pipe,
 * pipe2: everything that ends a socket fd or hands its number to something
 * else.  Closes of non-socket fds are recorded without a stack (cheap), so
 * fd reuse can be followed in the events.
 */
#include "fdstate.h"
#include "hooks.h"
#include "track.h"
#include "unwind.h"

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

EXPORT int close(int fd)
{
	/* Take the socket out of the table before the fd is gone: once the
	 * kernel has freed the number, another thread may get it back from
	 * socket() and must find the slot empty.  Linux frees the fd whatever
	 * close returns, except EBADF, when it was not open to begin with. */
	uint64_t serial = g_shim.active ? fdstate_take(&g_shim.log, fd) : 0;
	int ret = REAL(close)(fd);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_CLOSE, fd, ret, errno)) {
		if (serial) {
			r.ev.flags |= TALLY_EVF_SOCKET_FD;
			r.ev.u.close.serial = serial;
		}
		/* A socket, or closing what is not open: worth a stack.  Other
		 * closes are recorded cheaply, to follow fd reuse. */
		if (serial || (ret < 0 && saved_errno__ == EBADF))
			rec_stack(&r);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return ret;
}

/* Whether close_range(first, last, flags) will close fds: the kernel only
 * refuses bad arguments (and ENOMEM when unsharing). */
static int close_range_closes(unsigned first, unsigned last, int flags)
{
	return first <= last && !(flags & ~CLOSE_RANGE_UNSHARE);
}

/* Empties the slots of the sockets in [first, last] before close_range
 * frees their numbers, and records one implicit close for each. */
static void close_range_sockets(const struct rec *cause, unsigned first, unsigned last)
{
	struct tally_log *log = &g_shim.log;
	uint32_t end = log->hdr->max_fds;

	if (last < end)
		end = last + 1;
	for (uint32_t fd = first; fd < end; fd++) {
		uint64_t serial = fdstate_take(log, (int)fd);
		struct rec r;

		if (!serial || !rec_begin(&r, TALLY_EV_CLOSE, (int)fd, 0, 0))
			continue;
		r.ev.time_ns = cause->ev.time_ns;
		r.ev.stack_id = cause->ev.stack_id;
		r.ev.flags = TALLY_EVF_SOCKET_FD | TALLY_EVF_IMPLICIT;
		r.ev.u.close.serial = serial;
		rec_commit(&r);
		rec_end(&r);
	}
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	struct rec r;
	int ret, recording;

	if (!REAL(close_range)) {
		errno = ENOSYS;
		return -1;
	}
	/* The event (and its stack) before the call, for the same reason as
	 * in close(); its result is filled in afterwards. */
	SAVE_ERRNO;
	recording = rec_begin(&r, TALLY_EV_CLOSE_RANGE, (int)first, 0, 0);
	if (recording) {
		r.ev.arg = last > INT32_MAX ? -1 : (int32_t)last;
		r.ev.u.sock.type = flags;
		rec_stack(&r);
		if (close_range_closes(first, last, flags))
			close_range_sockets(&r, first, last);
	}
	RESTORE_ERRNO;
	ret = real.close_range(first, last, flags);
	if (recording) {
		int err = errno;
		r.ev.result = ret;
		r.ev.err = ret < 0 ? err : 0;
		rec_commit(&r);
		rec_end(&r);
		errno = err;
	}
	return ret;
}

/* Shared tail of dup, dup2, dup3 and fcntl(F_DUPFD*).  `replaced` is the
 * serial of a socket that was open at newfd before the call (dup2/dup3). */
static void record_dup(int oldfd, int newfd, int err, uint64_t replaced, int cloexec)
{
	struct tally_fd_slot like;
	uint64_t source = g_shim.active ? track_snapshot(oldfd, &like) : 0;
	struct rec r;

	if (!rec_begin(&r, TALLY_EV_DUP, newfd, newfd, err))
		return;
	r.ev.arg = oldfd;
	if (cloexec)
		r.ev.flags |= TALLY_EVF_CLOEXEC;
	if (newfd >= 0 && replaced && newfd != oldfd) {
		r.ev.u.close.serial = replaced;
		track_close(newfd, replaced);
	}
	if (source || replaced || newfd < 0)
		rec_stack(&r);
	if (newfd >= 0 && source && newfd != oldfd) {
		r.ev.flags |= TALLY_EVF_SOCKET_FD;
		like.origin_serial = source;
		track_open(&r, newfd, 0, 0, 0, TALLY_FD_DUP, &like);
	} else if (newfd >= 0 && newfd != oldfd && !replaced) {
		track_reused(newfd);
	}
	rec_commit(&r);
	rec_end(&r);
}

EXPORT int dup(int oldfd)
{
	int ret = REAL(dup)(oldfd);
	SAVE_ERRNO;
	record_dup(oldfd, ret, errno, 0, 0);
	RESTORE_ERRNO;
	return ret;
}

EXPORT int dup2(int oldfd, int newfd)
{
	uint64_t replaced = g_shim.active ? fdstate_serial(&g_shim.log, newfd) : 0;
	int ret = REAL(dup2)(oldfd, newfd);
	SAVE_ERRNO;
	record_dup(oldfd, ret, errno, replaced, 0);
	RESTORE_ERRNO;
	return ret;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	uint64_t replaced = g_shim.active ? fdstate_serial(&g_shim.log, newfd) : 0;
	int ret = REAL(dup3)(oldfd, newfd, flags);
	SAVE_ERRNO;
	record_dup(oldfd, ret, errno, replaced, flags & O_CLOEXEC);
	RESTORE_ERRNO;
	return ret;
}

/* fcntl's third argument is an int or a pointer; glibc itself forwards it
 * as a pointer-sized value, and so do we. */
static int fcntl_common(int (*fn)(int, int, ...), int fd, int cmd, void *arg)
{
	if (likely(cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return fn(fd, cmd, arg);
	int ret = fn(fd, cmd, arg);
	SAVE_ERRNO;
	record_dup(fd, ret, errno, 0, cmd == F_DUPFD_CLOEXEC);
	RESTORE_ERRNO;
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(REAL(fcntl), fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!REAL(fcntl64))
		return fcntl_common(REAL(fcntl), fd, cmd, arg);
	return fcntl_common(real.fcntl64, fd, cmd, arg);
}

/* pipe/pipe2 make no sockets, but their fds may take the number of a
 * socket that was closed unseen.  They are also where libunwind would
 * open its validation pipe: refused (unwind.h says why). */
static int pipe_tail(int ret, const int fds[2])
{
	SAVE_ERRNO;
	if (ret == 0 && g_shim.active) {
		track_reused(fds[0]);
		track_reused(fds[1]);
	}
	RESTORE_ERRNO;
	return ret;
}

EXPORT int pipe(int fds[2])
{
	if (unlikely(unwind_refuses_pipe(__builtin_return_address(0)))) {
		errno = EMFILE;
		return -1;
	}
	return pipe_tail(REAL(pipe)(fds), fds);
}

EXPORT int pipe2(int fds[2], int flags)
{
	if (unlikely(unwind_refuses_pipe(__builtin_return_address(0)))) {
		errno = EMFILE;
		return -1;
	}
	return pipe_tail(REAL(pipe2)(fds, flags), fds);
}
