/*
 * timeline — the event records in claim order; timeline.h says what a line
 * holds.
 */
#include "timeline.h"
#include "refbooks.h"
#include "report.h"
#include "stackfmt.h"

#include <inttypes.h>
#include <sys/socket.h>

/* The name of rule `i`, or NULL when the log has no such rule. */
static const char *rule_name(const struct logread *lr, unsigned i, unsigned *len)
{
	if (i >= lr->hdr.rules_used || i >= lr->hdr.max_rules)
		return NULL;
	*len = sizeof(lr->rules[i].function);
	return lr->rules[i].function;
}

static const char *type_name(const struct logread *lr, unsigned i, unsigned *len)
{
	if (i >= lr->hdr.types_used || i >= lr->hdr.max_types)
		return NULL;
	*len = sizeof(lr->types[i].name);
	return lr->types[i].name;
}

static const char *kind_name(unsigned kind)
{
	static const char *const names[TALLY_EV_KIND_MAX] = {
		[TALLY_EV_SOCKET] = "socket", [TALLY_EV_SOCKETPAIR] = "socketpair",
		[TALLY_EV_BIND] = "bind", [TALLY_EV_CONNECT] = "connect",
		[TALLY_EV_LISTEN] = "listen", [TALLY_EV_ACCEPT] = "accept",
		[TALLY_EV_CLOSE] = "close", [TALLY_EV_CLOSE_RANGE] = "close_range",
		[TALLY_EV_DUP] = "dup", [TALLY_EV_FORK] = "fork", [TALLY_EV_EXEC] = "exec",
		[TALLY_EV_REUSE] = "reuse", [TALLY_EV_DLOPEN] = "dlopen",
		[TALLY_EV_OBJ] = "ref", [TALLY_EV_VIOLATION] = "violation",
	};
	return kind < TALLY_EV_KIND_MAX && names[kind] ? names[kind] : "unknown";
}

/* ---- text ------------------------------------------------------------- */

/* A reference call: "gw_publisher_ref (inc gw_publisher 0x55d0...) net 6". */
static void text_obj(FILE *out, const struct logread *lr, const struct tally_event *ev)
{
	unsigned len = 0;
	const char *rule = rule_name(lr, ev->u.obj.rule, &len);

	if (TALLY_RUN_OPEN_FIELDS(ev))
		fprintf(out, "%" PRIu32 " x ", (uint32_t)ev->result);
	if (rule)
		report_text_string_n(out, rule, len);
	else
		fprintf(out, "rule %u", ev->u.obj.rule);
	fprintf(out, " (%s ", books_role_name((uint8_t)ev->arg));
	const char *type = type_name(lr, ev->u.obj.type, &len);
	if (type)
		report_text_string_n(out, type, len);
	else
		fputs("?", out);
	fprintf(out, " 0x%" PRIx64 ") net %" PRId32, ev->u.obj.addr, ev->u.obj.net);
	if (TALLY_RUN_OPEN_FIELDS(ev))
		fprintf(out, ", a run: calls from here to at least %.3f s later", ev->err / 1e6);
}

/* A socket event's type, without SOCK_NONBLOCK and SOCK_CLOEXEC. */
static int sock_type(const struct tally_event *ev)
{
	return ev->u.sock.type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static void text_what(FILE *out, const struct logread *lr, const struct tally_event *ev)
{
	switch (ev->kind) {
	case TALLY_EV_SOCKET:
		fprintf(out, "socket %s %s", stackfmt_family(ev->arg), stackfmt_type(sock_type(ev)));
		if (ev->result >= 0)
			fprintf(out, " = fd %d", ev->result);
		break;
	case TALLY_EV_SOCKETPAIR:
		/* arg: the other end's fd, or the family when it failed */
		if (ev->result >= 0)
			fprintf(out, "socketpair %s = fds %d, %d", stackfmt_type(sock_type(ev)), ev->fd,
			        ev->arg);
		else
			fprintf(out, "socketpair %s %s", stackfmt_family(ev->arg),
			        stackfmt_type(sock_type(ev)));
		break;
	case TALLY_EV_BIND:
	case TALLY_EV_CONNECT:
		fprintf(out, "%s fd %d", kind_name(ev->kind), ev->fd);
		if (ev->u.net.family == AF_INET || ev->u.net.family == AF_INET6)
			fprintf(out, " %s port %u", ev->kind == TALLY_EV_BIND ? "to" : "to peer",
			        ev->u.net.port);
		break;
	case TALLY_EV_LISTEN:
		fprintf(out, "listen fd %d", ev->fd);
		break;
	case TALLY_EV_ACCEPT:
		fprintf(out, "accept on fd %d", ev->arg);
		if (ev->result >= 0)
			fprintf(out, " = fd %d", ev->fd);
		break;
	case TALLY_EV_CLOSE:
		fprintf(out, "close fd %d%s%s", ev->fd,
		        ev->flags & TALLY_EVF_SOCKET_FD ? " (a socket)" : "",
		        ev->flags & TALLY_EVF_IMPLICIT ? " (implicit)" : "");
		break;
	case TALLY_EV_CLOSE_RANGE:
		if (ev->arg == -1)
			fprintf(out, "close_range fds %d and above", ev->fd);
		else
			fprintf(out, "close_range fds %d to %d", ev->fd, ev->arg);
		break;
	case TALLY_EV_DUP:
		fprintf(out, "dup fd %d", ev->arg);
		if (ev->result >= 0)
			fprintf(out, " = fd %d", ev->fd);
		break;
	case TALLY_EV_FORK:
		fprintf(out, "fork = pid %d", ev->result);
		break;
	case TALLY_EV_EXEC:
		fputs("exec", out);
		break;
	case TALLY_EV_REUSE:
		fprintf(out, "fd %d came back from another call: its socket was closed unseen",
		        ev->fd);
		break;
	case TALLY_EV_DLOPEN:
		fprintf(out, "modules changed (generation %d)", ev->arg);
		break;
	case TALLY_EV_OBJ:
		text_obj(out, lr, ev);
		break;
	case TALLY_EV_VIOLATION:
		fprintf(out, "violation: %s", books_violation_name((uint16_t)ev->arg));
		if (ev->arg == TALLY_VIOL_DOUBLE_CLOSE)
			fprintf(out, " of fd %d", ev->fd);
		else
			fprintf(out, " of 0x%" PRIx64, ev->u.obj.addr);
		break;
	default:
		fprintf(out, "record of unknown kind %u", ev->kind);
		return;
	}
	if (ev->result < 0 && ev->kind != TALLY_EV_OBJ && ev->kind != TALLY_EV_VIOLATION)
		fprintf(out, " failed: %s", stackfmt_errno(ev->err));
}

static void text_line(FILE *out, const struct logread *lr, struct symbolizer *sym,
                      uint64_t seq, const struct tally_event *ev)
{
	fprintf(out, "%+13.6f  tid %-7" PRIu32 " #%-7" PRIu64 " ",
	        (double)(ev->time_ns - lr->hdr.start_mono_ns) / 1e9, ev->tid, seq);
	text_what(out, lr, ev);
	fputs("   at ", out);
	report_text_stack_line(out, sym, lr, ev->stack_id, 2);
	fputc('\n', out);
}

/* ---- JSON lines --------------------------------------------------------- */

static void json_line(FILE *out, const struct logread *lr, struct symbolizer *sym,
                      uint64_t seq, const struct tally_event *ev)
{
	unsigned len = 0;

	fprintf(out, "{\"seq\":%" PRIu64 ",\"time_ns\":%" PRId64 ",\"tid\":%" PRIu32
	        ",\"kind\":\"%s\",\"fd\":%d,\"result\":%d,\"errno\":%d,\"arg\":%d",
	        seq, ev->time_ns - lr->hdr.start_mono_ns, ev->tid, kind_name(ev->kind), ev->fd,
	        ev->result, ev->err, ev->arg);
	if (ev->kind == TALLY_EV_BIND || ev->kind == TALLY_EV_CONNECT ||
	    ev->kind == TALLY_EV_ACCEPT)
		fprintf(out, ",\"port\":%u", ev->u.net.port);
	if (ev->kind == TALLY_EV_OBJ || (ev->kind == TALLY_EV_VIOLATION &&
	                                 ev->arg != TALLY_VIOL_DOUBLE_CLOSE)) {
		fputs(",\"rule\":", out);
		const char *rule = rule_name(lr, ev->u.obj.rule, &len);
		report_json_string_n(out, rule, len);
		fputs(",\"type\":", out);
		const char *type = type_name(lr, ev->u.obj.type, &len);
		report_json_string_n(out, type, len);
		fprintf(out, ",\"object\":\"0x%" PRIx64 "\",\"net\":%" PRId32, ev->u.obj.addr,
		        ev->u.obj.net);
	}
	if (TALLY_RUN_OPEN_FIELDS(ev))
		fprintf(out, ",\"run\":{\"calls\":%" PRIu32 ",\"latest_ns\":%" PRId64 "}",
		        (uint32_t)ev->result, (int64_t)ev->err * 1000);
	fprintf(out, ",\"stack_id\":%" PRIu32 ",\"where\":", ev->stack_id);
	GArray *frames = stackfmt_frames(sym, lr, ev->stack_id);
	if (frames->len) {
		fputc('{', out);
		report_json_frame_fields(out, &g_array_index(frames, struct tally_frame_info, 0));
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	stackfmt_frames_free(frames);
	fputs("}\n", out);
}

void timeline_print(FILE *out, const struct logread *lr, struct symbolizer *sym, bool json)
{
	for (uint64_t seq = 0; seq < lr->events_readable; seq++) {
		struct tally_event ev;
		if (!logread_event(lr, seq, &ev)) {
			if (json)
				fprintf(out, "{\"seq\":%" PRIu64 ",\"torn\":true}\n", seq);
			else
				fprintf(out, "%13s  #%" PRIu64 " torn or unfinished record\n", "", seq);
			continue;
		}
		if (json)
			json_line(out, lr, sym, seq, &ev);
		else
			text_line(out, lr, sym, seq, &ev);
	}
	uint64_t dropped = __atomic_load_n(&((const struct tally_header *)lr->base)->dropped
	                                   [TALLY_DROP_FULL], __ATOMIC_RELAXED);
	if (!json && dropped)
		fprintf(out, "... and %" PRIu64 " events not recorded (event area full)\n", dropped);
	if (!json && lr->events_cut)
		fprintf(out, "... and %" PRIu64 " events cut off (the log was copied short)\n",
		        lr->events_cut);
}
