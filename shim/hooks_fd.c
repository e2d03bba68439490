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
#include <stdlib.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

/* Closes of fds that are not open are counted, and the first few recorded
 * with their stack: a daemon closing every fd up to RLIMIT_NOFILE at start
 * would otherwise fill the event area with them, and pay for a stack each.
 * A double close of a socket always gets both: it is a bug. */
#define NOT_OPEN_RECORDED 1024

static int record_not_open(void)
{
	uint64_t n = __atomic_fetch_add(&g_shim.log.hdr->closes_not_open, 1, __ATOMIC_RELAXED);
	return n < NOT_OPEN_RECORDED;
}

/* The serial of the socket last closed at fd, while nothing took the
 * number since; 0 when there is none. */
static uint64_t socket_closed_at(int fd)
{
	const struct tally_fd_slot *s = fdstate_slot(&g_shim.log, fd);

	return s ? __atomic_load_n(&s->closed_serial, __ATOMIC_RELAXED) : 0;
}

/* A close failing with EBADF where the program closed a socket before,
 * and nothing took the number since: a double close, which in a threaded
 * program closes somebody else's fd the day the number is reused. */
static void enforce_double_close(struct rec *cause, uint64_t closed_serial)
{
	struct rec v = *cause;
	v.ev.kind = TALLY_EV_VIOLATION;
	v.ev.arg = TALLY_VIOL_DOUBLE_CLOSE;
	v.ev.u.obj.addr = closed_serial;
	v.ev.u.obj.detail = TALLY_OBJD_CERTAIN;
	if (!v.ev.stack_id)
		rec_stack(&v);
	v.seq = UINT64_MAX;
	rec_commit(&v);
	tallies_add(&g_shim.log, TALLY_EV_VIOLATION,
	            TALLY_VIOL_DETAIL(TALLY_VIOL_DOUBLE_CLOSE, 1, -1), v.ev.stack_id,
	            v.ev.time_ns);
	__atomic_fetch_add(&g_shim.log.hdr->violations, 1, __ATOMIC_RELAXED);
	if (g_shim.log.hdr->enforce == TALLY_ENFORCE_ABORT)
		rec_enforce_abort(TALLY_VIOL_DOUBLE_CLOSE, NULL);   /* recorded first */
}

EXPORT int close(int fd)
{
	/* Mark the socket before the fd is gone: once the kernel has freed the
	 * number, another thread may get it back from socket() and must not
	 * take the old entry for a socket closed unseen. */
	int on = rec_on();
	uint64_t serial = on ? fdstate_mark_closing(&g_shim.log, fd) : 0;
	int ret = REAL(close)(fd);
	SAVE_ERRNO;
	struct rec r;

	/* Linux frees the fd whatever close returns (EBADF: it was not open).
	 * Only with a log to mark (not before the shim starts, without a
	 * log, in a vfork child). */
	if (serial && fdstate_close(&g_shim.log, fd, serial))
		fdstate_set_closed(&g_shim.log, fd, serial & ~TALLY_SERIAL_CLOSING);
	else if (ret == 0 && !serial && on)
		fdstate_set_closed(&g_shim.log, fd, 0);   /* the number held something else */
	/* A socket, or closing what is not open: worth a stack.  Other closes
	 * are recorded cheaply, to follow fd reuse. */
	if (rec_begin(&r, TALLY_EV_CLOSE, fd, ret, errno)) {
		int not_open = ret < 0 && saved_errno__ == EBADF, keep = 1;
		uint64_t closed_before = not_open && !serial ? socket_closed_at(fd) : 0;
		if (serial) {
			r.ev.flags |= TALLY_EVF_SOCKET_FD;
			r.ev.u.close.serial = serial & ~TALLY_SERIAL_CLOSING;
			rec_stack(&r);
		} else if (not_open) {
			/* past the first 1024: counted, without a stack */
			keep = record_not_open() || closed_before;
			if (keep)
				rec_stack(&r);
			else
				tallies_add(&g_shim.log, TALLY_EV_CLOSE, EBADF, TALLY_STACK_NONE,
				            r.ev.time_ns);
		}
		if (keep)
			rec_commit(&r);
		if (closed_before)
			enforce_double_close(&r, closed_before);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return ret;
}

/* Whether close_range(first, last, flags) closes the process's fds when it
 * succeeds.  With CLOSE_RANGE_UNSHARE it closes them in a table of the
 * calling thread's own: in a process of several threads the others keep
 * theirs open.  (One stat of /proc/self/task then: a rare call.) */
static int close_range_closes(unsigned first, unsigned last, int flags)
{
	struct stat st;

	if (first > last || flags & CLOSE_RANGE_CLOEXEC)
		return 0;
	if (!(flags & CLOSE_RANGE_UNSHARE))
		return 1;
	return stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;   /* ., .., one thread */
}

/* After a successful close_range: empties the slots of the sockets in
 * [first, last] opened before the call started, one implicit close event
 * each.  A socket opened since, at a freed number, is left alone. */
static void close_range_sockets(const struct rec *cause, unsigned first, unsigned last,
                                int64_t started)
{
	struct tally_log *log = &g_shim.log;
	uint32_t end = log->hdr->max_fds;

	if (last < end)
		end = last + 1;
	for (uint32_t fd = first; fd < end; fd++) {
		struct tally_fd_slot *s = &log->state[fd];
		uint64_t serial = __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE);
		struct rec r;

		if (!serial || s->time_ns > started || !fdstate_close(log, (int)fd, serial)) {
			if (!serial)   /* whatever the number held is closed now */
				fdstate_set_closed(log, (int)fd, 0);
			continue;
		}
		fdstate_set_closed(log, (int)fd, serial & ~TALLY_SERIAL_CLOSING);
		if (!rec_begin(&r, TALLY_EV_CLOSE, (int)fd, 0, 0))
			continue;
		r.ev.time_ns = cause->ev.time_ns;
		r.ev.stack_id = cause->ev.stack_id;
		r.ev.flags = TALLY_EVF_SOCKET_FD | TALLY_EVF_IMPLICIT;
		r.ev.u.close.serial = serial & ~TALLY_SERIAL_CLOSING;
		rec_commit(&r);
		rec_end(&r);
	}
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	struct tally_log *log = &g_shim.log;
	int64_t started = rec_mono_ns();
	int on = rec_on(), ret;

	if (!REAL(close_range)) {
		errno = ENOSYS;
		return -1;
	}
	/* While it runs, a socket() in another thread that gets a freed number
	 * back finds the old socket still in the table: not an unseen close. */
	if (on)
		__atomic_add_fetch(&log->closing_ranges, 1, __ATOMIC_ACQ_REL);
	ret = real.close_range(first, last, flags);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_CLOSE_RANGE, (int)first, ret, errno)) {
		r.ev.arg = last > INT32_MAX ? -1 : (int32_t)last;
		r.ev.u.sock.type = flags;
		rec_stack(&r);
		rec_commit(&r);
		if (ret == 0 && close_range_closes(first, last, flags))
			close_range_sockets(&r, first, last, started);
		rec_end(&r);
	}
	if (on)
		__atomic_sub_fetch(&log->closing_ranges, 1, __ATOMIC_ACQ_REL);
	RESTORE_ERRNO;
	return ret;
}

/* closefrom(lowfd) (glibc 2.34): close_range(lowfd, ~0U, 0) by another
 * name, which glibc makes without going through close_range: every fd from
 * lowfd up is closed (by /proc when the syscall fails), process-wide.
 * Recorded as that close_range. */
EXPORT void closefrom(int lowfd)
{
	struct tally_log *log = &g_shim.log;
	int64_t started = rec_mono_ns();
	int on = rec_on();
	unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd;

	if (!REAL(closefrom)) {
		/* glibc before 2.34: a program that found closefrom (by dlsym,
		 * say) found the shim's; nothing to close with */
		errno = ENOSYS;
		return;
	}
	if (on)
		__atomic_add_fetch(&log->closing_ranges, 1, __ATOMIC_ACQ_REL);
	real.closefrom(lowfd);
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_CLOSE_RANGE, (int)first, 0, 0)) {
		r.ev.arg = -1;
		rec_stack(&r);
		rec_commit(&r);
		close_range_sockets(&r, first, ~0U, started);
		rec_end(&r);
	}
	if (on)
		__atomic_sub_fetch(&log->closing_ranges, 1, __ATOMIC_ACQ_REL);
	RESTORE_ERRNO;
}

/* Shared tail of dup, dup2, dup3 and fcntl(F_DUPFD*).  `replaced` is the
 * serial of a socket that was open at newfd before the call (dup2/dup3). */
static void record_dup(int oldfd, int newfd, int err, uint64_t replaced, int cloexec)
{
	struct tally_fd_slot like;
	uint64_t source = rec_on() ? track_snapshot(oldfd, &like) : 0;
	struct rec r;

	if (!rec_begin(&r, TALLY_EV_DUP, newfd, newfd, err))
		return;
	r.ev.arg = oldfd;
	if (cloexec)
		r.ev.flags |= TALLY_EVF_CLOEXEC;
	if (newfd >= 0 && replaced && newfd != oldfd) {
		r.ev.u.close.serial = replaced & ~TALLY_SERIAL_CLOSING;
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
	uint64_t replaced = rec_on() ? fdstate_serial(&g_shim.log, newfd) : 0;
	int ret = REAL(dup2)(oldfd, newfd);
	SAVE_ERRNO;
	record_dup(oldfd, ret, errno, replaced, 0);
	RESTORE_ERRNO;
	return ret;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	uint64_t replaced = rec_on() ? fdstate_serial(&g_shim.log, newfd) : 0;
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
	if (ret == 0 && rec_on()) {
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
