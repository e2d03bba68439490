/*
 * cmd_report — `tally report`, also the last step of `tally run`.
 */
#ifndef TALLY_CMD_REPORT_H
#define TALLY_CMD_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* What to print. */
struct report_request {
	bool json;                 /* JSON instead of text */
	bool full;                 /* every group and frame (text) */
	uint16_t range_lo, range_hi; /* a port range to budget, or 0 */
	int range_type;            /* SOCK_DGRAM or SOCK_STREAM */
	bool events;               /* the event records (timeline.h), not the report */
};

/* What a report found, for `tally run --check`. */
struct report_counts {
	uint64_t open_sockets;     /* sockets the process made and left open at
	                            * the end of the log (inherited ones not
	                            * counted) */
	unsigned leaked_objects;   /* books_check(): live objects whose
	                            * references count (owner policy) */
	unsigned violations;       /* books_check(): certain violations */
};

/* Writes the report of the log at path to out (NULL: only the counts).
 * Returns 0, or 2 after printing one error line to stderr.  *counts
 * receives what it found (may be NULL; left zero on error). */
int cmd_report_counts(const char *path, const struct report_request *rq, FILE *out,
                      struct report_counts *counts);

/* cmd_report_counts, keeping only the open sockets (may be NULL). */
int cmd_report(const char *path, const struct report_request *rq, FILE *out,
               uint64_t *open_sockets);

#endif
