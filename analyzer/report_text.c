/*
 * report_text — the report for people: what is still open and who opened
 * it first, then failures, anomalies and how complete the record is.
 */
#include "report.h"
#include "ports.h"
#include "stackfmt.h"

#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* A rate for people: "141860", "12.5", "0.031". */
static void rate_text(double v, char *buf, size_t size)
{
	snprintf(buf, size, v >= 100 ? "%.0f" : v >= 1 ? "%.1f" : "%.2g", v);
}

void report_time(const struct logread *lr, int64_t mono_ns, char *buf, size_t size)
{
	int64_t wall = logread_wall_ns(lr, mono_ns);
	time_t secs = (time_t)(wall / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)((wall / 1000000) % 1000));
}

const char *report_process_state(const struct analysis *a)
{
	switch (a->lr->hdr.exit_state) {
	case TALLY_EXITED: return "exited";
	case TALLY_EXECED: return "exec'd";
	default: return a->running ? "running" : "killed or crashed";
	}
}

/* Writes a string taken from the log (or from debug info) for a person to
 * read: at most max bytes (the size of its field; -1 for a C string), as
 * UTF-8 (a byte that is not becomes U+FFFD), with control characters shown
 * as \xNN (\u00NN for C1), so that a crafted name cannot move the cursor,
 * recolour or retitle the terminal, or forge report lines. */
static void text_string_n(FILE *out, const char *s, gssize max)
{
	size_t len = max < 0 ? strlen(s) : strnlen(s, (size_t)max);
	char *valid = g_utf8_make_valid(s, (gssize)len);

	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", (unsigned)c);
		else if (c >= 0x80 && c <= 0x9f)
			fprintf(out, "\\u%04x", (unsigned)c);
		else
			fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), out);
	}
	g_free(valid);
}

static void text_string(FILE *out, const char *s)
{
	text_string_n(out, s, -1);
}

/* The file name part of a module path ("?" for none). */
static const char *module_base(const char *module)
{
	const char *slash = module ? strrchr(module, '/') : NULL;

	return slash ? slash + 1 : module ? module : "?";
}

static void text_stack(FILE *out, struct symbolizer *sym, const struct logread *lr,
                       uint32_t id, unsigned max_frames, const char *indent)
{
	const char *missing = stackfmt_missing(lr, id);
	GArray *frames;

	if (missing) {
		fprintf(out, "%s(%s)\n", indent, missing);
		return;
	}
	frames = stackfmt_frames(sym, lr, id);
	for (guint i = 0; i < frames->len; i++) {
		const struct tally_frame_info *f = &g_array_index(frames, struct tally_frame_info, i);
		const char *mod = module_base(f->module);

		if (max_frames && i == max_frames) {
			fprintf(out, "%s... %u more frames\n", indent, frames->len - i);
			break;
		}
		fprintf(out, "%s#%-2u ", indent, i);
		if (f->function) {
			text_string(out, f->function);
		} else if (f->func_start) {
			text_string_n(out, mod, TALLY_PATH_MAX);
			fprintf(out, "!fn@0x%" PRIx64, f->func_start);
		} else {
			fputs("??", out);
		}
		if (f->file) {
			fputs(" at ", out);
			text_string(out, f->file);
			fprintf(out, ":%d", f->line);
		}
		fputs(" (", out);
		text_string_n(out, mod, TALLY_PATH_MAX);
		fprintf(out, "+0x%" PRIx64 "%s)\n", f->offset,
		        f->build_id_mismatch ? ", build-id differs from the file on disk" : "");
	}
	stackfmt_frames_free(frames);
}

static void text_ports(FILE *out, const GArray *ports)
{
	uint16_t *copy = g_memdup2(ports->data, ports->len * sizeof(uint16_t));
	struct port_range *ranges = g_new(struct port_range, ports->len + 1);
	size_t n = ports_to_ranges(copy, ports->len, ranges);
	char buf[16];

	if (n == 0)
		fputs("no bound port", out);
	else
		fputs(n == 1 && ranges[0].lo == ranges[0].hi ? "port " : "ports ", out);
	for (size_t i = 0; i < n; i++) {
		ports_format_range(&ranges[i], buf, sizeof(buf));
		fprintf(out, "%s%s", i ? ", " : "", buf);
	}
	g_free(copy);
	g_free(ranges);
}

/* "; 1 listening, 2 accepted, connected to 127.0.0.1:5060". */
static void text_kinds(FILE *out, const struct site *s)
{
	static const char *const names[] = { "listening", "accepted", "dup", "inherited" };
	const unsigned counts[] = { s->listening, s->accepted, s->dups, s->inherited };

	for (unsigned i = 0; i < G_N_ELEMENTS(counts); i++)
		if (counts[i])
			fprintf(out, "; %u %s", counts[i], names[i]);
	if (s->connected) {
		fprintf(out, "; %u connected", s->connected);
		for (guint i = 0; i < s->peers->len && i < 4; i++)
			fprintf(out, "%s%s", i ? ", " : " to ", (const char *)s->peers->pdata[i]);
		if (s->peers->len > 4)
			fputs(", ...", out);
	}
}

static void text_groups(FILE *out, const struct analysis *a, struct symbolizer *sym,
                        const struct report_opts *o)
{
	char first[64], last[64];

	for (guint i = 0; i < a->groups->len; i++) {
		const struct site *s = a->groups->pdata[i];

		if (o->max_groups && i == o->max_groups) {
			fprintf(out, "... %u more groups not shown (of %u; --all shows them)\n",
			        a->groups->len - i, a->groups->len);
			break;
		}
		report_time(a->lr, s->first_ns, first, sizeof(first));
		report_time(a->lr, s->last_ns, last, sizeof(last));
		if (s->mixed)
			fprintf(out, "\n%u open sockets of several kinds", s->open);
		else
			fprintf(out, "\n%u open %s %s socket%s", s->open, stackfmt_family(s->domain),
			        stackfmt_type(s->type), s->open == 1 ? "" : "s");
		if (s->stack_id == TALLY_STACK_INHERITED)
			fputs(" (open when the program started), ", out);
		else
			fprintf(out, " (created here %" PRIu64 ", closed %" PRIu64 "), ", s->created,
			        s->closed);
		text_ports(out, s->ports);
		text_kinds(out, s);
		fprintf(out, "\n  created %s .. %s", first, last);
		double rate = analysis_per_hour(s->open, s->first_ns, a->end_ns);
		if (rate > 0) {
			char r[32];
			rate_text(rate, r, sizeof(r));
			fprintf(out, ", about %s per hour since the first", r);
		}
		fputc('\n', out);
		text_stack(out, sym, a->lr, s->stack_id, o->max_frames, "    ");
	}
}

/* fds as ranges: "fds 3-255" (a close-everything loop reads as one). */
static void text_fds(FILE *out, const GArray *fds, unsigned total)
{
	uint16_t *copy = g_new(uint16_t, fds->len + 1);
	struct port_range *ranges = g_new(struct port_range, fds->len + 1);
	size_t n = 0, shown;
	char buf[16];

	for (guint i = 0; i < fds->len; i++) {
		int fd = g_array_index(fds, int, i);
		if (fd > 0 && fd <= 65535)
			copy[n++] = (uint16_t)fd;
	}
	shown = ports_to_ranges(copy, n, ranges);
	fputs(n == 1 ? "fd " : "fds ", out);
	for (size_t i = 0; i < shown && i < 12; i++) {
		ports_format_range(&ranges[i], buf, sizeof(buf));
		fprintf(out, "%s%s", i ? ", " : "", buf);
	}
	if (shown > 12 || total > fds->len)
		fputs(", ...", out);
	g_free(copy);
	g_free(ranges);
}

/* The innermost frames of a stack on one line: "f (file:line) < g < h". */
static void text_stack_line(FILE *out, struct symbolizer *sym, const struct logread *lr,
                            uint32_t id, unsigned frames_shown)
{
	const char *missing = stackfmt_missing(lr, id);
	GArray *frames;

	if (missing) {
		fprintf(out, "(%s)", missing);
		return;
	}
	frames = stackfmt_frames(sym, lr, id);
	for (guint i = 0; i < frames->len && i < frames_shown; i++) {
		const struct tally_frame_info *f = &g_array_index(frames, struct tally_frame_info, i);

		fputs(i ? " < " : "", out);
		if (f->function) {
			text_string(out, f->function);
		} else {
			/* As in the full stacks: by function start where known. */
			text_string_n(out, module_base(f->module), TALLY_PATH_MAX);
			/* the offset too: two call sites in one function differ there */
			if (f->func_start)
				fprintf(out, "!fn@0x%" PRIx64 " (+0x%" PRIx64 ")", f->func_start, f->offset);
			else
				fprintf(out, "+0x%" PRIx64, f->offset);
		}
		if (f->file) {
			const char *base = strrchr(f->file, '/');
			fputs(" (", out);
			text_string(out, base ? base + 1 : f->file);
			fprintf(out, ":%d)", f->line);
		}
	}
	stackfmt_frames_free(frames);
}

/* Every creation site with its books: the sockets it made and closed. */
static void text_sites(FILE *out, const struct analysis *a, struct symbolizer *sym,
                       unsigned max_sites)
{
	if (!a->sites->len)
		return;
	fputs("\nsocket creation sites (created / closed / open):\n", out);
	for (guint i = 0; i < a->sites->len; i++) {
		const struct site *s = a->sites->pdata[i];

		if (max_sites && i == max_sites) {
			fprintf(out, "  ... %u more sites (--all shows them)\n", a->sites->len - i);
			break;
		}
		fprintf(out, "  %6" PRIu64 " %6" PRIu64 " %6u  ", s->created, s->closed, s->open);
		text_stack_line(out, sym, a->lr, s->stack_id, 3);
		fputc('\n', out);
	}
}

/* "42 seconds", "17 minutes", "5.9 hours", "12.3 days". */
static void duration(double secs, char *buf, size_t size)
{
	if (secs < 120)
		snprintf(buf, size, "%.0f seconds", secs);
	else if (secs < 7200)
		snprintf(buf, size, "%.0f minutes", secs / 60);
	else if (secs < 3 * 86400)
		snprintf(buf, size, "%.1f hours", secs / 3600);
	else
		snprintf(buf, size, "%.1f days", secs / 86400);
}

static void text_budget(FILE *out, const struct analysis *a, const struct port_budget *b)
{
	char first[64], last[64];

	fprintf(out, "\n%s port range %u-%u: open sockets hold %u of its %u ports",
	        b->type == SOCK_STREAM ? "TCP" : "UDP", b->lo, b->hi, b->held, b->size);
	if (b->held && b->held >= b->size) {
		fputs(": none is left (exhausted)", out);
	} else if (b->per_hour > 0) {
		char left[64], r[32];
		report_time(a->lr, b->first_ns, first, sizeof(first));
		duration(b->hours_left * 3600, left, sizeof(left));
		rate_text(b->per_hour, r, sizeof(r));
		fprintf(out, ", taken at about %s per hour since %s;\n  at that rate the range "
		        "is used up in %s", r, first, left);
	} else if (b->held) {
		fputs(" (too short a time to tell a rate)", out);
	}
	(void)last;
	fputs("\n", out);
}

void report_text(FILE *out, const struct analysis *a, struct symbolizer *sym,
                 const struct report_opts *o, const struct port_budget *budget)
{
	const struct logread *lr = a->lr;
	const struct tally_header *h = &lr->hdr;
	char started[64];

	report_time(lr, h->start_mono_ns, started, sizeof(started));
	fputs("tally report: ", out);
	text_string_n(out, lr->path, sizeof(lr->path));
	fprintf(out, "\nprocess %d (", h->pid);
	text_string_n(out, h->exe, sizeof(h->exe));
	fprintf(out, "), %s; started %s\n", report_process_state(a), started);
	const char *verdict = "";
	uint64_t own = a->open - a->inherited_open;
	if (own)
		verdict = h->exit_state == TALLY_EXECED
		          ? " when it exec'd (kept by the new program unless close-on-exec)"
		          : a->running ? " (process still running)" : " at the end: LEAKED";
	fprintf(out, "sockets: %" PRIu64 " created, %" PRIu64 " closed, %" PRIu64 " open%s\n",
	        a->created, a->closed, own, verdict);
	if (a->inherited_open)
		fprintf(out, "  and %" PRIu64 " open that it inherited (at start or from its parent): "
		        "not its leaks\n", a->inherited_open);
	if (h->dropped[TALLY_DROP_STATE_FULL])
		fprintf(out, "  and %" PRIu64 " more socket fds above TALLY_MAX_FDS=%u, not in these "
		        "numbers (raise TALLY_MAX_FDS)\n", h->dropped[TALLY_DROP_STATE_FULL], h->max_fds);
	if (budget)
		text_budget(out, a, budget);
	text_groups(out, a, sym, o);
	text_sites(out, a, sym, o->max_groups);

	if (a->failures->len)
		fputs("\nfailed calls:\n", out);
	for (guint i = 0; i < a->failures->len; i++) {
		const struct failure *f = a->failures->pdata[i];
		fprintf(out, "  %u x %s failed with %s\n", f->count, analysis_call_name(f->kind),
		        stackfmt_errno(f->err));
		text_stack(out, sym, lr, f->stack_id, o->max_frames, "    ");
	}
	if (a->anomalies->len)
		fputs("\nanomalies:\n", out);
	uint64_t recorded = 0;
	for (guint i = 0; i < a->anomalies->len; i++) {
		const struct anomaly *an = a->anomalies->pdata[i];
		if (strcmp(an->kind, "double-close") == 0)
			recorded += an->count;
	}
	if (h->closes_not_open > recorded)
		fprintf(out, "  (%" PRIu64 " closes of fds that were not open in all; the first %" PRIu64
		        " are shown with their stacks)\n", h->closes_not_open, recorded);
	for (guint i = 0; i < a->anomalies->len; i++) {
		const struct anomaly *an = a->anomalies->pdata[i];
		const char *what = strcmp(an->kind, "double-close") == 0
		                   ? "close of an fd that was not open"
		                   : "socket fd reused without a close the shim could see";
		fprintf(out, "  %u x %s (%s), ", an->count, an->kind, what);
		text_fds(out, an->fds, an->count);
		fputc('\n', out);
		if (an->stack_id)
			text_stack(out, sym, lr, an->stack_id, o->max_frames, "    ");
	}

	fprintf(out, "\nevents: %" PRIu64 " recorded", a->events_recorded);
	if (a->dropped)
		fprintf(out, ", %" PRIu64 " DROPPED (event area full: failures and anomalies "
		        "after that are not counted; open sockets are still exact)", a->dropped);
	if (a->events_torn)
		fprintf(out, ", %" PRIu64 " torn or unfinished records skipped", a->events_torn);
	fputc('\n', out);
	if (h->dropped[TALLY_DROP_STACK_FULL] || h->dropped[TALLY_DROP_STATE_FULL] ||
	    h->dropped[TALLY_DROP_NESTED] || h->dropped[TALLY_DROP_MODULE_FULL])
		fprintf(out, "losses: %" PRIu64 " stacks not stored (stack table full), %" PRIu64
		        " socket fds beyond the state table, %" PRIu64 " events without stack "
		        "(raised inside the shim), %" PRIu64 " modules not listed\n",
		        h->dropped[TALLY_DROP_STACK_FULL], h->dropped[TALLY_DROP_STATE_FULL],
		        h->dropped[TALLY_DROP_NESTED], h->dropped[TALLY_DROP_MODULE_FULL]);
}
