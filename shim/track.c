/*
 * track — shared wrapper bookkeeping.
 */
#include "track.h"
#include "fdstate.h"

#include <netinet/in.h>
#include <sys/un.h>

void track_addr(const struct sockaddr *sa, socklen_t len, struct tally_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa || len < sizeof(sa_family_t))
		return;
	out->family = sa->sa_family;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->port = ntohs(in->sin_port);
		memcpy(out->addr, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->port = ntohs(in6->sin6_port);
		memcpy(out->addr, &in6->sin6_addr, 16);
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		/* Abstract names start with NUL; keep the bytes as they are. */
		memcpy(out->addr, un->sun_path, n < sizeof(out->addr) ? n : sizeof(out->addr));
	}
}

/* Records that the socket `serial` at fd ended without a close the shim
 * could see (its number came back from another call). */
static void note_unseen_close(int fd, uint64_t serial)
{
	struct rec r;

	if (!rec_begin(&r, TALLY_EV_REUSE, fd, fd, 0))
		return;
	r.ev.flags = TALLY_EVF_SOCKET_FD | TALLY_EVF_IMPLICIT;
	r.ev.u.close.serial = serial & ~TALLY_SERIAL_CLOSING;
	rec_commit(&r);
	tallies_add(&g_shim.log, TALLY_EV_REUSE, 0, TALLY_STACK_NONE, r.ev.time_ns);
	rec_end(&r);
}

uint64_t track_open(struct rec *r, int fd, int domain, int type, int protocol,
                    uint32_t flags, const struct tally_fd_slot *like)
{
	struct tally_fd_slot s;
	uint64_t stale;

	if (r->seq == UINT64_MAX)
		rec_claim(r);
	if (like) {
		s = *like;
		s.flags = (like->flags & (TALLY_FD_BOUND | TALLY_FD_CONNECTED | TALLY_FD_PAIR)) | flags;
	} else {
		memset(&s, 0, sizeof(s));
		s.domain = domain;
		s.type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
		s.protocol = protocol;
		s.flags = flags;
	}
	s.serial = r->seq + 1;
	s.time_ns = r->ev.time_ns;
	s.stack_id = r->ev.stack_id;
	s.tid = r->ev.tid;
	stale = fdstate_open(&g_shim.log, fd, &s);
	if (stale)
		note_unseen_close(fd, stale);
	return s.serial;
}

void track_close(int fd, uint64_t serial)
{
	fdstate_close(&g_shim.log, fd, serial);
}

uint64_t track_snapshot(int fd, struct tally_fd_slot *out)
{
	struct tally_fd_slot *s = fdstate_slot(&g_shim.log, fd);
	uint64_t serial;

	if (!s)
		return 0;
	serial = __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE);
	if (serial)
		*out = *s;
	return serial;
}

void track_reused(int fd)
{
	struct tally_log *log = &g_shim.log;
	uint64_t serial = fdstate_serial(log, fd);

	if (!serial || !fdstate_close(log, fd, serial))
		return;
	/* A close() or close_range() under way in another thread freed the
	 * number: seen after all, as in fdstate_open. */
	if (serial & TALLY_SERIAL_CLOSING || __atomic_load_n(&log->closing_ranges, __ATOMIC_ACQUIRE))
		return;
	note_unseen_close(fd, serial);
}
