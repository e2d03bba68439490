/*
 * reachlib — objects that start no malloc chunk (as GLib's slice allocator
 * hands them out), for tests/integration/test_reach_hazards.sh under the
 * rules "ob: ob_new = new; ob: ob_new_at = new; ob: ob_ref = inc;
 * ob: ob_unref = dec" (libreachlib.so).
 */
#ifndef REACHLIB_H
#define REACHLIB_H

struct ob;

/* A new object 16 bytes into a 256-byte malloc'd block. */
struct ob *ob_new(void *user);
/* A new object at `where` (a slab the caller packs). */
struct ob *ob_new_at(void *where, void *user);
struct ob *ob_ref(struct ob *o);
long ob_unref(struct ob *o);
/* Keeps o in a global of the library (scanned after the program's data). */
void ob_keep_global(struct ob *o);

#endif
