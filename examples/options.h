/*
 * options.h — the gateway's command line.
 *
 *   gateway [--bug] [--ports LO-HI] [--control PORT]
 *           [--cycles N [--packets K]] [--hold]
 */
#ifndef GW_OPTIONS_H
#define GW_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ports.h"

struct options {
	struct port_range ports;	/* --ports, default 20000-20099 */
	uint16_t control_port;		/* --control, 0: the kernel picks */
	bool bug;			/* --bug: extra per-packet reference */
	bool drive;			/* --cycles given: run the driver */
	unsigned cycles;		/* --cycles */
	unsigned packets;		/* --packets, default 10 */
	bool hold;			/* --hold: wait for a line on stdin before exit */
};

enum options_outcome {
	OPTIONS_RUN = 0,	/* *opt is filled, go on */
	OPTIONS_EXIT_OK = 1,	/* --help was printed */
	OPTIONS_EXIT_USAGE = 2,	/* bad command line, usage printed to stderr */
};

/* Fills *opt from argv.  Returns an options_outcome. */
int options_parse(int argc, char **argv, struct options *opt);

#endif /* GW_OPTIONS_H */
