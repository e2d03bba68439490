/*
 * relay.c — per-publisher receive thread and the per-packet reference path.
 *
 * The thread polls the RTP socket with a short timeout so that relay_stop()
 * only has to set a flag.  The per-packet path is split into two noinline
 * functions, relay_packet_take_refs() and relay_hand_on(), so that every
 * gw_publisher_ref/unref call has its own caller frame and line: the
 * --bug reference is one line of its own that a tracer can point at.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pthread_setname_np() */
#endif
#include "relay.h"

#include "publisher.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* How long one poll waits: the bound on how late relay_stop() is noticed. */
#define RELAY_POLL_MS 50
#define RTP_HEADER_LEN 12
#define RTP_MAX_PACKET 1500

/* The "subscriber" of the room: it only counts what it is given. */
struct subscriber {
	uint64_t bytes;
};

struct relay {
	struct gw_publisher *pub;	/* the thread holds a reference */
	bool bug;			/* take the extra per-packet reference */
	atomic_bool stop;		/* set by relay_stop(), read by the thread */
	pthread_t thread;
	struct subscriber sub;		/* thread only until joined */
	uint64_t dropped;		/* thread only until joined */
	uint64_t cpu_ns;		/* thread only until joined */
	pthread_mutex_t lock;		/* protects packets, for relay_wait_packets() */
	pthread_cond_t relayed;		/* signalled when packets grows */
	uint64_t packets;
};

static void subscriber_deliver(struct subscriber *sub, const uint8_t *pkt,
			       size_t len)
{
	(void)pkt;
	sub->bytes += len;
}

/*
 * The references the per-packet path takes before handing a packet on.
 * Exactly one is dropped by relay_hand_on().  noipa: no inlining, cloning
 * or signature change, so the frame is "relay_packet_take_refs" in a trace.
 * In Janus the extra one was a second increase in the remote publisher's
 * receive thread (meetecho/janus-gateway#3345); the fix deleted that line.
 */
static __attribute__((noipa)) void relay_packet_take_refs(struct relay *relay)
{
	gw_publisher_ref(relay->pub);		/* dropped in relay_hand_on() */
	if (relay->bug)
		gw_publisher_ref(relay->pub);	/* BUG (--bug): extra reference, never dropped */
	/* Keeps both calls out of tail position: each returns into this frame,
	 * so a stack trace names this function and the line of the call. */
	__asm__ volatile("" ::: "memory");
}

/* Counts one relayed packet and wakes relay_wait_packets(). */
static void relay_count_packet(struct relay *relay)
{
	int rc;

	rc = pthread_mutex_lock(&relay->lock);
	if (rc) {
		fprintf(stderr, "gateway: relay lock: %s\n", strerror(rc));
		abort();	/* only fails on a corrupted mutex */
	}
	relay->packets++;
	pthread_cond_broadcast(&relay->relayed);
	pthread_mutex_unlock(&relay->lock);
}

/*
 * Hands one packet to the subscriber, then drops the per-packet reference
 * (Janus: janus_videoroom_relay_rtp_packet and its unref).  The packet is
 * counted only after the unref, so a waiter that saw N packets also sees
 * the counter those N packets left behind.
 */
static __attribute__((noipa)) void relay_hand_on(struct relay *relay,
						 const uint8_t *pkt, size_t len)
{
	subscriber_deliver(&relay->sub, pkt, len);
	gw_publisher_unref(relay->pub);
	relay_count_packet(relay);
}

static bool is_rtp(const uint8_t *pkt, ssize_t len)
{
	return len >= RTP_HEADER_LEN && (pkt[0] >> 6) == 2;
}

/* The receive loop; returns when stopped or when the socket fails. */
static void relay_loop(struct relay *relay)
{
	struct pollfd pfd = {
		.fd = gw_publisher_rtp_fd(relay->pub),
		.events = POLLIN,
	};
	uint8_t pkt[RTP_MAX_PACKET];
	ssize_t len;
	int n;

	while (!atomic_load(&relay->stop)) {
		n = poll(&pfd, 1, RELAY_POLL_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "gateway: publisher %u: poll: %s\n",
				gw_publisher_id(relay->pub), strerror(errno));
			return;
		}
		if (n == 0)
			continue;
		len = recv(pfd.fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len < 0) {
			fprintf(stderr, "gateway: publisher %u: recv: %s\n",
				gw_publisher_id(relay->pub), strerror(errno));
			return;
		}
		if (!is_rtp(pkt, len)) {
			relay->dropped++;
			continue;
		}
		relay_packet_take_refs(relay);
		relay_hand_on(relay, pkt, (size_t)len);
	}
}

/* This thread's CPU time so far: what relaying cost, whatever the
 * scheduling (`make bench` prints it per packet). 0 if the clock fails. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *relay_thread(void *arg)
{
	struct relay *relay = arg;
	char name[16];

	/* Like Janus's "vremote <id>": names the thread in ps, gdb and tally
	 * reports.  Cosmetic, so a failure is not worth more than nothing. */
	snprintf(name, sizeof(name), "relay %u", gw_publisher_id(relay->pub));
	(void)pthread_setname_np(pthread_self(), name);

	relay_loop(relay);
	relay->cpu_ns = thread_cpu_ns();
	gw_publisher_unref(relay->pub);	/* the thread's own, from relay_start() */
	return NULL;
}

/* Sets up the lock and a condition variable on the monotonic clock, so that
 * timed waits do not move with the wall clock. */
static int relay_init_sync(struct relay *relay)
{
	pthread_condattr_t attr;
	int rc;

	rc = pthread_mutex_init(&relay->lock, NULL);
	if (rc)
		return -rc;
	rc = pthread_condattr_init(&attr);
	if (rc)
		goto err_mutex;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&relay->relayed, &attr);
	pthread_condattr_destroy(&attr);
	if (rc)
		goto err_mutex;
	return 0;

err_mutex:
	pthread_mutex_destroy(&relay->lock);
	return -rc;
}

int relay_start(struct relay **out, struct gw_publisher *pub, bool bug)
{
	struct relay *relay;
	int rc;

	relay = calloc(1, sizeof(*relay));
	if (!relay)
		return -ENOMEM;
	relay->pub = pub;
	relay->bug = bug;
	atomic_init(&relay->stop, false);
	rc = relay_init_sync(relay);
	if (rc)
		goto err_free;
	/* Taken before the thread exists: the thread must never run without it. */
	gw_publisher_ref(pub);
	rc = pthread_create(&relay->thread, NULL, relay_thread, relay);
	if (rc) {
		gw_publisher_unref(pub);
		rc = -rc;
		goto err_sync;
	}
	*out = relay;
	return 0;

err_sync:
	pthread_cond_destroy(&relay->relayed);
	pthread_mutex_destroy(&relay->lock);
err_free:
	free(relay);
	return rc;
}

void relay_stop(struct relay *relay, struct relay_stats *stats)
{
	int rc;

	atomic_store(&relay->stop, true);
	rc = pthread_join(relay->thread, NULL);
	if (rc) {
		/* Only possible if the thread id is corrupt; freeing now could
		 * pull memory from under a running thread, so leak instead. */
		fprintf(stderr, "gateway: relay join: %s\n", strerror(rc));
		return;
	}
	if (stats) {
		stats->packets = relay->packets;
		stats->bytes = relay->sub.bytes;
		stats->dropped = relay->dropped;
		stats->cpu_ns = relay->cpu_ns;
	}
	pthread_cond_destroy(&relay->relayed);
	pthread_mutex_destroy(&relay->lock);
	free(relay);
}

/* now + ms on the monotonic clock, the cond's clock. */
static int deadline_after(int ms, struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) < 0)
		return -errno;
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
	return 0;
}

int relay_wait_packets(struct relay *relay, uint64_t packets, int timeout_ms,
		       uint64_t *seen)
{
	struct timespec deadline;
	int rc;

	rc = deadline_after(timeout_ms, &deadline);
	if (rc)
		return rc;
	rc = pthread_mutex_lock(&relay->lock);
	if (rc)
		return -rc;
	while (relay->packets < packets && rc == 0)
		rc = pthread_cond_timedwait(&relay->relayed, &relay->lock,
					    &deadline);
	*seen = relay->packets;
	pthread_mutex_unlock(&relay->lock);
	if (*seen >= packets)
		return 0;
	return rc == ETIMEDOUT ? -ETIMEDOUT : -rc;
}
