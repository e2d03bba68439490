/*
 * ports.h — the gateway's RTP port range and the RTP/RTCP socket pairs taken
 * from it.
 *
 * Like Janus's rtp_port_range, a publisher needs an even port for RTP and
 * the next odd one for RTCP, both UDP on 127.0.0.1.  A range of N ports holds
 * at most N/2 publishers; once every pair is bound (by live publishers or by
 * leaked ones) no publisher can be added any more.
 */
#ifndef GW_PORTS_H
#define GW_PORTS_H

#include <stdint.h>

struct port_range {
	uint16_t lo;	/* first port, >= 1 */
	uint16_t hi;	/* last port, inclusive */
};

struct port_pair {
	int rtp_fd;		/* UDP, bound to 127.0.0.1:rtp_port */
	int rtcp_fd;		/* UDP, bound to 127.0.0.1:rtp_port + 1 */
	uint16_t rtp_port;	/* even */
};

/* Parses "LO-HI".  Returns 0, or -EINVAL if the text is not a range holding
 * at least one even/odd pair. */
int port_range_parse(const char *text, struct port_range *out);

/* How many RTP/RTCP pairs the range holds. */
unsigned port_range_pairs(const struct port_range *range);

/*
 * Binds the first free pair of the range, lowest port first.  Returns 0, or
 * -EADDRINUSE when every pair is taken, or the -errno of a socket/bind
 * failure that searching further could not cure (EMFILE, EACCES, ...).
 * On failure no fd is left open.
 */
int port_pair_open(const struct port_range *range, struct port_pair *out);

#endif /* GW_PORTS_H */
