/*
 * lifetime — objects kept alive on purpose, found at exit.
 *
 * The books say an object is alive; its memory may still have been freed
 * by a path no rule names.  So every read of it is checked first
 * (memcheck), and the GType check, which follows pointers inside the
 * object, runs under the fault guard (guard.h).
 */
#include "lifetime.h"
#include "books.h"
#include "gtype.h"
#include "guard.h"
#include "memcheck.h"

#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

void lifetime_mark_kept(struct tally_log *log, int ask_glib)
{
	struct tally_header *hdr = log->hdr;
	uint32_t ntypes = hdr->types_used < hdr->max_types ? hdr->types_used : hdr->max_types;
	gtype_get_type_fn get_type[TALLY_MAX_TYPES] = { 0 };
	struct gtype_api api = { 0 };
	int any = 0;

	for (uint32_t t = 0; t < ntypes && t < TALLY_MAX_TYPES; t++) {
		if (!log->types[t].kept_mask)
			continue;
		any = 1;
		if (log->types[t].kept_gtype[0] && ask_glib) {
			char name[sizeof(log->types[t].kept_gtype) + 1];
			memcpy(name, log->types[t].kept_gtype, sizeof(log->types[t].kept_gtype));
			name[sizeof(name) - 1] = 0;
			*(void **)&get_type[t] = dlsym(RTLD_DEFAULT, name);
			gtype_api_lookup(&api);
		}
	}
	(void)dlerror();   /* failed lookups are not the program's */
	if (!any)
		return;
	memcheck_forget();   /* threads may have unmapped memory since */
	int armed = guard_arm() == 0;
	for (uint32_t i = 0; i < hdr->max_objects; i++) {
		struct tally_object *o = &log->objects[i];
		if (__atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != TALLY_OBJ_LIVE ||
		    o->type >= ntypes || o->type >= TALLY_MAX_TYPES)
			continue;
		const struct tally_type *ty = &log->types[o->type];
		uintptr_t addr = (uintptr_t)__atomic_load_n(&log->objkeys[i], __ATOMIC_RELAXED);
		if (!ty->kept_mask || addr > UINTPTR_MAX - ty->kept_offset - 4 ||
		    !memcheck_range((const void *)(addr + ty->kept_offset), 4))
			continue;
		uint32_t flags;
		memcpy(&flags, (const void *)(addr + ty->kept_offset), 4);
		if (!(flags & ty->kept_mask))
			continue;
		if (ty->kept_gtype[0]) {
			if (armed && guard_lost())
				armed = guard_arm() == 0;
			if (!armed || !get_type[o->type])
				continue;   /* no guard, or the GType is not in this process */
			if (!gtype_is_instance_of(&api, addr, get_type[o->type]))
				continue;
		}
		__atomic_fetch_or(&o->flags, TALLY_OBJF_KEPT, __ATOMIC_RELAXED);
		__atomic_fetch_add(&log->types[o->type].kept, 1, __ATOMIC_RELAXED);
	}
	if (armed)
		guard_disarm();
}
