/*
 * gateway.c — the example gateway: a room of remote publishers fed by RTP,
 * a control interface to add and remove them, and optionally a built-in
 * driver that replays the VideoRoom leak (see README.md).
 *
 * main() wires the parts and owns shutdown: stop serving, join the driver,
 * remove what is left in the room, close the control socket, then count the
 * sockets still open — with --bug exactly those of the leaked publishers.
 */
#include "control.h"
#include "driver.h"
#include "fdscan.h"
#include "options.h"
#include "room.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/*
 * SIGINT/SIGTERM become readable events on a signalfd that the control loop
 * polls.  They must be blocked before any thread starts, so that every
 * thread inherits the mask and none of them takes the default action.
 */
static int signals_to_fd(void)
{
	sigset_t set;
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc)
		return -rc;
	rc = signalfd(-1, &set, SFD_CLOEXEC);
	return rc < 0 ? -errno : rc;
}

static void print_summary(const struct options *opt,
			  const struct room_stats *st, int sockets)
{
	printf("summary: publishers added %u, refused %u, removed %u, freed %u,"
	       " leaked %u\n", st->added, st->add_failed, st->removed,
	       st->freed, st->added - st->freed);
	if (st->removed)
		printf("summary: refs at removal min %u max %u (2 expected: room"
		       " + receive thread)%s\n", st->refs_min, st->refs_max,
		       opt->bug ? ", --bug adds 1 per packet" : "");
	if (sockets < 0)
		printf("summary: sockets open at exit: unknown (%s)\n",
		       strerror(-sockets));
	else
		printf("summary: sockets open at exit: %d\n", sockets);
	/* Relaying's own cost, apart from how the threads were scheduled:
	 * what `make bench` compares with and without tally. */
	if (st->relayed && st->relay_cpu_ns)
		printf("summary: receive threads used %.0f ns of CPU per packet\n",
		       (double)st->relay_cpu_ns / (double)st->relayed);
}

/* --hold: lets a harness look at /proc/PID/fd before the process is gone.
 * EOF on stdin counts as the line, so a closed stdin never blocks. */
static void hold(void)
{
	char line[64];

	printf("gateway: holding, pid %ld; press Enter to exit\n",
	       (long)getpid());
	if (!fgets(line, sizeof(line), stdin) && ferror(stdin))
		fprintf(stderr, "gateway: stdin: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	struct options opt;
	struct room *room;
	struct control *ctl;
	struct driver *driver = NULL;
	struct driver_result dres = { 0 };
	struct room_stats st = { 0 };
	bool served = false;
	int sigfd, rc, status = 1;

	/* Line buffered even into a pipe: a harness reads the control port
	 * from the first line while we keep running. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	rc = options_parse(argc, argv, &opt);
	if (rc != OPTIONS_RUN)
		return rc == OPTIONS_EXIT_OK ? 0 : 2;

	sigfd = signals_to_fd();
	if (sigfd < 0) {
		fprintf(stderr, "gateway: signals: %s\n", strerror(-sigfd));
		return 1;
	}
	rc = room_new(&room, &opt.ports, opt.bug);
	if (rc) {
		fprintf(stderr, "gateway: room: %s\n", strerror(-rc));
		goto out_sigfd;
	}
	rc = control_open(&ctl, opt.control_port, room, sigfd);
	if (rc) {
		fprintf(stderr, "gateway: control port %u: %s\n",
			opt.control_port, strerror(-rc));
		goto out_room;
	}
	printf("gateway: control on 127.0.0.1:%u, RTP ports %u-%u (%u"
	       " publishers)%s\n", control_port(ctl), opt.ports.lo,
	       opt.ports.hi, port_range_pairs(&opt.ports),
	       opt.bug ? ", --bug" : "");

	if (opt.drive) {
		struct driver_conf dc = {
			.control_port = control_port(ctl),
			.cycles = opt.cycles,
			.packets = opt.packets,
		};

		rc = driver_start(&driver, &dc, ctl);
		if (rc) {
			fprintf(stderr, "gateway: driver: %s\n", strerror(-rc));
			goto out_control;
		}
	}

	rc = control_serve(ctl);
	served = true;
	if (rc)
		fprintf(stderr, "gateway: control: %s\n", strerror(-rc));
	else
		status = 0;
	if (driver) {
		/* Bounded: the driver's every wait times out, and the server
		 * closed its connection when control_serve() returned. */
		if (driver_join(driver, &dres))
			status = 1;
		printf("driver: %u cycles, %u adds ok, %u refused, %llu packets"
		       " sent%s\n", dres.cycles, dres.adds_ok, dres.adds_refused,
		       (unsigned long long)dres.packets_sent,
		       dres.error ? ", FAILED" : "");
		if (dres.packets_sent && dres.feed_ns)
			printf("driver: relayed in %.3f s: %.0f packets/s\n",
			       dres.feed_ns / 1e9,
			       dres.packets_sent * 1e9 / dres.feed_ns);
	}

out_control:
	room_remove_all(room);
	control_close(ctl);
out_room:
	room_get_stats(room, &st);
	room_free(room);
out_sigfd:
	close(sigfd);
	/* Also after a failed run: the counts say how far it got. */
	if (served) {
		print_summary(&opt, &st, fdscan_count_sockets());
		if (opt.hold)
			hold();
	}
	return status;
}
