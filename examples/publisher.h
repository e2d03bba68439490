/*
 * publisher.h — the remote publisher object of the example gateway, the only
 * thing libgwpub.so exports.
 *
 * A publisher owns one RTP and one RTCP UDP socket and is reference counted
 * the way a Janus VideoRoom publisher is: an atomic counter, and a free
 * function that runs when the counter reaches zero.  That free function is
 * the only place the sockets are closed, so a reference that is never
 * dropped keeps both sockets (and their ports) busy for the process's life.
 *
 * gw_publisher_new/ref/unref are real, never-inlined functions with default
 * visibility: the gateway reaches them through the PLT, which is what lets a
 * preloaded tracer (tally) interpose them by name.
 */
#ifndef GW_PUBLISHER_H
#define GW_PUBLISHER_H

#include <stdint.h>

/* The library is built with -fvisibility=hidden; this marks its API. */
#define GW_API __attribute__((visibility("default")))

struct gw_publisher;

/*
 * Told when a publisher is gone: called once, by whichever thread drops the
 * last reference, after the sockets are closed and before the memory is.
 */
typedef void (*gw_publisher_free_fn)(void *arg, unsigned id);

/*
 * Creates publisher `id` owning rtp_fd and rtcp_fd (bound to rtp_port and
 * rtp_port + 1).  The counter starts at 1: that reference is the caller's.
 * On failure returns NULL with errno set, and the fds stay the caller's.
 */
GW_API struct gw_publisher *gw_publisher_new(unsigned id, int rtp_fd,
					     int rtcp_fd, uint16_t rtp_port,
					     gw_publisher_free_fn on_free,
					     void *on_free_arg);

/* Takes one reference.  The caller must already hold one. */
GW_API void gw_publisher_ref(struct gw_publisher *pub);

/*
 * Drops one reference; the last one closes both sockets and frees the
 * publisher.  Dropping a reference nobody holds aborts: it would otherwise
 * be a silent use after free.
 */
GW_API void gw_publisher_unref(struct gw_publisher *pub);

/* Accessors: valid only while the caller holds a reference. */
GW_API unsigned gw_publisher_id(const struct gw_publisher *pub);
GW_API int gw_publisher_rtp_fd(const struct gw_publisher *pub);
GW_API uint16_t gw_publisher_rtp_port(const struct gw_publisher *pub);

/* The counter right now; only meaningful for reports, it may change at once. */
GW_API unsigned gw_publisher_refcount(const struct gw_publisher *pub);

#endif /* GW_PUBLISHER_H */
