/*
 * inherit — record the sockets open at start-up.
 */
#include "inherit.h"
#include "fdstate.h"
#include "procinfo.h"
#include "real.h"
#include "track.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records fd as a socket open since before the program started. */
static int note_inherited(int fd)
{
	struct stat st;
	int domain = 0, type = 0, protocol = 0;
	socklen_t len = sizeof(int);
	struct rec r;

	/* Already in the books: made by a library constructor that ran
	 * before the shim's, recorded through an early start.  A socket is
	 * what answers SO_TYPE (an O_PATH fd of a socket file is S_ISSOCK
	 * but no socket). */
	(void)st;
	len = sizeof(type);
	if (fdstate_serial(&g_shim.log, fd) || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return 0;
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len);
	if (!rec_begin(&r, TALLY_EV_SOCKET, fd, fd, 0))
		return 0;
	r.ev.arg = domain;
	r.ev.u.sock.type = type;
	r.ev.u.sock.protocol = protocol;
	r.ev.flags = TALLY_EVF_IMPLICIT;
	r.ev.stack_id = TALLY_STACK_INHERITED;
	uint64_t serial = track_open(&r, fd, domain, type, protocol, TALLY_FD_INHERITED, NULL);

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct tally_addr addr;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		track_addr((struct sockaddr *)&ss, sl, &addr);
		if (addr.port || (domain == AF_UNIX && addr.addr[0]))
			fdstate_set_addr(&g_shim.log, fd, serial, &addr, 0);
	}
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		track_addr((struct sockaddr *)&ss, sl, &addr);
		fdstate_set_addr(&g_shim.log, fd, serial, &addr, 1);
	}
	rec_commit(&r);
	rec_end(&r);
	return 1;
}

static int count_inherited(int fd, void *arg)
{
	*(unsigned *)arg += note_inherited(fd);
	return 0;
}

unsigned inherit_scan(void)
{
	unsigned found = 0;

	procinfo_each_fd(count_inherited, &found);
	__atomic_fetch_add(&g_shim.log.hdr->sockets_inherited, found, __ATOMIC_RELAXED);
	return found;
}
