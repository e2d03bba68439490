/*
 * report — the analysis of one log, as text for people or JSON for tools.
 * The JSON shape is documented in docs/REPORT.md; it only grows.
 */
#ifndef TALLY_REPORT_H
#define TALLY_REPORT_H

#include <stdio.h>

#include "analysis.h"
#include "symbolize.h"

struct report_opts {
	unsigned max_groups;     /* groups shown in text (0 = all) */
	unsigned max_frames;     /* frames shown per stack in text (0 = all) */
};

/* budget may be NULL (no --port-range). */
void report_text(FILE *out, const struct analysis *a, struct symbolizer *sym,
                 const struct report_opts *opts, const struct port_budget *budget);
void report_json(FILE *out, const struct analysis *a, struct symbolizer *sym,
                 const struct port_budget *budget);

/* Wall-clock time of a monotonic log timestamp, "2026-11-25T04:30:01.123Z". */
void report_time(const struct logread *lr, int64_t mono_ns, char *buf, size_t size);

/* How the process stands: "running", "exited", "exec'd", "killed or crashed". */
const char *report_process_state(const struct analysis *a);

/* Shared with the timeline (timeline.h).  A string from the log or from
 * debug info, at most max bytes (-1: a C string), made safe for a terminal
 * (report_text.c) or as a JSON string, null for NULL (report_json.c). */
void report_text_string_n(FILE *out, const char *s, gssize max);
void report_json_string_n(FILE *out, const char *s, gssize max);
/* The innermost frames_shown frames of stack id on one line:
 * "f (file:line) < g (file:line)". */
void report_text_stack_line(FILE *out, struct symbolizer *sym, const struct logread *lr,
                            uint32_t id, unsigned frames_shown);
/* A frame's JSON fields: "function":…,"file":…,"line":…,"module":…,… */
void report_json_frame_fields(FILE *out, const struct tally_frame_info *f);

#endif
