/*
 * lifetime — at a normal exit, tells the objects a program keeps alive on
 * purpose for its whole life from leaked ones.  A type with a kept_if rule
 * (rules.h; GStreamer's MAY_BE_LEAKED flag in the gst preset) names a flag
 * word in its objects: each live object of the type whose flag is set is
 * marked TALLY_OBJF_KEPT in the books and counted in its type's `kept`,
 * and the report does not call it a leak.  (Objects still reachable from
 * a global variable: reach.h.)
 */
#ifndef TALLY_LIFETIME_H
#define TALLY_LIFETIME_H

#include "logfile.h"

/* Reads the flag word of every live object of a kept_if type and marks
 * the kept ones.  Runs in the shim's destructor, never on the recording
 * path: it may call dlsym and the program's GType check, and guards every
 * read of the program's memory against a fault (an object freed behind
 * the books' back is skipped, not dereferenced blindly).  ask_glib 0 (a
 * fork child, where a lock GLib or the loader needs may be held for good):
 * no dlsym, no GType check, so a type whose kept_if names a GType keeps
 * nothing (its objects count as leaked). */
void lifetime_mark_kept(struct tally_log *log, int ask_glib);

#endif
