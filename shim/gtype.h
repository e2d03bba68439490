/*
 * gtype — asking GLib's type system about an address, at exit.
 *
 * The shim links no GLib: the functions are looked up in the process with
 * dlsym, and every question is asked with the fault guard (guard.h) armed
 * by the caller, since the address may not be a GTypeInstance at all.
 */
#ifndef TALLY_GTYPE_H
#define TALLY_GTYPE_H

#include <stdint.h>

typedef uintptr_t (*gtype_get_type_fn)(void);
typedef int (*gtype_instance_is_a_fn)(void *instance, uintptr_t gtype);

/* GLib's functions, NULL where the process has none. */
struct gtype_api {
	int looked_up;
	gtype_instance_is_a_fn instance_is_a;
	gtype_get_type_fn object_get_type;
	void (*type_query)(uintptr_t gtype, void *query);
	void *(*instance_get_private)(void *instance, uintptr_t gtype);
};

/* Fills `api` once (dlsym; a failed lookup leaves no dlerror behind). */
void gtype_api_lookup(struct gtype_api *api);

/* Whether the object at addr is an instance of the GType `get_type`
 * returns.  Needs the guard armed: a fault answers no. */
int gtype_is_instance_of(const struct gtype_api *api, uintptr_t addr, gtype_get_type_fn get_type);

/* When addr is a GObject instance: the memory it occupies, its private
 * part (which GLib puts before the instance) included, in [*lo, *hi); 1.
 * Else 0.  Needs the guard armed. */
int gtype_object_extent(const struct gtype_api *api, uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

#endif
