/*
 * timeline — the event records of a log in the order they were claimed,
 * one line each: `tally report --events`.
 *
 * Each line: the time since the log was created, the thread, the record's
 * sequence number, what happened (a socket call and its fds and port, a
 * reference call and its object, or a run of them: FORMAT.md, "Runs") and
 * the innermost frames of its stack.  As text for people, or with --json as
 * one JSON object per line (docs/REPORT.md).  A record whose check word is
 * not valid is shown as torn, never interpreted.
 */
#ifndef TALLY_TIMELINE_H
#define TALLY_TIMELINE_H

#include <stdbool.h>
#include <stdio.h>

#include "logread.h"
#include "symbolize.h"

void timeline_print(FILE *out, const struct logread *lr, struct symbolizer *sym, bool json);

#endif
