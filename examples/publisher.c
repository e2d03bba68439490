/*
 * publisher.c — libgwpub.so: the refcounted remote publisher.
 *
 * Mirrors the Janus pattern (janus_refcount: an atomic counter plus a free
 * callback).  Increments are relaxed; the decrement is acq_rel so that every
 * write made under some other reference is visible to the thread that ends
 * up running the free function.
 */
#include "publisher.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gw_publisher {
	atomic_uint refs;		/* 0 only inside publisher_free() */
	unsigned id;
	int rtp_fd;			/* owned, closed by publisher_free() */
	int rtcp_fd;			/* owned, closed by publisher_free() */
	uint16_t rtp_port;		/* rtcp is rtp_port + 1 */
	gw_publisher_free_fn on_free;	/* may be NULL */
	void *on_free_arg;
};

/* Closes one owned socket; a failure here means the fd was not ours (EBADF),
 * which is a bug worth shouting about, but freeing must go on regardless. */
static void publisher_close_fd(const struct gw_publisher *pub, int fd,
			       const char *what)
{
	/* No retry on EINTR: on Linux the fd is released even then. */
	if (close(fd) < 0)
		fprintf(stderr, "libgwpub: publisher %u: close(%s fd %d): %s\n",
			pub->id, what, fd, strerror(errno));
}

/* The free function: the one place a publisher's sockets are closed.
 * noinline so that it shows up as its own frame above close(). */
static __attribute__((noinline)) void publisher_free(struct gw_publisher *pub)
{
	publisher_close_fd(pub, pub->rtp_fd, "RTP");
	publisher_close_fd(pub, pub->rtcp_fd, "RTCP");
	if (pub->on_free)
		pub->on_free(pub->on_free_arg, pub->id);
	free(pub);
}

__attribute__((noinline)) struct gw_publisher *
gw_publisher_new(unsigned id, int rtp_fd, int rtcp_fd, uint16_t rtp_port,
		 gw_publisher_free_fn on_free, void *on_free_arg)
{
	struct gw_publisher *pub;

	if (rtp_fd < 0 || rtcp_fd < 0) {
		errno = EBADF;
		return NULL;
	}
	pub = calloc(1, sizeof(*pub));
	if (!pub)
		return NULL;	/* errno is ENOMEM */
	atomic_init(&pub->refs, 1);
	pub->id = id;
	pub->rtp_fd = rtp_fd;
	pub->rtcp_fd = rtcp_fd;
	pub->rtp_port = rtp_port;
	pub->on_free = on_free;
	pub->on_free_arg = on_free_arg;
	return pub;
}

__attribute__((noinline)) void gw_publisher_ref(struct gw_publisher *pub)
{
	atomic_fetch_add_explicit(&pub->refs, 1, memory_order_relaxed);
}

__attribute__((noinline)) void gw_publisher_unref(struct gw_publisher *pub)
{
	unsigned old = atomic_fetch_sub_explicit(&pub->refs, 1,
						 memory_order_acq_rel);

	if (old == 0) {
		fprintf(stderr, "libgwpub: publisher %u: unref below zero\n",
			pub->id);
		abort();
	}
	if (old == 1)
		publisher_free(pub);
	/* No tail call: keeps this frame between close() and our caller in a
	 * stack trace, which is what ties the socket's close to the unref. */
	__asm__ volatile("" ::: "memory");
}

unsigned gw_publisher_id(const struct gw_publisher *pub)
{
	return pub->id;
}

int gw_publisher_rtp_fd(const struct gw_publisher *pub)
{
	return pub->rtp_fd;
}

uint16_t gw_publisher_rtp_port(const struct gw_publisher *pub)
{
	return pub->rtp_port;
}

unsigned gw_publisher_refcount(const struct gw_publisher *pub)
{
	return atomic_load_explicit(&pub->refs, memory_order_relaxed);
}
