/*
 * options.c — command line parsing for the example gateway.
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_PORTS_LO 20000
#define DEFAULT_PORTS_HI 20099
#define DEFAULT_PACKETS 10

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gateway [--bug] [--ports LO-HI] [--control PORT]\n"
		"               [--cycles N [--packets K]] [--hold]\n"
		"\n"
		"  --ports LO-HI   RTP port range (default %u-%u); one even/odd\n"
		"                  RTP/RTCP pair per publisher\n"
		"  --control PORT  control port on 127.0.0.1 (default 0: kernel picks)\n"
		"  --bug           take one extra publisher reference per RTP packet\n"
		"  --cycles N      run the built-in driver: N add/send/remove cycles,\n"
		"                  then quit (without it: serve until quit or SIGINT)\n"
		"  --packets K     RTP packets per cycle (default %u)\n"
		"  --hold          before exiting, wait for a line on stdin (lets a\n"
		"                  harness inspect /proc/PID/fd)\n",
		DEFAULT_PORTS_LO, DEFAULT_PORTS_HI, DEFAULT_PACKETS);
}

/* Parses a decimal number lo..hi; returns 0 or -EINVAL. */
static int parse_num(const char *text, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "gateway: bad %s '%s'\n", what, arg);
	usage(stderr);
	return OPTIONS_EXIT_USAGE;
}

int options_parse(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "bug", no_argument, NULL, 'b' },
		{ "ports", required_argument, NULL, 'p' },
		{ "control", required_argument, NULL, 'c' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "packets", required_argument, NULL, 'k' },
		{ "hold", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	*opt = (struct options){
		.ports = { DEFAULT_PORTS_LO, DEFAULT_PORTS_HI },
		.packets = DEFAULT_PACKETS,
	};
	optind = 1;	/* parsing may run more than once in one process (tests) */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			opt->bug = true;
			break;
		case 'p':
			if (port_range_parse(optarg, &opt->ports))
				return bad("port range", optarg);
			break;
		case 'c':
			if (parse_num(optarg, 0, 65535, &v))
				return bad("control port", optarg);
			opt->control_port = (uint16_t)v;
			break;
		case 'n':
			if (parse_num(optarg, 1, UINT_MAX, &v))
				return bad("cycle count", optarg);
			opt->cycles = (unsigned)v;
			opt->drive = true;
			break;
		case 'k':
			if (parse_num(optarg, 0, 65535, &v))
				return bad("packet count", optarg);
			opt->packets = (unsigned)v;
			break;
		case 'H':
			opt->hold = true;
			break;
		case 'h':
			usage(stdout);
			return OPTIONS_EXIT_OK;
		default:
			usage(stderr);
			return OPTIONS_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return bad("argument", argv[optind]);
	if (!opt->drive && opt->packets != DEFAULT_PACKETS)
		fprintf(stderr, "gateway: --packets ignored without --cycles\n");
	return OPTIONS_RUN;
}
