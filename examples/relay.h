/*
 * relay.h — the receive thread of one publisher: reads RTP from the
 * publisher's socket and hands every packet to its subscriber.
 *
 * Reference discipline (as in Janus's remote publisher thread):
 *   - the thread holds one reference for as long as it runs: taken by
 *     relay_start() before the thread exists, dropped by the thread on exit;
 *   - each received packet takes a reference before it is handed on, and the
 *     hand-on code drops it once the subscriber is done.
 * With `bug` set, the per-packet path takes one reference too many, so every
 * packet leaves the counter one higher — the VideoRoom leak.
 */
#ifndef GW_RELAY_H
#define GW_RELAY_H

#include <stdbool.h>
#include <stdint.h>

struct gw_publisher;
struct relay;

struct relay_stats {
	uint64_t packets;	/* RTP packets handed to the subscriber */
	uint64_t bytes;		/* bytes the subscriber received */
	uint64_t dropped;	/* datagrams too short or not RTP v2 */
	uint64_t cpu_ns;	/* the receive thread's CPU time, 0 if unknown */
};

/* Takes the thread's reference on `pub` and starts its receive thread.
 * Returns 0, or -errno with no reference taken and nothing started. */
int relay_start(struct relay **out, struct gw_publisher *pub, bool bug);

/*
 * Stops the thread (within one poll timeout), joins it — it drops its
 * reference on the way out — and frees the relay.  `stats` may be NULL.
 */
void relay_stop(struct relay *relay, struct relay_stats *stats);

/*
 * Waits until at least `packets` packets have been handed on and their
 * per-packet references dropped, or `timeout_ms` passes.  Returns 0 or
 * -ETIMEDOUT; *seen gets the count reached either way.
 */
int relay_wait_packets(struct relay *relay, uint64_t packets, int timeout_ms,
		       uint64_t *seen);

#endif /* GW_RELAY_H */
