/*
 * driver.h — the built-in load driver (`gateway --cycles N`): a thread in
 * the gateway's own process that uses the gateway only the way an outside
 * client would, over the control socket and over UDP.
 *
 * Each cycle i (1..N): `add i`, send K RTP packets to the publisher's RTP
 * port, `wait` until the gateway has relayed all of them (so the counter at
 * removal is exact), `remove i`.  A refused add (error 499) is counted and
 * the cycle skipped: that is the symptom the example exists to show.  After
 * the last cycle the driver sends `quit`.
 *
 * Every wait is bounded: replies must come within a few seconds, or the
 * driver gives up, calls control_stop() and reports the error.
 */
#ifndef GW_DRIVER_H
#define GW_DRIVER_H

#include <stdint.h>

struct control;
struct driver;

struct driver_conf {
	uint16_t control_port;	/* where the control interface listens */
	unsigned cycles;	/* add/send/remove cycles to run */
	unsigned packets;	/* RTP packets per cycle */
};

struct driver_result {
	unsigned cycles;	/* cycles completed, refused ones included */
	unsigned adds_ok;
	unsigned adds_refused;	/* error 499 replies */
	uint64_t packets_sent;
	uint64_t feed_ns;	/* time from each publisher's first packet to
				 * the reply that all of them were relayed */
	int error;		/* 0, or -errno of the failure that ended the run */
};

/* Starts the driver thread.  `ctl` is stopped if the driver fails, so the
 * server never waits for a client that has given up.  Returns 0 or -errno. */
int driver_start(struct driver **out, const struct driver_conf *conf,
		 struct control *ctl);

/* Joins the driver, fills *result, frees it.  By the time this returns the
 * driver's sockets are closed.  Returns result->error, or -errno of the join. */
int driver_join(struct driver *driver, struct driver_result *result);

#endif /* GW_DRIVER_H */
