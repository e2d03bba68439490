/*
 * tally — command-line entry: parse, dispatch, map errors to exit status 2.
 */
#include "cli.h"
#include "cmd_report.h"
#include "cmd_run.h"

#include <stdio.h>

#include "tally/format.h"

#define TALLY_VERSION "0.1.0"

int main(int argc, char **argv)
{
	struct cli c;
	char err[512];

	if (cli_parse(argc, argv, &c, err, sizeof(err)) != 0) {
		/* One line: what is wrong, and where the usage is. */
		fprintf(stderr, "tally: %s (see: tally help)\n", err);
		return 2;
	}
	switch (c.command) {
	case CLI_HELP:
		fputs(cli_usage, stdout);
		return 0;
	case CLI_VERSION:
		printf("tally %s (log format %u)\n", TALLY_VERSION, TALLY_FORMAT_VERSION);
		return 0;
	case CLI_RUN:
		return cmd_run(&c);
	case CLI_REPORT:
		return cmd_report(c.log, &(struct report_request){ c.json, c.full, c.range_lo, c.range_hi,
		                                             c.range_type, c.events },
		                  stdout, NULL);
	}
	return 2;
}
