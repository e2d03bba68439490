/*
 * report_json — the machine-readable report (docs/REPORT.md).
 */
#include "report.h"
#include "refbooks.h"
#include "ports.h"
#include "stackfmt.h"

#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

/* Writes s as a JSON string, or null for NULL.  At most max bytes are read
 * (the size of the log field it comes from; -1 for a C string we made):
 * the log is untrusted, so a field may lack its NUL, hold bytes that are
 * not UTF-8 (each becomes U+FFFD, so that the document stays valid JSON
 * for every parser), or control characters (escaped, DEL and the C1 range
 * too, so that printing the JSON cannot drive a terminal). */
void report_json_string_n(FILE *out, const char *s, gssize max)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	size_t len = max < 0 ? strlen(s) : strnlen(s, (size_t)max);
	char *valid = g_utf8_make_valid(s, (gssize)len);

	fputc('"', out);
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
				fprintf(out, "\\u%04x", (unsigned)c);
			else
				fwrite(p, 1, (size_t)(g_utf8_next_char(p) - p), out);
		}
	}
	fputc('"', out);
	g_free(valid);
}

/* A string the analyzer made, or one already bounded by its owner. */
static void json_string_n(FILE *out, const char *s, gssize max)
{
	report_json_string_n(out, s, max);
}

static void json_string(FILE *out, const char *s)
{
	json_string_n(out, s, -1);
}

static void json_time(FILE *out, const struct logread *lr, int64_t mono_ns)
{
	char buf[64];
	report_time(lr, mono_ns, buf, sizeof(buf));
	json_string(out, buf);
}

/* The frame fields of a stack entry, for one symbolized frame (no braces). */
void report_json_frame_fields(FILE *out, const struct tally_frame_info *f)
{
	fputs("\"function\":", out);
	json_string(out, f->function);
	fputs(",\"file\":", out);
	json_string(out, f->file);
	if (f->line)
		fprintf(out, ",\"line\":%d", f->line);
	else
		fputs(",\"line\":null", out);
	fputs(",\"module\":", out);
	json_string_n(out, f->module, TALLY_PATH_MAX);
	fprintf(out, ",\"offset\":\"0x%" PRIx64 "\"", f->offset);
	if (f->func_start)
		fprintf(out, ",\"function_start\":\"0x%" PRIx64 "\"", f->func_start);
	if (f->build_id_mismatch)
		fputs(",\"build_id_mismatch\":true", out);
}

static void json_stack(FILE *out, struct symbolizer *sym, const struct logread *lr, uint32_t id)
{
	GArray *frames = stackfmt_frames(sym, lr, id);

	fputs("[", out);
	for (guint i = 0; i < frames->len; i++) {
		const struct tally_frame_info *f = &g_array_index(frames, struct tally_frame_info, i);
		fputs(i ? ",{" : "{", out);
		report_json_frame_fields(out, f);
		fputs("}", out);
	}
	fputs("]", out);
	stackfmt_frames_free(frames);
	const char *missing = stackfmt_missing(lr, id);
	if (missing) {
		fputs(",\"stack_missing\":", out);
		json_string(out, missing);
	}
}

static void json_ports(FILE *out, const GArray *ports)
{
	uint16_t *copy = g_memdup2(ports->data, ports->len * sizeof(uint16_t));
	struct port_range *ranges = g_new(struct port_range, ports->len + 1);
	size_t n = ports_to_ranges(copy, ports->len, ranges);

	fputs("[", out);
	for (size_t i = 0; i < n; i++) {
		if (ranges[i].lo == ranges[i].hi)
			fprintf(out, "%s%u", i ? "," : "", ranges[i].lo);
		else
			fprintf(out, "%s\"%u-%u\"", i ? "," : "", ranges[i].lo, ranges[i].hi);
	}
	fputs("]", out);
	g_free(copy);
	g_free(ranges);
}

static void json_ints(FILE *out, const GArray *ints)
{
	fputs("[", out);
	for (guint i = 0; i < ints->len; i++)
		fprintf(out, "%s%d", i ? "," : "", g_array_index(ints, int, i));
	fputs("]", out);
}

static void json_site(FILE *out, const struct analysis *a, struct symbolizer *sym,
                      const struct site *s)
{
	fprintf(out, "{\"open\":%u,\"created\":%" PRIu64 ",\"closed\":%" PRIu64 ",\"kept\":%u",
	        s->open, s->created, s->closed, books_kept_sockets_at(a->books, s->stack_id));
	if (s->open) {
		/* "mixed" when one stack made sockets of several kinds. */
		fputs(",\"family\":", out);
		json_string(out, s->mixed ? "mixed" : stackfmt_family(s->domain));
		fputs(",\"type\":", out);
		json_string(out, s->mixed ? "mixed" : stackfmt_type(s->type));
		fputs(",\"ports\":", out);
		json_ports(out, s->ports);
		fputs(",\"fds\":", out);
		json_ints(out, s->fds);
		fprintf(out, ",\"listening\":%u,\"accepted\":%u,\"connected\":%u,\"dups\":%u,"
		        "\"inherited\":%u,\"peers\":[", s->listening, s->accepted, s->connected,
		        s->dups, s->inherited);
		for (guint i = 0; i < s->peers->len; i++) {
			fputs(i ? "," : "", out);
			json_string(out, s->peers->pdata[i]);
		}
		fputs("]", out);
		fputs(",\"first\":", out);
		json_time(out, a->lr, s->first_ns);
		fputs(",\"last\":", out);
		json_time(out, a->lr, s->last_ns);
		double rate = analysis_per_hour(s->open, s->first_ns, a->end_ns);
		if (rate > 0)
			fprintf(out, ",\"per_hour\":%.6g", rate);
		else
			fputs(",\"per_hour\":null", out);
	}
	fputs(",\"stack\":", out);
	json_stack(out, sym, a->lr, s->stack_id);
	fputs("}", out);
}

static void json_budget(FILE *out, const struct analysis *a, const struct port_budget *b)
{
	fprintf(out, ",\"port_range\":{\"lo\":%u,\"hi\":%u,\"protocol\":\"%s\",\"size\":%u,"
	        "\"held\":%u", b->lo, b->hi, b->type == SOCK_STREAM ? "tcp" : "udp", b->size, b->held);
	if (b->held) {
		fputs(",\"first\":", out);
		json_time(out, a->lr, b->first_ns);
		fputs(",\"last\":", out);
		json_time(out, a->lr, b->last_ns);
	}
	if (b->per_hour > 0)
		fprintf(out, ",\"per_hour\":%.6g", b->per_hour);
	else
		fputs(",\"per_hour\":null", out);
	if (b->hours_left >= 0)
		fprintf(out, ",\"hours_to_exhaustion\":%.6g}", b->hours_left);
	else
		fputs(",\"hours_to_exhaustion\":null}", out);
}

/* ---- reference counts ------------------------------------------------------ */


static bool verdict_has(const struct books *b, const struct book_group *g,
                        const struct bal_node *n, bool stop)
{
	for (guint i = 0; i < b->verdicts->len; i++) {
		const struct book_verdict *bv = b->verdicts->pdata[i];
		if (bv->group != g)
			continue;
		if (stop && bv->v->stop == n)
			return true;
		for (guint k = 0; !stop && k < bv->v->candidates->len; k++)
			if (bv->v->candidates->pdata[k] == n)
				return true;
	}
	return false;
}

static void json_tree_node(FILE *out, const struct books *b, const struct book_group *g,
                           struct symbolizer *sym, const struct bal_node *n)
{
	fputs("{", out);
	if (!n->parent) {
		fputs("\"root\":true", out);
	} else {
		const char *missing = books_node_missing(b->a->lr, n);
		struct tally_frame_info fi;
		books_node_frame(sym, n, &fi);
		report_json_frame_fields(out, &fi);
		symbolizer_frame_clear(&fi);
		if (missing) {
			fputs(",\"missing\":", out);
			json_string(out, missing);
		}
	}
	fprintf(out, ",\"net\":%" PRId64 ",\"self\":%" PRId64 ",\"objects\":%u", n->net, n->self,
	        n->objects);
	if (verdict_has(b, g, n, true))
		fputs(",\"imbalance\":true", out);
	if (verdict_has(b, g, n, false))
		fputs(",\"candidate\":true", out);
	fputs(",\"children\":[", out);
	for (guint i = 0; n->children && i < n->children->len; i++) {
		fputs(i ? "," : "", out);
		json_tree_node(out, b, g, sym, n->children->pdata[i]);
	}
	fputs("]}", out);
}

static void json_group(FILE *out, const struct books *b, const struct book_group *g,
                       struct symbolizer *sym)
{
	const struct logread *lr = b->a->lr;

	fprintf(out, "{\"live\":%u,\"created\":%" PRIu64 ",\"freed\":%" PRIu64 ",\"leaked\":%u,"
	        "\"owner_discounted\":%u,\"global\":%u,\"running\":%u,\"for_life\":%" PRId64
	        ",\"first\":", g->live, g->created, g->freed, g->leaked, g->owner_discounted,
	        g->global, g->running, g->for_life);
	json_time(out, lr, g->first_ns);
	fputs(",\"last\":", out);
	json_time(out, lr, g->last_ns);
	fputs(",\"addresses\":[", out);
	for (guint i = 0; i < g->objects->len && i < BOOKS_ADDRS_MAX; i++)
		fprintf(out, "%s\"0x%" PRIx64 "\"", i ? "," : "",
		        g_array_index(g->objects, struct book_object, i).addr);
	fputs("],\"stack\":", out);
	json_stack(out, sym, lr, g->stack_id);
	fputs(",\"tree\":", out);
	if (g->tree)
		json_tree_node(out, b, g, sym, g->tree->root);
	else
		fputs("null", out);
	fprintf(out, ",\"owned\":%" PRId64 ",\"owned_by\":[", g->owned);
	for (guint i = 0; i < g->owned_by->len; i++) {
		const struct book_owned *w = &g_array_index(g->owned_by, struct book_owned, i);
		fputs(i ? ",{\"type\":" : "{\"type\":", out);
		if (w->type < lr->hdr.types_used && w->type < lr->hdr.max_types)
			json_string_n(out, lr->types[w->type].name, sizeof(lr->types[0].name));
		else
			fputs("null", out);
		fprintf(out, ",\"alive\":%u,\"refs\":%" PRId64 ",\"stack\":", w->alive, w->refs);
		json_stack(out, sym, lr, w->stack_id);
		fputs("}", out);
	}
	fputs("],\"sockets\":[", out);
	for (guint i = 0; i < g->links->len; i++) {
		const struct book_link *l = g->links->pdata[i];
		fprintf(out, "%s{\"group\":%u,\"fds\":", i ? "," : "", l->group);
		json_ints(out, l->fds);
		fputs(",\"ports\":", out);
		json_ports(out, l->ports);
		fputs(",\"reason\":", out);
		json_string(out, l->reason);
		fputs("}", out);
	}
	fputs("]}", out);
}

static void json_types(FILE *out, const struct books *b, struct symbolizer *sym)
{
	fprintf(out, ",\"objects\":{\"owner_policy\":");
	json_string(out, books_policy(b));
	fprintf(out, ",\"live\":%u,\"kept\":%u,\"inherited\":%u,\"leaked\":%u,\"trees_skipped\":%u,"
	        "\"cells_dropped\":%" PRIu64 ",\"cut_cells\":%" PRIu64 ",", b->live, b->kept,
	        b->inherited, b->leaked, b->trees_skipped, b->cells_dropped, b->cut_cells);
	const struct tally_header *h = &b->a->lr->hdr;
	fprintf(out, "\"reach\":{\"ran\":%s,\"blocks\":%" PRIu64 ",\"cut_short\":%s,"
	        "\"roots_only\":%s,\"off\":%s},", h->reach_flags & TALLY_REACHF_RAN ? "true" : "false",
	        h->reach_blocks, h->reach_flags & TALLY_REACHF_CUT ? "true" : "false",
	        h->reach_flags & TALLY_REACHF_ROOTS_ONLY ? "true" : "false",
	        h->reach_flags & TALLY_REACHF_OFF ? "true" : "false");
	fputs("\"types\":[", out);
	for (guint i = 0; i < b->types->len; i++) {
		const struct book_type *t = b->types->pdata[i];
		const struct tally_type *ty = &t->t;
		char *trust = books_trust(t);
		fputs(i ? ",{\"type\":" : "{\"type\":", out);
		json_string_n(out, ty->name, sizeof(ty->name));
		fprintf(out, ",\"created\":%" PRIu64 ",\"freed\":%" PRIu64 ",\"live\":%u,\"kept\":%u,"
		        "\"inherited\":%u,\"leaked\":%u,\"complete\":%s,\"trust\":", ty->created,
		        ty->freed, t->live, t->kept, t->inherited, t->leaked,
		        t->complete ? "true" : "false");
		json_string(out, trust);
		g_free(trust);
		fprintf(out, ",\"first_seen_inc\":%" PRIu64 ",\"balanced\":%" PRIu64
		        ",\"dec_unknown\":%" PRIu64 ",\"underflow\":%" PRIu64 ",\"after_release\":%" PRIu64
		        ",\"untracked\":%" PRIu64 ",\"unstacked\":%" PRIu64 ",\"nested\":%" PRIu64
		        ",\"resurrects\":%s,\"unseen_new\":%s,\"groups\":[", ty->first_seen_inc,
		        ty->balanced, ty->dec_unknown, ty->underflow, ty->after_release, ty->untracked,
		        ty->unstacked, ty->nested, ty->flags & TALLY_TYPEF_RESURRECTS ? "true" : "false",
		        ty->flags & TALLY_TYPEF_UNSEEN_NEW ? "true" : "false");
		for (guint k = 0; k < t->groups->len; k++) {
			fputs(k ? "," : "", out);
			json_group(out, b, t->groups->pdata[k], sym);
		}
		fputs("]}", out);
	}
	fputs("]}", out);
}

/* One entry per increment site of each verdict of `list`, as "key". */
static void json_verdicts(FILE *out, const struct books *b, struct symbolizer *sym,
                          const char *key, const GPtrArray *list)
{
	unsigned n = 0;

	fprintf(out, ",\"%s\":[", key);
	for (guint i = 0; i < list->len; i++) {
		const struct book_verdict *bv = list->pdata[i];
		const struct bal_verdict *v = bv->v;
		const struct book_group *g = bv->group;
		guint gi = 0;
		g_ptr_array_find(g->type->groups, g, &gi);
		for (guint k = 0; k < bv->candidates->len; k++) {
			const struct tally_frame_info *c = &g_array_index(bv->candidates,
			                                                  struct tally_frame_info, k);
			const struct bal_node *cn = v->candidates->pdata[k];
			fputs(n++ ? ",{\"type\":" : "{\"type\":", out);
			json_string_n(out, g->type->t.name, sizeof(g->type->t.name));
			/* The function the line is in; "within": the verdict's,
			 * a caller of every candidate site (the same when the
			 * sites are in it). */
			bool own = c->function != NULL;
			fprintf(out, ",\"group\":%u,\"function\":", gi);
			json_string(out, own ? c->function : bv->function.function);
			fputs(",\"within\":", out);
			json_string(out, bv->function.function);
			fputs(",\"file\":", out);
			json_string(out, c->file);
			if (c->line)
				fprintf(out, ",\"line\":%d", c->line);
			else
				fputs(",\"line\":null", out);
			fputs(",\"module\":", out);
			json_string_n(out, c->module, TALLY_PATH_MAX);
			fprintf(out, ",\"offset\":\"0x%" PRIx64 "\"", c->offset);
			/* as in stack frames: in a stripped module the function's
			 * start tells the verdicts of one nameless function apart */
			uint64_t start = own ? c->func_start : bv->function.func_start;
			if (start)
				fprintf(out, ",\"function_start\":\"0x%" PRIx64 "\"", start);
			fprintf(out, ",\"net\":%" PRId64 ",\"objects\":%u,"
			        "\"of\":%u,\"candidates\":%u,\"taken\":%" PRId64 ",\"site_taken\":%" PRId64
			        ",\"dropped\":%" PRId64 ",\"dropped_by\":", v->net, v->objects,
			        g->live, bv->candidates->len, v->taken, cn->self, v->dropped);
			json_string(out, bv->dropped_by);
			fprintf(out, ",\"unstacked\":%" PRId64 ",\"in_flight\":%s,\"elsewhere\":%" PRId64
			        ",\"handed_to\":", g->unstacked,
			        books_maybe_in_flight(b, v) ? "true" : "false", v->elsewhere);
			json_string(out, bv->handed_to);
			fputs(",\"reached_from\":", out);
			if (bv->reached_from.file) {
				fputs("{\"function\":", out);
				json_string(out, bv->reached_from.function);
				fputs(",\"file\":", out);
				json_string(out, bv->reached_from.file);
				fprintf(out, ",\"line\":%d}", bv->reached_from.line);
			} else {
				fputs("null", out);
			}
			fputs(",\"stack\":", out);
			json_stack(out, sym, b->a->lr, cn->stack_id);
			fputs("}", out);
		}
	}
	fputs("]", out);
}

static void json_violations(FILE *out, const struct books *b, struct symbolizer *sym)
{
	const struct logread *lr = b->a->lr;

	fputs(",\"violations\":[", out);
	for (guint i = 0; i < b->violations->len; i++) {
		const struct book_violation *v = b->violations->pdata[i];
		fprintf(out, "%s{\"kind\":", i ? "," : "");
		json_string(out, books_violation_name(v->kind));
		fputs(",\"type\":", out);
		if (v->type >= 0 && (unsigned)v->type < lr->hdr.types_used &&
		    (unsigned)v->type < lr->hdr.max_types)
			json_string_n(out, lr->types[v->type].name, sizeof(lr->types[0].name));
		else
			fputs("null", out);
		fprintf(out, ",\"count\":%" PRIu64 ",\"certain\":%s", v->count, v->certain ? "true" : "false");
		if (v->kind == TALLY_VIOL_DOUBLE_CLOSE) {
			fputs(",\"fds\":", out);
			json_ints(out, v->fds);
		}
		fputs(",\"stack\":", out);
		json_stack(out, sym, lr, v->stack_id);
		fputs("}", out);
	}
	fprintf(out, "],\"violations_total\":%" PRIu64 ",\"enforce\":\"%s\"", b->violations_total,
	        lr->hdr.enforce == TALLY_ENFORCE_ABORT ? "abort" : "log");
}

static void json_rules(FILE *out, const struct books *b)
{
	const struct logread *lr = b->a->lr;

	fputs(",\"rules\":[", out);
	for (guint i = 0; i < b->rules->len; i++) {
		const struct tally_rule *r = &g_array_index(b->rules, struct tally_rule, i);
		fprintf(out, "%s{\"function\":", i ? "," : "");
		json_string_n(out, r->function, sizeof(r->function));
		fputs(",\"role\":", out);
		json_string(out, books_role_name(r->role));
		fputs(",\"type\":", out);
		if (r->flags & TALLY_RULEF_ANY_TYPE)
			json_string(out, "*");
		else if (r->type < lr->hdr.types_used && r->type < lr->hdr.max_types)
			json_string_n(out, lr->types[r->type].name, sizeof(lr->types[0].name));
		else
			fputs("null", out);
		fprintf(out, ",\"arg\":%u,\"floating\":", r->arg);
		json_string_n(out, r->floating, sizeof(r->floating));
		fprintf(out, ",\"found\":%s,\"entry_failed\":%s,\"got_sites\":%u,\"entries\":%u,"
		        "\"calls\":%" PRIu64 "}", r->flags & TALLY_RULEF_FOUND ? "true" : "false",
		        r->flags & TALLY_RULEF_ENTRY_FAILED ? "true" : "false", r->got_sites,
		        r->entries, r->calls);
	}
	fputs("]", out);
}

/* The reference-count part; empty lists when the log has none. */
static void json_books(FILE *out, const struct analysis *a, struct symbolizer *sym)
{
	const struct books *b = a->books;

	if (!b || !books_any(b)) {
		fputs(",\"objects\":{\"types\":[]},\"verdicts\":[],\"handovers\":[]", out);
		fprintf(out, ",\"violations\":[],\"violations_total\":0,\"enforce\":\"%s\"",
		        a->lr->hdr.enforce == TALLY_ENFORCE_ABORT ? "abort" : "log");
		fputs(",\"rules\":[]", out);
		return;
	}
	json_types(out, b, sym);
	json_verdicts(out, b, sym, "verdicts", b->verdicts);
	json_verdicts(out, b, sym, "handovers", b->handovers);
	json_violations(out, b, sym);
	json_rules(out, b);
}

void report_json(FILE *out, const struct analysis *a, struct symbolizer *sym,
                 const struct port_budget *budget)
{
	const struct logread *lr = a->lr;
	const struct tally_header *h = &lr->hdr;

	fputs("{\"format\":\"tally-report\",\"version\":1,\"log\":", out);
	json_string_n(out, lr->path, sizeof(lr->path));
	fprintf(out, ",\"process\":{\"pid\":%d,\"ppid\":%d,\"exe\":", h->pid, h->ppid);
	json_string_n(out, h->exe, sizeof(h->exe));
	fprintf(out, ",\"running\":%s,\"state\":", a->running ? "true" : "false");
	json_string(out, report_process_state(a));
	if (h->exit_state == TALLY_EXITED && (h->exit_flags & TALLY_EXITF_STATUS))
		fprintf(out, ",\"exit_status\":%d", h->exit_status & 0xff);
	else
		fputs(",\"exit_status\":null", out);
	fputs(",\"started\":", out);
	json_time(out, lr, h->start_mono_ns);
	fputs(",\"cmdline\":[", out);
	uint32_t len = h->cmdline_len < sizeof(h->cmdline) ? h->cmdline_len : sizeof(h->cmdline);
	for (uint32_t at = 0, n = 0; at < len; n++) {
		size_t arg = strnlen(h->cmdline + at, len - at);
		fputs(n ? "," : "", out);
		json_string_n(out, h->cmdline + at, arg);
		at += (uint32_t)arg + 1;
	}
	fputs("],\"run_id\":", out);
	json_string_n(out, h->run_id, sizeof(h->run_id));
	fputs(",\"parent_log\":", out);
	json_string_n(out, h->parent_log, sizeof(h->parent_log));
	fputs("}", out);

	uint64_t kept = a->books ? a->books->kept_sockets : 0;
	fprintf(out, ",\"sockets\":{\"created\":%" PRIu64 ",\"closed\":%" PRIu64 ",\"open\":%" PRIu64
	        ",\"inherited\":%" PRIu64 ",\"inherited_open\":%" PRIu64 ",\"kept\":%" PRIu64
	        ",\"leaked\":%" PRIu64 ",\"untracked\":%" PRIu64 ",\"groups\":[", a->created,
	        a->closed, a->open, a->inherited, a->inherited_open, kept,
	        tally_exited_failing(h) ? 0 : a->open - a->inherited_open - kept,
	        h->dropped[TALLY_DROP_STATE_FULL]);
	for (guint i = 0; i < a->groups->len; i++) {
		fputs(i ? "," : "", out);
		json_site(out, a, sym, a->groups->pdata[i]);
	}
	fputs("],\"sites\":[", out);
	for (guint i = 0; i < a->sites->len; i++) {
		fputs(i ? "," : "", out);
		json_site(out, a, sym, a->sites->pdata[i]);
	}
	fputs("]}", out);

	fputs(",\"failures\":[", out);
	for (guint i = 0; i < a->failures->len; i++) {
		const struct failure *f = a->failures->pdata[i];
		fprintf(out, "%s{\"call\":", i ? "," : "");
		json_string(out, analysis_call_name(f->kind));
		fputs(",\"errno\":", out);
		json_string(out, stackfmt_errno(f->err));
		fprintf(out, ",\"count\":%" PRIu64 ",\"first\":", f->count);
		json_time(out, lr, f->first_ns);
		fputs(",\"last\":", out);
		json_time(out, lr, f->last_ns);
		fputs(",\"stack\":", out);
		json_stack(out, sym, lr, f->stack_id);
		fputs("}", out);
	}
	fputs("],\"anomalies\":[", out);
	for (guint i = 0; i < a->anomalies->len; i++) {
		const struct anomaly *an = a->anomalies->pdata[i];
		fprintf(out, "%s{\"kind\":", i ? "," : "");
		json_string(out, an->kind);
		fprintf(out, ",\"count\":%" PRIu64 ",\"fds\":", an->count);
		json_ints(out, an->fds);
		fputs(",\"stack\":", out);
		json_stack(out, sym, lr, an->stack_id);
		fputs("}", out);
	}
	fputs("]", out);
	json_books(out, a, sym);
	fprintf(out, ",\"closes_not_open\":%" PRIu64, h->closes_not_open);
	fprintf(out, ",\"tallies_lost\":%" PRIu64, a->tallies_lost);
	if (budget)
		json_budget(out, a, budget);
	fprintf(out, ",\"dropped\":%" PRIu64, a->dropped);
	fprintf(out, ",\"events\":{\"claimed\":%" PRIu64 ",\"recorded\":%" PRIu64 ",\"torn\":%" PRIu64
	        ",\"cut\":%" PRIu64 ",\"capacity\":%" PRIu64 ",\"runs\":%" PRIu64
	        ",\"run_calls\":%" PRIu64 ",\"ref_calls\":%" PRIu64 "}", a->events_claimed,
	        a->events_recorded, a->events_torn, a->lr->events_cut, h->max_events, a->event_runs,
	        a->run_calls, a->ref_calls);
	fprintf(out, ",\"losses\":{\"events_full\":%" PRIu64 ",\"nested\":%" PRIu64
	        ",\"stack_table_full\":%" PRIu64 ",\"state_table_full\":%" PRIu64
	        ",\"module_table_full\":%" PRIu64 "}",
	        h->dropped[TALLY_DROP_FULL], h->dropped[TALLY_DROP_NESTED],
	        h->dropped[TALLY_DROP_STACK_FULL], h->dropped[TALLY_DROP_STATE_FULL],
	        h->dropped[TALLY_DROP_MODULE_FULL]);
	fputs("}\n", out);
}
