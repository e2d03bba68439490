/*
 * rtpblast — sends RTP packets to 127.0.0.1:PORT at a steady rate, for the
 * bench's real-gateway section (bench/janus_relay.sh): Janus's remote
 * publisher receives them as it would from another gateway of a cascade.
 *
 *   rtpblast PORT PACKETS RATE      (RATE packets per second)
 *
 * Paced, not as fast as possible: a burst would overflow the publisher's
 * receive buffer, and dropped packets would make "CPU per packet" a lie.
 * Prints "rtpblast: sent N packets in S s".  Exit status 0, 1 on a send
 * error, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RTP_HEADER 12
#define RTP_PAYLOAD 160     /* 20 ms of G.711, a typical small media packet */
#define PACKETS_PER_TICK 16 /* sent back to back, then the pace is kept */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *out == 0 || *out > max ? -1 : 0;
}

/* Waits until `when` on the monotonic clock. */
static void sleep_until(uint64_t when)
{
	struct timespec ts = { .tv_sec = (time_t)(when / 1000000000u),
	                       .tv_nsec = (long)(when % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	unsigned long port, packets, rate;
	uint8_t pkt[RTP_HEADER + RTP_PAYLOAD];
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd;

	if (argc != 4 || parse(argv[1], 65535, &port) || parse(argv[2], 100000000, &packets) ||
	    parse(argv[3], 10000000, &rate)) {
		fprintf(stderr, "usage: rtpblast PORT PACKETS RATE\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("rtpblast: socket");
		return 1;
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x80;            /* RTP version 2 */
	pkt[1] = 96;              /* dynamic payload type, as VP8 in Janus's rooms */
	pkt[8] = 0x12;            /* SSRC */
	pkt[11] = 0x34;

	uint64_t start = now_ns(), tick_ns = 1000000000ull * PACKETS_PER_TICK / rate;
	for (unsigned long i = 0; i < packets; i++) {
		uint16_t seq = (uint16_t)i;
		uint32_t ts = (uint32_t)(i * 3000);
		pkt[2] = (uint8_t)(seq >> 8);
		pkt[3] = (uint8_t)seq;
		pkt[4] = (uint8_t)(ts >> 24);
		pkt[5] = (uint8_t)(ts >> 16);
		pkt[6] = (uint8_t)(ts >> 8);
		pkt[7] = (uint8_t)ts;
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			perror("rtpblast: sendto");
			close(fd);
			return 1;
		}
		if ((i + 1) % PACKETS_PER_TICK == 0)
			sleep_until(start + (i + 1) / PACKETS_PER_TICK * tick_ns);
	}
	printf("rtpblast: sent %lu packets in %.3f s\n", packets, (double)(now_ns() - start) / 1e9);
	close(fd);
	return 0;
}
