/*
 * ports.c — finding and binding a free RTP/RTCP pair in the port range.
 *
 * Which ports are free is asked of the kernel (bind fails with EADDRINUSE),
 * not kept in a table here: sockets leaked by dead publishers hold their
 * ports exactly as live ones do, which is the point of the example.
 */
#include "ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The first even port >= lo; 32 bits so that lo = 65535 cannot wrap. */
static uint32_t first_even(const struct port_range *range)
{
	return (range->lo + 1u) & ~1u;
}

/* Parses a port number 1..65535 ending at *end; returns -1 if it is not one. */
static long parse_port(const char *text, char **end)
{
	long v;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtol(text, end, 10);
	if (errno || v < 1 || v > 65535)
		return -1;
	return v;
}

int port_range_parse(const char *text, struct port_range *out)
{
	char *end;
	long lo, hi;
	struct port_range r;

	lo = parse_port(text, &end);
	if (lo < 0 || *end != '-')
		return -EINVAL;
	hi = parse_port(end + 1, &end);
	if (hi < 0 || *end != '\0' || hi < lo)
		return -EINVAL;
	r.lo = (uint16_t)lo;
	r.hi = (uint16_t)hi;
	if (port_range_pairs(&r) == 0)
		return -EINVAL;
	*out = r;
	return 0;
}

unsigned port_range_pairs(const struct port_range *range)
{
	uint32_t first = first_even(range);

	if (first + 1 > range->hi)
		return 0;
	return (range->hi - first + 1) / 2;
}

/* A UDP socket bound to 127.0.0.1:port.  Returns the fd or -errno. */
static int udp_bind(uint16_t port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd, err;

	/* No SO_REUSEADDR: on UDP it would let two publishers share a port. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int port_pair_open(const struct port_range *range, struct port_pair *out)
{
	uint32_t port;
	int rtp, rtcp;

	for (port = first_even(range); port + 1 <= range->hi; port += 2) {
		rtp = udp_bind((uint16_t)port);
		if (rtp == -EADDRINUSE)
			continue;
		if (rtp < 0)
			return rtp;
		rtcp = udp_bind((uint16_t)(port + 1));
		if (rtcp < 0) {
			close(rtp);
			if (rtcp == -EADDRINUSE)
				continue;
			return rtcp;
		}
		out->rtp_fd = rtp;
		out->rtcp_fd = rtcp;
		out->rtp_port = (uint16_t)port;
		return 0;
	}
	return -EADDRINUSE;
}
