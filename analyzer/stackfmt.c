/*
 * stackfmt — stacks to frames, numbers to names.
 */
#include "stackfmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

GArray *stackfmt_frames(struct symbolizer *sym, const struct logread *lr, uint32_t id)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct tally_frame_info));
	const uint64_t *frames;
	const struct tally_stack *st = logread_stack(lr, id, &frames);

	if (!st)
		return out;
	for (unsigned i = 0; i < st->depth; i++) {
		struct tally_frame_info fi;
		memset(&fi, 0, sizeof(fi));
		/* Every kept frame is a return address: the shim's own frames
		 * (where the capture began) were removed when recording. */
		symbolizer_lookup(sym, st->generation, frames[i], true, &fi);
		g_array_append_val(out, fi);
	}
	return out;
}

void stackfmt_frames_free(GArray *frames)
{
	for (guint i = 0; i < frames->len; i++)
		symbolizer_frame_clear(&g_array_index(frames, struct tally_frame_info, i));
	g_array_free(frames, TRUE);
}

const char *stackfmt_missing(const struct logread *lr, uint32_t id)
{
	const uint64_t *frames;

	switch (id) {
	case TALLY_STACK_NONE: return "no stack recorded";
	case TALLY_STACK_LOST: return "stack lost: stack table full";
	case TALLY_STACK_NESTED: return "no stack: raised inside the shim (signal handler)";
	case TALLY_STACK_INHERITED:
		return "open when the program started: inherited across exec or from its parent";
	default:
		return logread_stack(lr, id, &frames) ? NULL : "stack unreadable (torn or corrupt)";
	}
}

const char *stackfmt_family(int domain)
{
	switch (domain) {
	case AF_INET: return "inet";
	case AF_INET6: return "inet6";
	case AF_UNIX: return "unix";
	case AF_NETLINK: return "netlink";
	case AF_PACKET: return "packet";
	case 0: return "unknown";
	default: return "other";
	}
}

const char *stackfmt_type(int type)
{
	switch (type) {
	case SOCK_STREAM: return "stream";
	case SOCK_DGRAM: return "dgram";
	case SOCK_RAW: return "raw";
	case SOCK_SEQPACKET: return "seqpacket";
	default: return "other";
	}
}

const char *stackfmt_errno(int err)
{
	const char *name = strerrorname_np(err);
	static char buf[32];

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}
