/*
 * report_text — the report for people: what is still open and who opened
 * it first, then failures, anomalies and how complete the record is.
 */
#include "report.h"
#include "refbooks.h"
#include "ports.h"
#include "stackfmt.h"

#include <inttypes.h>
#include <limits.h>
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
void report_text_string_n(FILE *out, const char *s, gssize max)
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

static void text_string_n(FILE *out, const char *s, gssize max)
{
	report_text_string_n(out, s, max);
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
		unsigned kept = books_kept_sockets_at(a->books, s->stack_id);
		if (kept)
			fprintf(out, "; %u of them kept for the life of the process (made under a "
			        "lifetime rule's function): no leak", kept);
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
static gint by_int(gconstpointer pa, gconstpointer pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;

	return (a > b) - (a < b);
}

static void text_fds(FILE *out, const GArray *fds, unsigned total)
{
	/* Any int: fd 0, and -1 or 999 for a close of an fd never open. */
	int *sorted = g_new(int, fds->len + 1);
	unsigned n = fds->len, shown = 0;

	memcpy(sorted, fds->data, n * sizeof(int));
	qsort(sorted, n, sizeof(int), by_int);
	fputs(n == 1 ? "fd " : "fds ", out);
	for (unsigned i = 0; i < n && shown < 12;) {
		unsigned last = i;
		while (last + 1 < n && (int64_t)sorted[last + 1] - sorted[last] <= 1)
			last++;
		if (sorted[last] == sorted[i])
			fprintf(out, "%s%d", shown ? ", " : "", sorted[i]);
		else
			fprintf(out, "%s%d-%d", shown ? ", " : "", sorted[i], sorted[last]);
		shown++;
		i = last + 1;
		if (shown == 12 && i < n)
			total = n + 1;   /* more ranges than shown */
	}
	if (total > n)
		fputs(", ...", out);
	g_free(sorted);
}

/* One frame, short: "f (file.c:12)", "libx.so!fn@0x1230 (+0x1234)". */
static void text_frame_short(FILE *out, const struct tally_frame_info *f)
{
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

/* The innermost frames of a stack on one line: "f (file:line) < g < h". */
void report_text_stack_line(FILE *out, struct symbolizer *sym, const struct logread *lr,
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
		fputs(i ? " < " : "", out);
		text_frame_short(out, &g_array_index(frames, struct tally_frame_info, i));
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
		report_text_stack_line(out, sym, a->lr, s->stack_id, 3);
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

/* ---- reference counts ------------------------------------------------------ */

/* A tree node or verdict function: its name, or why it has none. */
static void text_node_name(FILE *out, const struct logread *lr, const struct bal_node *n,
                           const struct tally_frame_info *f)
{
	const char *missing = books_node_missing(lr, n);

	if (missing) {
		fprintf(out, "(%s)", missing);
	} else if (f->function) {
		text_string(out, f->function);
	} else {
		text_string_n(out, module_base(f->module), TALLY_PATH_MAX);
		if (f->func_start)
			fprintf(out, "!fn@0x%" PRIx64, f->func_start);
		else
			fprintf(out, "+0x%" PRIx64, f->offset);
	}
}

/* Whether the candidate's call lies in a function other than the verdict's
 * own (the verdict stopped at a caller of both candidate sites). */
static bool in_other_function(const struct book_verdict *bv, const struct tally_frame_info *c)
{
	return c->function && (!bv->function.function ||
	                       strcmp(c->function, bv->function.function) != 0);
}

/* "examples/relay.c:66, :67": a verdict's increment sites, the file named
 * once for a run of sites in it; a site in another function than the
 * verdict's is named with it ("keep_a_buffer_ref at x.c:31"). */
static void text_candidates(FILE *out, const struct book_verdict *bv)
{
	const char *file = NULL;
	int line = 0;
	unsigned shown = 0;

	for (guint i = 0; i < bv->candidates->len; i++) {
		const struct tally_frame_info *f = &g_array_index(bv->candidates,
		                                                  struct tally_frame_info, i);
		bool same = f->file && file && strcmp(f->file, file) == 0;
		if (same && f->line == line)
			continue;   /* two calls on one line */
		if (shown == 8) {
			fputs(", ...", out);
			break;
		}
		fputs(shown++ ? ", " : "", out);
		if (in_other_function(bv, f)) {
			text_string(out, f->function);
			fputs(" at ", out);
		}
		if (f->file) {
			if (!same)
				text_string(out, f->file);
			fprintf(out, ":%d", f->line);
		} else {
			text_string_n(out, module_base(f->module), TALLY_PATH_MAX);
			fprintf(out, "+0x%" PRIx64, f->offset);
		}
		file = f->file;
		line = f->line;
	}
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* "relay_packet_take_refs (examples/relay.c:66, :67) takes 2 references for
 * each 1 dropped (relay_hand_on): +100 in 5 of 5 leaked gw_publisher". */
static void text_verdict(FILE *out, const struct books *b, const struct book_verdict *bv)
{
	const struct bal_verdict *v = bv->v;
	int64_t taken = v->taken, dropped = v->dropped;

	fputs("  ", out);
	text_node_name(out, b->a->lr, v->fn, &bv->function);
	fputs(" (", out);
	text_candidates(out, bv);
	fputc(')', out);
	if (bv->reached_from.file) {
		fputs(", reached from ", out);
		text_string(out, bv->reached_from.function ? bv->reached_from.function : "?");
		fputs(" at ", out);
		text_string(out, bv->reached_from.file);
		fprintf(out, ":%d,", bv->reached_from.line);
	}
	if (!dropped) {
		fprintf(out, " takes %" PRId64 " reference%s never given back", taken,
		        taken == 1 ? "" : "s");
	} else {
		int64_t g = gcd64(taken, dropped);
		if (g > 0 && taken / g <= 10 && dropped / g <= 10)
			fprintf(out, " takes %" PRId64 " reference%s for each %" PRId64 " dropped (",
			        taken / g, taken / g == 1 ? "" : "s", dropped / g);
		else
			fprintf(out, " takes %" PRId64 " references, %" PRId64 " dropped (", taken,
			        dropped);
		text_string(out, bv->dropped_by ? bv->dropped_by : "?");
		fputc(')', out);
	}
	fprintf(out, ": %+" PRId64 " in %u of %u %s ", v->net, v->objects, bv->group->live,
	        b->discount_owner ? "live" : "leaked");
	text_string_n(out, bv->group->type->t.name, sizeof(bv->group->type->t.name));
	if (v->elsewhere >= v->net) {
		fputs("; as many are given back on another path with no increment there (", out);
		text_string(out, bv->handed_to ? bv->handed_to : "?");
		fputs("): handed over, not leaked", out);
	} else if (v->elsewhere) {
		fprintf(out, "; but %" PRId64 " are given back elsewhere with no increment there (",
		        v->elsewhere);
		text_string(out, bv->handed_to ? bv->handed_to : "?");
		fputs("): maybe handed over, not leaked", out);
	}
	if (books_maybe_in_flight(b, v))
		fputs("; but the process did not exit: one reference per object may be a call "
		      "still in flight, not a leak", out);
	if (bv->group->unstacked) {
		/* Their matching references may be among those: the sites
		 * named may have been given back in full. */
		fprintf(out, "; uncertain: %" PRId64 " reference%s of %u of these objects %s booked "
		        "without a stack (more call stacks than an object's %u cells), and where "
		        "those were taken or given back is not known",
		        bv->group->unstacked, bv->group->unstacked == 1 ? "" : "s",
		        bv->group->unstacked_objects, bv->group->unstacked == 1 ? "was" : "were",
		        TALLY_OBJ_CELLS);
	}
	fputc('\n', out);
}

/* Printing one balance tree within a line budget. */
struct tree_text {
	FILE *out;
	const struct books *b;
	const struct book_group *g;
	struct symbolizer *sym;
	unsigned lines, max_lines;     /* printed; budget (0: all) */
	unsigned hidden;               /* nodes past the budget */
};

static unsigned subtree_nodes(const struct bal_node *n)
{
	unsigned count = 1;

	for (guint i = 0; n->children && i < n->children->len; i++)
		count += subtree_nodes(n->children->pdata[i]);
	return count;
}

/* What the verdicts of the group say of node n: where increments and
 * decrements meet (n is a call: they meet in the function it called), or
 * an increment site. */
static void tree_mark(const struct tree_text *tt, const struct bal_node *n)
{
	for (guint i = 0; i < tt->b->verdicts->len; i++) {
		const struct book_verdict *bv = tt->b->verdicts->pdata[i];
		if (bv->group != tt->g)
			continue;
		if (bv->v->stop == n && n->children && bv->v->drops->len) {
			const struct bal_node *in = n->children->pdata[0];
			struct tally_frame_info fi;
			books_node_frame(tt->sym, in, &fi);
			fputs("  <== imbalance: increments and decrements meet in ", tt->out);
			text_node_name(tt->out, tt->b->a->lr, in, &fi);
			symbolizer_frame_clear(&fi);
			return;
		}
		for (guint k = 0; k < bv->v->candidates->len; k++)
			if (bv->v->candidates->pdata[k] == n) {
				fputs("  <== increment not given back", tt->out);
				return;
			}
	}
	for (guint i = 0; i < tt->b->handovers->len; i++) {
		const struct book_verdict *bv = tt->b->handovers->pdata[i];
		if (bv->group != tt->g)
			continue;
		for (guint k = 0; k < bv->v->candidates->len; k++)
			if (bv->v->candidates->pdata[k] == n) {
				fputs("  <== handed over, given back in ", tt->out);
				text_string(tt->out, bv->handed_to ? bv->handed_to : "?");
				return;
			}
	}
}

/* n and what lies under it.  A chain (one child) keeps its indent; the
 * children of a fork go one step in. */
static void text_tree_node(struct tree_text *tt, const struct bal_node *n, unsigned indent)
{
	struct tally_frame_info fi;

	if (tt->max_lines && tt->lines >= tt->max_lines) {
		tt->hidden += subtree_nodes(n);
		return;
	}
	tt->lines++;
	fprintf(tt->out, "      %+8" PRId64 " %5u  %*s", n->net, n->objects, (int)indent, "");
	books_node_frame(tt->sym, n, &fi);
	if (books_node_missing(tt->b->a->lr, n))
		text_node_name(tt->out, tt->b->a->lr, n, &fi);
	else
		text_frame_short(tt->out, &fi);
	symbolizer_frame_clear(&fi);
	if (n->self && n->children)
		fprintf(tt->out, " [%+" PRId64 " here]", n->self);
	tree_mark(tt, n);
	fputc('\n', tt->out);
	unsigned step = n->children && n->children->len > 1 ? 2 : 0;
	for (guint i = 0; n->children && i < n->children->len; i++)
		text_tree_node(tt, n->children->pdata[i], indent + step);
}

static void text_tree(FILE *out, const struct books *b, const struct book_group *g,
                      struct symbolizer *sym, const struct report_opts *o)
{
	struct tree_text tt = { out, b, g, sym, 0, o->max_frames ? 40 : 0, 0 };
	const struct bal_node *n = g->tree->root;
	unsigned chain = 0, skip = 0;

	fputs("    references still held, merged from the outermost frame (net, objects):\n", out);
	/* The frames every path shares (thread start, main loop) say little:
	 * the last three of them are enough to place the rest. */
	for (const struct bal_node *c = n; c->children && c->children->len == 1 && !c->self;
	     c = c->children->pdata[0])
		chain++;
	if (o->max_frames && chain > 4)
		skip = chain - 3;
	if (skip)
		fprintf(out, "      %+8" PRId64 " %5u  ... %u outer frames\n", n->net, n->objects, skip);
	for (unsigned i = 0; i < skip; i++)
		n = n->children->pdata[0];
	for (guint i = 0; n->children && i < n->children->len; i++)
		text_tree_node(&tt, n->children->pdata[i], n->children->len > 1 ? 2 : 0);
	if (tt.hidden)
		fprintf(out, "      ... %u more nodes (--all shows them)\n", tt.hidden);
}

static void text_links(FILE *out, const struct analysis *a, const struct book_group *g)
{
	for (guint i = 0; i < g->links->len; i++) {
		const struct book_link *l = g->links->pdata[i];
		const struct site *s = a->groups->pdata[l->group];

		fprintf(out, "    probably held by %u of the %u open ", l->fds->len, s->open);
		if (s->mixed)
			fputs("sockets (of several kinds)", out);
		else
			fprintf(out, "%s %s sockets", stackfmt_family(s->domain), stackfmt_type(s->type));
		fprintf(out, " of socket group %u (", l->group + 1);
		text_fds(out, l->fds, l->fds->len);
		fputs(", ", out);
		text_ports(out, l->ports);
		fputs("): ", out);
		text_string(out, l->reason);
		fputc('\n', out);
	}
}

static void text_group(FILE *out, const struct books *b, const struct book_group *g,
                       struct symbolizer *sym, const struct report_opts *o)
{
	const struct logread *lr = b->a->lr;
	char first[64], last[64];

	report_time(lr, g->first_ns, first, sizeof(first));
	report_time(lr, g->last_ns, last, sizeof(last));
	fprintf(out, "\n  %u alive (created here %" PRIu64 ", freed %" PRIu64 "), %u leaked; "
	        "created %s .. %s\n", g->live, g->created, g->freed, g->leaked, first, last);
	if (g->global)
		fprintf(out, "    %u of them still reachable at exit (from a global variable, directly "
		        "or through heap memory): their starting references presumed held there\n",
		        g->global);
	else if (g->running)
		fprintf(out, "    %u of them still running at exit (the thread's own reference not "
		        "dropped as a thread ends): presumed held by the running thread\n",
		        g->running);
	else if (g->owner_discounted)
		fprintf(out, "    the starting references of %u of them discounted: presumed held by "
		        "their owners\n", g->owner_discounted);
	for (guint i = 0; i < g->owned_by->len; i++) {
		const struct book_owned *w = &g_array_index(g->owned_by, struct book_owned, i);
		fprintf(out, "    %+" PRId64 " held by live owners, not counted: taken in the creation "
		        "of the %u live ", w->refs, w->alive);
		if (w->type < lr->hdr.types_used && w->type < lr->hdr.max_types)
			text_string_n(out, lr->types[w->type].name, sizeof(lr->types[0].name));
		fputs(" made at ", out);
		report_text_stack_line(out, sym, lr, w->stack_id, 3);
		fputc('\n', out);
	}
	if (g->for_life)
		fprintf(out, "    %+" PRId64 " taken under a function a lifetime rule names, not "
		        "counted: held for the life of the process\n", g->for_life);
	if (!g->leaked) {
		fputs(g->owned_by->len || g->for_life ? "    nothing else held; created at "
		                       : "    references balanced; created at ", out);
		report_text_stack_line(out, sym, lr, g->stack_id, 3);
		fputc('\n', out);
		return;
	}
	text_stack(out, sym, lr, g->stack_id, o->max_frames, "      ");
	if (g->tree)
		text_tree(out, b, g, sym, o);
	else
		fputs("    (no balance tree: the report's node budget was spent on other groups)\n",
		      out);
	text_links(out, b->a, g);
}

static void text_types(FILE *out, const struct books *b, struct symbolizer *sym,
                       const struct report_opts *o)
{
	unsigned shown = 0, total = 0;

	for (guint i = 0; i < b->types->len; i++) {
		const struct book_type *t = b->types->pdata[i];
		char *trust = books_trust(t);

		total += t->groups->len;
		fputc('\n', out);
		text_string_n(out, t->t.name, sizeof(t->t.name));
		fprintf(out, ": %" PRIu64 " created, %" PRIu64 " freed, %u alive at the end, ",
		        t->t.created, t->t.freed, t->live + t->kept + t->inherited);
		if (t->inherited)
			fprintf(out, "%u of them inherited from its parent at fork (the parent's: "
			        "not its leaks), ", t->inherited);
		if (t->kept)
			fprintf(out, "%u of them kept on purpose for the life of the process (its "
			        "kept_if or lifetime rule), ", t->kept);
		fprintf(out, "%u leaked; ", t->leaked);
		text_string(out, trust);
		fputc('\n', out);
		g_free(trust);
		for (guint k = 0; k < t->groups->len; k++) {
			if (o->max_groups && shown == o->max_groups)
				break;
			text_group(out, b, t->groups->pdata[k], sym, o);
			shown++;
		}
	}
	if (shown < total)
		fprintf(out, "\n... %u more object groups not shown (of %u; --all shows them)\n",
		        total - shown, total);
}

static void text_violations(FILE *out, const struct books *b, struct symbolizer *sym,
                            const struct report_opts *o)
{
	uint64_t tallied = 0;

	if (!b->violations_total && !b->violations->len)
		return;
	for (guint i = 0; i < b->violations->len; i++)
		tallied += ((const struct book_violation *)b->violations->pdata[i])->count;
	fprintf(out, "\nreference violations: %" PRIu64 " in all (enforcement: %s)", b->violations_total,
	        b->a->lr->hdr.enforce == TALLY_ENFORCE_ABORT ? "abort when certain" : "log");
	if (tallied < b->violations_total)
		fprintf(out, "; %" PRIu64 " are shown (tallies table full)", tallied);
	fputs(":\n", out);
	for (guint i = 0; i < b->violations->len; i++) {
		const struct book_violation *v = b->violations->pdata[i];
		fprintf(out, "  %" PRIu64 " x %s", v->count, books_violation_name(v->kind));
		if (v->type >= 0 && (unsigned)v->type < b->a->lr->hdr.types_used &&
		    (unsigned)v->type < b->a->lr->hdr.max_types) {
			fputs(" of ", out);
			text_string_n(out, b->a->lr->types[v->type].name, sizeof(b->a->lr->types[0].name));
		}
		fputs(v->certain ? ", certain" : ", not certain (the type's books are incomplete)", out);
		if (v->fds->len) {
			fputs(", ", out);
			text_fds(out, v->fds, v->count > UINT_MAX ? UINT_MAX : (unsigned)v->count);
		}
		fputc('\n', out);
		text_stack(out, sym, b->a->lr, v->stack_id, o->max_frames, "    ");
	}
}

static void text_rules(FILE *out, const struct books *b)
{
	const struct logread *lr = b->a->lr;

	if (!b->rules->len)
		return;
	fputs("\nreference rules (role, type: calls seen; GOT entries redirected, function entries "
	      "patched):\n", out);
	for (guint i = 0; i < b->rules->len; i++) {
		const struct tally_rule *r = &g_array_index(b->rules, struct tally_rule, i);
		const char *type = (r->flags & TALLY_RULEF_ANY_TYPE) ? "*"
		                   : r->type < lr->hdr.types_used && r->type < lr->hdr.max_types
		                   ? lr->types[r->type].name : "?";
		fputs("  ", out);
		text_string_n(out, r->function, sizeof(r->function));
		fprintf(out, " (%s ", books_role_name(r->role));
		text_string_n(out, type, sizeof(lr->types[0].name));
		fprintf(out, "): %" PRIu64 " call%s; %u GOT entr%s, %u entr%s\n", r->calls,
		        r->calls == 1 ? "" : "s", r->got_sites, r->got_sites == 1 ? "y" : "ies",
		        r->entries, r->entries == 1 ? "y" : "ies");
	}
	for (guint i = 0; i < b->rules->len; i++) {
		const struct tally_rule *r = &g_array_index(b->rules, struct tally_rule, i);
		if ((r->flags & TALLY_RULEF_FOUND && !(r->flags & TALLY_RULEF_ENTRY_FAILED)) ||
		    r->role == TALLY_ROLE_LIFETIME)   /* never hooked */
			continue;
		fputs("  warning: ", out);
		text_string_n(out, r->function, sizeof(r->function));
		fputs(r->flags & TALLY_RULEF_FOUND
		      ? ": its entry could not be patched: only calls through the GOT are seen\n"
		      : ": not found in the process: its calls are not seen\n", out);
	}
}

/* The objects: the policy, the verdicts, then each type and its groups. */
static void text_objects(FILE *out, const struct books *b, struct symbolizer *sym,
                         const struct report_opts *o)
{
	unsigned alive = b->live + b->kept + b->inherited;
	bool running = b->a->running;
	fprintf(out, "\nreference counts: %u object%s alive %s", alive, alive == 1 ? "" : "s",
	        running ? "now" : "at the end");
	if (b->kept)
		fprintf(out, " (%u kept on purpose for the life of the process)", b->kept);
	if (b->inherited)
		fprintf(out, " (%u inherited from its parent at fork: not its leaks)", b->inherited);
	fprintf(out, ", %u %s (%s)\n", b->leaked,
	        running ? "holding more than their owner's reference" : "leaked",
	        !b->discount_owner
	        ? "the process exited normally: every reference still held is a leak, the "
	          "creation reference included"
	        : b->a->running
	        ? "the process is still running: each live object's creation reference is "
	          "presumed held by its owner and discounted"
	        : tally_exited_failing(&b->a->lr->hdr)
	        ? "the process exited on an error (a status other than 0): each live object's "
	          "creation reference is presumed held by its owner and discounted"
	        : "the process did not exit normally: each live object's creation reference is "
	          "presumed held by its owner and discounted");
	const struct tally_header *h = &b->a->lr->hdr;
	if (!b->discount_owner && (h->reach_flags & TALLY_REACHF_OFF))
		fputs("  (still reachable: only objects a global variable points at directly were "
		      "found; the walk through heap memory was off: TALLY_REACH_MAX=0)\n", out);
	else if (!b->discount_owner && (h->reach_flags & TALLY_REACHF_ROOTS_ONLY))
		fputs("  (still reachable: only objects a global variable points at directly were "
		      "found; the walk through heap memory could not run)\n", out);
	else if (!b->discount_owner && (h->reach_flags & TALLY_REACHF_CUT))
		fprintf(out, "  (still reachable: the walk from the globals stopped at its limits after "
		        "%" PRIu64 " heap blocks; objects reachable only beyond them count as "
		        "leaked)\n", h->reach_blocks);
	if (b->verdicts->len)
		fputs(running ? "\nreferences held now beyond their owners', largest first (the "
		                "process runs: not a leak until they outlive their use):\n"
		              : "\nleaks, largest first:\n", out);
	for (guint i = 0; i < b->verdicts->len; i++) {
		if (o->max_groups && i == o->max_groups) {
			fprintf(out, "  ... %u more (--all shows them)\n", b->verdicts->len - i);
			break;
		}
		text_verdict(out, b, b->verdicts->pdata[i]);
	}
	if (b->handovers->len)
		fputs("\nreferences handed over (taken on one path, given back on another; not "
		      "leaks):\n", out);
	for (guint i = 0; i < b->handovers->len; i++) {
		if (o->max_groups && i == o->max_groups) {
			fprintf(out, "  ... %u more (--all shows them)\n", b->handovers->len - i);
			break;
		}
		text_verdict(out, b, b->handovers->pdata[i]);
	}
	if (b->cut_cells && b->verdicts->len)
		fprintf(out, "  (%" PRIu64 " references held by live objects have stacks that reached "
		        "TALLY_DEPTH=%u: their outermost frames are missing, and a verdict may join "
		        "paths that differ only there; run again with a larger --depth)\n",
		        b->cut_cells, b->a->lr->hdr.depth);
	if (b->trees_skipped || b->cells_dropped)
		fprintf(out, "  (incomplete: %u groups without a balance tree, %" PRIu64 " references "
		        "not merged: the report's node budget was spent)\n", b->trees_skipped,
		        b->cells_dropped);
	text_types(out, b, sym, o);
}

/* The last lines of the report: the leak in one sentence, and the ports
 * the leaked objects probably hold.  What an operator reads first. */
static void text_in_short(FILE *out, const struct books *b)
{
	const struct book_verdict *top = NULL;

	for (guint i = 0; b && i < b->verdicts->len && !top; i++) {
		const struct book_verdict *bv = b->verdicts->pdata[i];
		if (!bv->v->elsewhere)
			top = bv;
	}
	if (!top)
		return;
	fputs(b->a->running ? "\nin short, the leak if these are never given back (the process "
	                      "is still running):\n"
	                    : "\nin short, the leak:\n", out);
	text_verdict(out, b, top);
	unsigned sockets = 0;
	GArray *ports = g_array_new(FALSE, FALSE, sizeof(uint16_t));
	for (guint i = 0; i < top->group->links->len; i++) {
		const struct book_link *l = top->group->links->pdata[i];
		sockets += l->fds->len;
		g_array_append_vals(ports, l->ports->data, l->ports->len);
	}
	if (sockets) {
		fprintf(out, "  which probably keeps %u socket%s open, ", sockets, sockets == 1 ? "" : "s");
		text_ports(out, ports);
		fputc('\n', out);
	}
	g_array_free(ports, TRUE);
}

/* The reference-count part: objects (when there are rules), violations,
 * and how much each rule saw.  Nothing for a log without. */
static void text_books(FILE *out, const struct analysis *a, struct symbolizer *sym,
                       const struct report_opts *o)
{
	const struct books *b = a->books;

	if (!b || !books_any(b))
		return;
	if (b->types->len)
		text_objects(out, b, sym, o);
	text_violations(out, b, sym, o);
	text_rules(out, b);
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
	fprintf(out, "), %s", report_process_state(a));
	if (h->exit_state == TALLY_EXITED && (h->exit_flags & TALLY_EXITF_STATUS))
		fprintf(out, " with status %d", h->exit_status & 0xff);
	fprintf(out, "; started %s\n", started);
	const char *verdict = "";
	uint64_t kept = a->books ? a->books->kept_sockets : 0;
	uint64_t own = a->open - a->inherited_open - kept;
	if (own)
		verdict = h->exit_state == TALLY_EXECED
		          ? " when it exec'd (kept by the new program unless close-on-exec)"
		          : a->running ? " (process still running)"
		          : tally_exited_failing(h) ? " at the end (it exited on an error: not "
		                                      "counted as leaked)"
		          : " at the end: LEAKED";
	fprintf(out, "sockets: %" PRIu64 " created, %" PRIu64 " closed, %" PRIu64 " open%s", a->created,
	        a->closed, own, verdict);
	if (kept)
		fprintf(out, " (and %" PRIu64 " kept open for the life of the process: made under "
		        "a lifetime rule's function)", kept);
	fputc('\n', out);
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
	text_books(out, a, sym, o);

	if (a->failures->len)
		fputs("\nfailed calls:\n", out);
	for (guint i = 0; i < a->failures->len; i++) {
		const struct failure *f = a->failures->pdata[i];
		fprintf(out, "  %" PRIu64 " x %s failed with %s\n", f->count, analysis_call_name(f->kind),
		        stackfmt_errno(f->err));
		text_stack(out, sym, lr, f->stack_id, o->max_frames, "    ");
	}
	if (a->anomalies->len)
		fputs("\nanomalies:\n", out);
	for (guint i = 0; i < a->anomalies->len; i++) {
		const struct anomaly *an = a->anomalies->pdata[i];
		/* "double-close" (the JSON's kind) also covers an fd never open. */
		if (strcmp(an->kind, "double-close") == 0)
			fprintf(out, "  %" PRIu64 " x close of an fd that was not open (double-close: "
			        "closed before, or never opened)", an->count);
		else
			fprintf(out, "  %" PRIu64 " x %s (socket fd reused without a close the shim "
			        "could see)", an->count, an->kind);
		if (an->fds->len) {
			fputs(", ", out);
			text_fds(out, an->fds, an->count > UINT_MAX ? UINT_MAX : (unsigned)an->count);
		}
		if (!an->stack_id && strcmp(an->kind, "double-close") == 0)
			fputs(", stacks not taken (past the first 1024 such closes: a program "
			      "closing every fd)", out);
		fputc('\n', out);
		if (an->stack_id)
			text_stack(out, sym, lr, an->stack_id, o->max_frames, "    ");
	}
	if (a->tallies_lost)
		fprintf(out, "  and %" PRIu64 " failed calls or anomalies not counted above (tallies "
		        "table full)\n", a->tallies_lost);

	fprintf(out, "\nevents: %" PRIu64 " recorded", a->events_recorded);
	if (a->event_runs)
		fprintf(out, " (%" PRIu64 " of them runs of %" PRIu64 " reference calls)",
		        a->event_runs, a->run_calls);
	if (a->dropped)
		fprintf(out, ", %" PRIu64 " DROPPED (event area full: the timeline ends there; open "
		        "sockets, failed calls, anomalies and books are still exact)", a->dropped);
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
	text_in_short(out, a->books);
}
