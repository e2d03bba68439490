/* keptlib — see keptlib.h. */
#include "keptlib.h"

#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>

struct kt_obj *kt_new(uint32_t flags)
{
	struct kt_obj *o = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (o == MAP_FAILED)
		return NULL;
	o->flags = flags;
	o->refs = 1;
	return o;
}

void kt_ref(struct kt_obj *o)
{
	o->refs++;
}

void kt_unref(struct kt_obj *o)
{
	if (--o->refs == 0)
		kt_vanish(o);
}

void kt_vanish(struct kt_obj *o)
{
	munmap(o, (size_t)sysconf(_SC_PAGESIZE));
}

void *gt_new(void *p)
{
	return p;
}
