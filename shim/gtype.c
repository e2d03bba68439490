/*
 * gtype — GLib's type system asked under the fault guard (gtype.h).
 */
#include "gtype.h"
#include "guard.h"
#include "memcheck.h"

#include <dlfcn.h>
#include <string.h>

/* GLib's GTypeQuery, without GLib's headers. */
struct gtype_query {
	uintptr_t type;
	const char *type_name;
	unsigned class_size;
	unsigned instance_size;
};

/* Larger than any instance a sane GType declares: beyond it, the answer
 * came from memory that only looked like a class. */
#define GTYPE_MAX_EXTENT (1u << 20)

void gtype_api_lookup(struct gtype_api *api)
{
	if (api->looked_up)
		return;
	api->looked_up = 1;
	*(void **)&api->instance_is_a = dlsym(RTLD_DEFAULT, "g_type_check_instance_is_a");
	*(void **)&api->object_get_type = dlsym(RTLD_DEFAULT, "g_object_get_type");
	*(void **)&api->type_query = dlsym(RTLD_DEFAULT, "g_type_query");
	/* Deprecated, but the one call that gives where an instance's private
	 * part starts without g_error()ing on a class that adds none
	 * (g_type_class_get_instance_private_offset does). */
	*(void **)&api->instance_get_private = dlsym(RTLD_DEFAULT, "g_type_instance_get_private");
	(void)dlerror();   /* failed lookups are not the program's */
}

int gtype_is_instance_of(const struct gtype_api *api, uintptr_t addr, gtype_get_type_fn get_type)
{
	volatile int yes = 0;
	sigjmp_buf outer;

	if (!api->instance_is_a || !get_type)
		return 0;
	/* GTypeInstance: its class pointer first; a class starts with its GType. */
	if (!memcheck_range((const void *)addr, sizeof(void *)))
		return 0;
	uintptr_t klass = *(const uintptr_t *)addr;
	if (!klass || !memcheck_range((const void *)klass, sizeof(uintptr_t)))
		return 0;
	memcpy(outer, guard_env, sizeof(outer));
	if (!sigsetjmp(guard_env, 0))
		yes = api->instance_is_a((void *)addr, get_type()) != 0;
	/* else: faulted, not a live instance */
	memcpy(guard_env, outer, sizeof(outer));
	return yes;
}

int gtype_object_extent(const struct gtype_api *api, uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	volatile int ok = 0;
	sigjmp_buf outer;
	struct gtype_query q;
	uintptr_t private_start = 0;

	if (!api->type_query || !api->instance_get_private ||
	    !gtype_is_instance_of(api, addr, api->object_get_type))
		return 0;
	memset(&q, 0, sizeof(q));
	memcpy(outer, guard_env, sizeof(outer));
	if (!sigsetjmp(guard_env, 0)) {
		/* A live GObject now: its class and GType are GLib's own. */
		uintptr_t gtype = **(const uintptr_t *const *)addr;
		api->type_query(gtype, &q);
		private_start = (uintptr_t)api->instance_get_private((void *)addr, gtype);
		ok = 1;
	}
	memcpy(guard_env, outer, sizeof(outer));
	if (!ok || !q.type || !q.instance_size || q.instance_size > GTYPE_MAX_EXTENT ||
	    private_start > addr || addr - private_start > GTYPE_MAX_EXTENT)
		return 0;
	*lo = private_start;
	*hi = addr + q.instance_size;
	return 1;
}
