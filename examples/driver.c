/*
 * driver.c — the built-in client: control requests over TCP, RTP over UDP.
 *
 * Packets go out in batches followed by a `wait`, so a large --packets
 * never overruns the publisher socket's receive buffer: loopback UDP drops
 * silently when the buffer is full, and a dropped packet would make the
 * counts (and the test) depend on timing.
 */
#include "driver.h"

#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Longer than the server's own bound on `wait` (COMMAND_WAIT_MS). */
#define DRIVER_REPLY_TIMEOUT_S 5
/* Packets in flight at most; far below any default UDP receive buffer. */
#define DRIVER_BATCH 32
#define RTP_PAYLOAD "tally example RTP payload"
#define RTP_PT 96

struct driver {
	struct driver_conf conf;
	struct control *ctl;
	pthread_t thread;
	struct driver_result result;	/* written by the thread, read after join */
};

/* The driver's control connection and its line buffer. */
struct conn {
	int fd;
	size_t len;
	char buf[512];
};

static int conn_open(struct conn *c, uint16_t port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = DRIVER_REPLY_TIMEOUT_S };
	int err;

	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	/* Timeouts on both directions: no reply, no wait beyond a few seconds. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = -errno;
		close(c->fd);
		c->fd = -1;
		return err;
	}
	return 0;
}

static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one reply line into out (without newline).  Returns 0 or -errno;
 * -ETIMEDOUT when the gateway did not answer in time, -ECONNRESET on EOF. */
static int conn_read_line(struct conn *c, char *out, size_t size)
{
	char *nl;
	size_t used;
	ssize_t n;

	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len == sizeof(c->buf))
			return -EMSGSIZE;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
	used = (size_t)(nl - c->buf) + 1;
	if (used > size)
		return -EMSGSIZE;
	memcpy(out, c->buf, used - 1);
	out[used - 1] = '\0';
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	return 0;
}

/* Sends one request line and reads its reply line. */
static __attribute__((format(printf, 4, 5))) int
request(struct conn *c, char *reply, size_t size, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return -EINVAL;
	line[n++] = '\n';
	rc = send_all(c->fd, line, (size_t)n);
	if (rc == 0)
		rc = conn_read_line(c, reply, size);
	if (rc)
		fprintf(stderr, "driver: request '%.*s': %s\n", n - 1, line,
			strerror(-rc));
	return rc;
}

/* Fails the run on a reply that is not what the protocol promises. */
static int unexpected(const char *what, const char *reply)
{
	fprintf(stderr, "driver: %s: unexpected reply '%s'\n", what, reply);
	return -EPROTO;
}

/* Builds RTP packet `seq` of stream `ssrc`: 12-byte header + payload. */
static size_t rtp_build(uint8_t *pkt, uint32_t ssrc, uint16_t seq)
{
	uint32_t ts = htonl((uint32_t)seq * 3000u);	/* 90 kHz, 30 fps */
	uint16_t nseq = htons(seq);
	uint32_t nssrc = htonl(ssrc);

	pkt[0] = 0x80;		/* version 2, no padding/extension/CSRC */
	pkt[1] = RTP_PT;
	memcpy(pkt + 2, &nseq, 2);
	memcpy(pkt + 4, &ts, 4);
	memcpy(pkt + 8, &nssrc, 4);
	memcpy(pkt + 12, RTP_PAYLOAD, sizeof(RTP_PAYLOAD) - 1);
	return 12 + sizeof(RTP_PAYLOAD) - 1;
}

/* Sends `count` packets numbered from `first` to 127.0.0.1:port. */
static int send_rtp(int udp, uint16_t port, unsigned id, unsigned first,
		    unsigned count)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	uint8_t pkt[64];
	size_t len;
	unsigned i;
	ssize_t n;

	for (i = 0; i < count; i++) {
		len = rtp_build(pkt, id, (uint16_t)(first + i));
		do
			n = sendto(udp, pkt, len, 0, (struct sockaddr *)&to,
				   sizeof(to));
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			int err = errno;

			fprintf(stderr, "driver: sendto port %u: %s\n", port,
				strerror(err));
			return -err;
		}
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Feeds publisher `id` and waits until the gateway relayed every packet.
 * The time it takes is the relay throughput `make bench` measures. */
static int feed_publisher(struct driver *d, struct conn *c, int udp,
			  unsigned id, uint16_t port)
{
	char reply[256];
	unsigned sent = 0, batch;
	uint64_t start = now_ns();
	int rc;

	while (sent < d->conf.packets) {
		batch = d->conf.packets - sent;
		if (batch > DRIVER_BATCH)
			batch = DRIVER_BATCH;
		rc = send_rtp(udp, port, id, sent, batch);
		if (rc)
			return rc;
		sent += batch;
		d->result.packets_sent += batch;
		rc = request(c, reply, sizeof(reply), "wait %u %u", id, sent);
		if (rc)
			return rc;
		if (strncmp(reply, "ok ", 3) != 0)
			return unexpected("wait", reply);
	}
	d->result.feed_ns += now_ns() - start;
	return 0;
}

/* One add / feed / remove cycle for publisher `id`. */
static int driver_cycle(struct driver *d, struct conn *c, int udp, unsigned id)
{
	char reply[256];
	unsigned rid, rtp, rtcp;
	int rc;

	rc = request(c, reply, sizeof(reply), "add %u", id);
	if (rc)
		return rc;
	if (strncmp(reply, "error 499 ", 10) == 0) {
		d->result.adds_refused++;
		printf("driver: add %u refused: %s\n", id, reply);
		return 0;
	}
	if (sscanf(reply, "ok %u %u %u", &rid, &rtp, &rtcp) != 3 ||
	    rid != id || rtp == 0 || rtp > 65535)
		return unexpected("add", reply);
	d->result.adds_ok++;
	rc = feed_publisher(d, c, udp, id, (uint16_t)rtp);
	if (rc)
		return rc;
	rc = request(c, reply, sizeof(reply), "remove %u", id);
	if (rc)
		return rc;
	if (strcmp(reply, "ok") != 0)
		return unexpected("remove", reply);
	return 0;
}

/* The whole run; every socket it opens is closed before it returns. */
static int driver_run(struct driver *d)
{
	struct conn c;
	char reply[256];
	unsigned id;
	int udp, rc;

	rc = conn_open(&c, d->conf.control_port);
	if (rc) {
		fprintf(stderr, "driver: connect to control port %u: %s\n",
			d->conf.control_port, strerror(-rc));
		return rc;
	}
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (udp < 0) {
		rc = -errno;
		fprintf(stderr, "driver: UDP socket: %s\n", strerror(errno));
		goto out_conn;
	}
	for (id = 1; id <= d->conf.cycles; id++) {
		rc = driver_cycle(d, &c, udp, id);
		if (rc)
			goto out_udp;
		d->result.cycles++;
	}
	rc = request(&c, reply, sizeof(reply), "quit");
	if (rc == 0 && strcmp(reply, "ok bye") != 0)
		rc = unexpected("quit", reply);

out_udp:
	close(udp);
out_conn:
	close(c.fd);
	return rc;
}

static void *driver_thread(void *arg)
{
	struct driver *d = arg;

	d->result.error = driver_run(d);
	/* Without a `quit` the server would wait for us forever. */
	if (d->result.error)
		control_stop(d->ctl);
	return NULL;
}

int driver_start(struct driver **out, const struct driver_conf *conf,
		 struct control *ctl)
{
	struct driver *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->conf = *conf;
	d->ctl = ctl;
	rc = pthread_create(&d->thread, NULL, driver_thread, d);
	if (rc) {
		free(d);
		return -rc;
	}
	*out = d;
	return 0;
}

int driver_join(struct driver *d, struct driver_result *result)
{
	int rc = pthread_join(d->thread, NULL);

	if (rc) {
		/* The thread may still run and write *d: leak it, do not free. */
		fprintf(stderr, "driver: join: %s\n", strerror(rc));
		return -rc;
	}
	*result = d->result;
	free(d);
	return result->error;
}
