/*
 * room.c — publishers of the room, kept in a list in insertion order.
 *
 * Add and remove follow Janus's remote publisher handling: open the sockets,
 * create the refcounted publisher (its first reference is the room's), start
 * the receive thread (which takes its own); on removal stop the thread and
 * drop the room's reference, and let the free function close the sockets.
 */
#include "room.h"

#include "publisher.h"
#include "relay.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The Janus message, printed as is so the example fails like the field did. */
#define NO_SOCKET_MSG "Could not open UDP socket for RTP stream"

struct room_entry {
	struct room_entry *next;
	struct gw_publisher *pub;	/* the room's reference */
	struct relay *relay;
};

struct room {
	struct port_range range;
	bool bug;
	struct room_entry *head;	/* oldest first */
	struct room_entry **tail;	/* &last->next, or &head */
	struct room_stats stats;	/* all but freed, room thread only */
	atomic_uint freed;		/* any thread, see publisher_freed() */
};

int room_new(struct room **out, const struct port_range *range, bool bug)
{
	struct room *room = calloc(1, sizeof(*room));

	if (!room)
		return -ENOMEM;
	room->range = *range;
	room->bug = bug;
	room->tail = &room->head;
	atomic_init(&room->freed, 0);
	*out = room;
	return 0;
}

/* The publisher's free callback: runs in the thread of the last unref. */
static void publisher_freed(void *arg, unsigned id)
{
	struct room *room = arg;

	atomic_fetch_add(&room->freed, 1);
	printf("freed publisher %u: RTP/RTCP sockets closed\n", id);
}

/* The link that points at entry `id`, or NULL. */
static struct room_entry **room_find(struct room *room, unsigned id)
{
	struct room_entry **link;

	for (link = &room->head; *link; link = &(*link)->next)
		if (gw_publisher_id((*link)->pub) == id)
			return link;
	return NULL;
}

/* Logs a refused add the way Janus does, plus the cause for the operator. */
static void log_no_socket(const struct room *room, int err)
{
	printf(NO_SOCKET_MSG " (error 499)\n");
	if (err == -EADDRINUSE)
		fprintf(stderr, "gateway: no free RTP/RTCP pair in %u-%u\n",
			room->range.lo, room->range.hi);
	else
		fprintf(stderr, "gateway: RTP/RTCP sockets: %s\n",
			strerror(-err));
}

int room_add(struct room *room, unsigned id, uint16_t *rtp_port,
	     const char **why)
{
	struct room_entry *entry;
	struct port_pair ports;
	int rc;

	if (room_find(room, id)) {
		*why = "publisher exists";
		return -EEXIST;
	}
	entry = calloc(1, sizeof(*entry));
	if (!entry) {
		*why = "out of memory";
		return -ENOMEM;
	}
	rc = port_pair_open(&room->range, &ports);
	if (rc) {
		room->stats.add_failed++;
		log_no_socket(room, rc);
		*why = NO_SOCKET_MSG;
		goto err_entry;
	}
	entry->pub = gw_publisher_new(id, ports.rtp_fd, ports.rtcp_fd,
				      ports.rtp_port, publisher_freed, room);
	if (!entry->pub) {
		rc = -errno;
		*why = "cannot create publisher";
		/* Fresh, never-used sockets: nothing a close error could lose. */
		close(ports.rtp_fd);
		close(ports.rtcp_fd);
		goto err_entry;
	}
	rc = relay_start(&entry->relay, entry->pub, room->bug);
	if (rc) {
		*why = "cannot start receive thread";
		gw_publisher_unref(entry->pub);	/* frees it, closes the pair */
		goto err_entry;
	}
	*room->tail = entry;
	room->tail = &entry->next;
	room->stats.added++;
	*rtp_port = ports.rtp_port;
	printf("added publisher %u: rtp %u rtcp %u\n", id, ports.rtp_port,
	       ports.rtp_port + 1);
	return 0;

err_entry:
	free(entry);
	return rc;
}

/* Records the counter seen at removal in the stats. */
static void note_refs_at_removal(struct room_stats *stats, unsigned refs)
{
	if (stats->removed == 0 || refs < stats->refs_min)
		stats->refs_min = refs;
	if (refs > stats->refs_max)
		stats->refs_max = refs;
	stats->removed++;
}

/* Unlinks `link`'s entry, stops its thread and drops the room's reference. */
static void room_drop(struct room *room, struct room_entry **link)
{
	struct room_entry *entry = *link;
	struct relay_stats rs = { 0 };
	unsigned id = gw_publisher_id(entry->pub);
	unsigned refs;

	*link = entry->next;
	if (room->tail == &entry->next)
		room->tail = link;
	/* Room + thread, plus whatever leaked. */
	refs = gw_publisher_refcount(entry->pub);
	note_refs_at_removal(&room->stats, refs);
	/*
	 * Janus's order: the room lets go first, then the receive thread is
	 * told to stop, and its own unref on the way out is normally the last
	 * one, so the free function (and the sockets' close) runs on the
	 * relay thread.  The publisher must not be touched after this unref.
	 */
	gw_publisher_unref(entry->pub);
	relay_stop(entry->relay, &rs);
	room->stats.relayed += rs.packets;
	room->stats.relay_cpu_ns += rs.cpu_ns;
	printf("removed publisher %u: refs at removal %u, relayed %llu packets"
	       " (%llu bytes)\n", id, refs, (unsigned long long)rs.packets,
	       (unsigned long long)rs.bytes);
	free(entry);
}

int room_remove(struct room *room, unsigned id)
{
	struct room_entry **link = room_find(room, id);

	if (!link)
		return -ENOENT;
	room_drop(room, link);
	return 0;
}

int room_wait_packets(struct room *room, unsigned id, uint64_t packets,
		      int timeout_ms, uint64_t *seen)
{
	struct room_entry **link = room_find(room, id);

	if (!link)
		return -ENOENT;
	return relay_wait_packets((*link)->relay, packets, timeout_ms, seen);
}

void room_visit(struct room *room,
		void (*fn)(void *arg, unsigned id, unsigned refs, uint16_t port),
		void *arg)
{
	struct room_entry *e;

	for (e = room->head; e; e = e->next)
		fn(arg, gw_publisher_id(e->pub), gw_publisher_refcount(e->pub),
		   gw_publisher_rtp_port(e->pub));
}

void room_remove_all(struct room *room)
{
	while (room->head)
		room_drop(room, &room->head);
}

void room_get_stats(struct room *room, struct room_stats *out)
{
	*out = room->stats;
	out->freed = atomic_load(&room->freed);
}

void room_free(struct room *room)
{
	free(room);
}
