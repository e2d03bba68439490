/*
 * room.h — the video room: the set of remote publishers, each with its
 * sockets and its receive thread.  This is the part of the gateway that
 * plays the Janus VideoRoom plugin (add/remove_remote_publisher).
 *
 * The room holds one reference on every publisher it lists; removing a
 * publisher stops its thread and drops that reference, which frees the
 * publisher unless some reference leaked.
 *
 * Threading: every room_* function is called from one thread (the control
 * thread, or main once it has stopped); only the freed counter is updated
 * from other threads, by whichever thread drops a publisher's last reference.
 * Log lines for the events (add, remove, 499, freed) go to stdout.
 */
#ifndef GW_ROOM_H
#define GW_ROOM_H

#include <stdbool.h>
#include <stdint.h>

#include "ports.h"

struct room;

struct room_stats {
	unsigned added;		/* publishers created */
	unsigned add_failed;	/* adds refused for lack of sockets (499) */
	unsigned removed;	/* publishers taken out of the room */
	unsigned freed;		/* publishers whose free function ran */
	unsigned refs_min;	/* counter at removal, before the room's unref; */
	unsigned refs_max;	/*   both 0 when nothing was removed */
	uint64_t relayed;	/* packets relayed by the removed publishers */
	uint64_t relay_cpu_ns;	/* their receive threads' CPU time */
};

/* A room taking its ports from `range`; `bug` is passed to every relay. */
int room_new(struct room **out, const struct port_range *range, bool bug);

/*
 * Adds publisher `id`: binds an RTP/RTCP pair, creates the publisher and
 * starts its receive thread.  Returns 0 with *rtp_port set, or -errno with
 * *why set to a one-line reason: -EEXIST (id already in the room), any
 * socket failure (*why is then "Could not open UDP socket for RTP stream",
 * the Janus error 499 text), -ENOMEM and thread errors.
 */
int room_add(struct room *room, unsigned id, uint16_t *rtp_port,
	     const char **why);

/* Removes publisher `id`: stops its thread and drops the room's reference.
 * Returns 0 or -ENOENT. */
int room_remove(struct room *room, unsigned id);

/* Waits until publisher `id` has relayed `packets` packets (see
 * relay_wait_packets()).  Returns 0, -ENOENT or -ETIMEDOUT. */
int room_wait_packets(struct room *room, unsigned id, uint64_t packets,
		      int timeout_ms, uint64_t *seen);

/* Calls fn once per publisher in the room, oldest first. */
void room_visit(struct room *room,
		void (*fn)(void *arg, unsigned id, unsigned refs, uint16_t port),
		void *arg);

/* Removes every publisher still in the room (shutdown). */
void room_remove_all(struct room *room);

void room_get_stats(struct room *room, struct room_stats *out);

/*
 * Frees the room.  Call only after room_remove_all(): publishers that are
 * still referenced (leaked) never call back into the room, and all others
 * have been freed by then.
 */
void room_free(struct room *room);

#endif /* GW_ROOM_H */
