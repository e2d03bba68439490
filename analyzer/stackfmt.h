/*
 * stackfmt — a recorded stack as symbolized frames, and the names reports
 * give to families, types and errno values.
 */
#ifndef TALLY_STACKFMT_H
#define TALLY_STACKFMT_H

#include <glib.h>

#include "logread.h"
#include "symbolize.h"

/* The frames of stack `id`, innermost first, as struct tally_frame_info
 * (free with stackfmt_frames_free).  Empty for the special ids. */
GArray *stackfmt_frames(struct symbolizer *sym, const struct logread *lr, uint32_t id);
void stackfmt_frames_free(GArray *frames);

/* Why a stack is missing, for the special ids ("not captured", ...), or
 * NULL for a real one. */
const char *stackfmt_missing(const struct logread *lr, uint32_t id);

const char *stackfmt_family(int domain);   /* "inet", "inet6", "unix", ... */
const char *stackfmt_type(int type);       /* "stream", "dgram", ... */
const char *stackfmt_errno(int err);       /* "EADDRINUSE", ... */

#endif
