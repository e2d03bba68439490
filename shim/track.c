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

/* A copy of a slot in eight 16-byte moves: gcc makes a `rep movs` of a
 * plain struct copy of this size, whose start-up costs ~30 cycles. */
typedef uint64_t slot_chunk __attribute__((vector_size(16), may_alias, aligned(8)));
_Static_assert(sizeof(struct tally_fd_slot) == 8 * sizeof(slot_chunk), "slot is 8 chunks");
_Static_assert(offsetof(struct tally_fd_slot, stack_id) == 16 &&
               offsetof(struct tally_fd_slot, local) == 48, "chunks 1 and 3 start there");

uint64_t track_open(struct rec *r, int fd, int domain, int type, int protocol,
                    uint32_t flags, const struct tally_fd_slot *like)
{
	struct tally_fd_slot *s;
	uint64_t stale, serial;

	if (r->seq == UINT64_MAX)
		rec_claim(r);
	serial = r->seq + 1;
	s = fdstate_open_begin(&g_shim.log, fd, r->ev.stack_id, &stale);
	if (s) {
		/* Filled in place, every field but the serial, which publishes
		 * it.  (Building a zeroed copy first cost a `rep stos` and
		 * store-forwarding stalls on the copy.) */
		slot_chunk *t = (slot_chunk *)s, z = { 0, 0 };
		if (like) {
			const slot_chunk *f = (const slot_chunk *)like;
			t[1] = f[1], t[2] = f[2], t[3] = f[3], t[4] = f[4];
			t[5] = f[5], t[6] = f[6], t[7] = f[7];
			s->flags = (like->flags & (TALLY_FD_BOUND | TALLY_FD_CONNECTED | TALLY_FD_PAIR)) |
			           flags;
		} else {
			t[3] = z, t[4] = z, t[5] = z, t[6] = z, t[7] = z;
			s->domain = domain;
			s->type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
			s->protocol = protocol;
			s->flags = flags;
			s->origin_serial = 0;
		}
		s->time_ns = r->ev.time_ns;
		s->stack_id = r->ev.stack_id;
		s->tid = r->ev.tid;
		fdstate_open_publish(s, serial);
	}
	if (stale)
		note_unseen_close(fd, stale);
	return serial;
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
