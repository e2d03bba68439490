/*
 * cli — the command line of `tally`, parsed into a plain struct so the
 * rules (and their error messages) can be tested without running anything.
 */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include <stdbool.h>
#include <stdint.h>

enum cli_command { CLI_HELP, CLI_VERSION, CLI_RUN, CLI_REPORT };

struct cli {
	enum cli_command command;
	const char *log;          /* run: --log PATH/pattern; report: LOG */
	bool check;               /* run --check */
	bool json;                /* --json */
	bool full;                /* report --all: every group and frame */
	bool events;              /* report --events: the event records */
	const char *depth;        /* run --depth N (passed as TALLY_DEPTH) */
	const char *log_size;     /* run --log-size SIZE (TALLY_LOG_SIZE) */
	char rules[4096];         /* run --rules (TALLY_RULES), ';'-joined */
	const char *rules_file;   /* run --rules-file (TALLY_RULES_FILE) */
	const char *enforce;      /* run --enforce log|abort (TALLY_ENFORCE) */
	const char *hook;         /* run --hook entry|got (TALLY_HOOK) */
	const char *output;       /* run --output FILE: the report there, not on stdout */
	char **argv;              /* run: the command and its arguments */
	uint16_t range_lo, range_hi; /* --port-range LO-HI[/udp|/tcp] (0 = none) */
	int range_type;           /* SOCK_DGRAM (udp, the default) or SOCK_STREAM */
};

/* Returns 0, or -1 with one line (no newline) in err. */
int cli_parse(int argc, char **argv, struct cli *out, char *err, unsigned errsz);

extern const char cli_usage[];

#endif
