/*
 * reach — at a normal exit, marks the live objects the program's global
 * variables still reach, directly or through heap memory: "still
 * reachable", as a leak checker says.  The report presumes such an
 * object's starting references held by the program's state; references
 * beyond them still count (analyzer/refbooks.c).
 *
 * The roots are the writable segments of the loaded modules (the shim's
 * own excepted).  The shim wraps no allocator, so it has no list of heap
 * blocks; a word is followed as a pointer when it points at
 *   - a live object of the books: a GObject from its private part to the
 *     end of its instance (GLib says how large), any other object
 *     REACH_OBJECT_WINDOW bytes (GLib's slice allocator packs small
 *     objects into pages, with no header to read), unless it starts a
 *     malloc chunk;
 *   - the start of a glibc malloc chunk in use, in an anonymous private
 *     writable mapping: its size field is sane, it ends inside the same
 *     mapping, and the next chunk's header says it is in use (or the
 *     chunk was mmapped on its own).
 * Pointers into the middle of a block and blocks of other allocators are
 * not followed: such an object still counts as leaked, as before.  A freed
 * chunk that glibc keeps in a cache looks in use, so a stale pointer to one
 * may reach more than the program does: reachability errs on the side of
 * "reachable", and only for starting references.
 *
 * A window stops at the next object of the books (a slab's neighbour is
 * not this object).  Memory registered with userfaultfd is not read (a read
 * may wait for ever).  The roots are noted under dl_iterate_phdr and read
 * after it returns: the walk may call dlsym and GLib, which take the
 * loader's other lock, held by a thread in dlopen waiting for this one.
 *
 * Bounded: at most REACH_MAX_BLOCKS blocks and max_bytes of heap
 * (TALLY_REACH_MAX, 256 MiB by default) are read, for at most about a
 * second; beyond them objects are still marked when a root or a block
 * already read points at them, but nothing more is followed.
 */
#ifndef TALLY_REACH_H
#define TALLY_REACH_H

#include <stdint.h>

#include "logfile.h"

#define REACH_OBJECT_WINDOW 128u
#define REACH_MAX_BLOCKS (1u << 20)

/* Marks TALLY_OBJF_GLOBAL every live object reachable from a global.
 * Runs in the shim's destructor, never on the recording path: it reads
 * /proc/self/maps, maps its work space, may ask GLib the size of a
 * GObject, and reads the program's memory under the fault guard (a block
 * another thread unmaps meanwhile is skipped).  Returns the number of
 * heap blocks read (for the tests), -1 when it could not run beyond the
 * roots.  max_bytes 0: the roots only, on purpose.  ask_glib 0 (a fork
 * child): GObjects are read as other objects are, without asking GLib. */
long reach_mark_global(struct tally_log *log, uint64_t max_bytes, int ask_glib);

#endif
