#include "revlib.h"

#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>

struct rv_obj {
	int refs;
	int pad;
};

static int news;

int rv_news(void)
{
	return news;
}

struct rv_obj *rv_new(void)
{
	news++;
	struct rv_obj *o = calloc(1, sizeof(*o));
	if (!o)
		abort();
	o->refs = 1;
	return o;
}

struct rv_obj *rv_ref(struct rv_obj *o)
{
	__atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
	return o;
}

int rv_unref(struct rv_obj *o)
{
	int left = __atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL);
	if (left < 0) {
		fprintf(stderr, "revlib: count of %p below 0\n", (void *)o);
		abort();
	}
	if (left == 0)
		free(o);
	return left;
}

int rv_count(const struct rv_obj *o)
{
	return __atomic_load_n(&o->refs, __ATOMIC_RELAXED);
}

struct rv_obj *rv_new_cb(void (*cb)(void *), void *arg)
{
	struct rv_obj *o = rv_new();
	cb(arg);
	return o;
}

int rv_unref_cb(struct rv_obj *o, void (*cb)(void *), void *arg)
{
	int left = rv_unref(o);
	cb(arg);
	return left;
}

struct rv_obj *rv_new_sum(long *sum, ...)
{
	va_list ap;
	long v, total = 0;

	va_start(ap, sum);
	while ((v = va_arg(ap, long)) != 0)
		total += v;
	va_end(ap);
	*sum = total;
	return rv_new();
}

int rv_is_ref(void *f)
{
	return f == (void *)rv_ref;
}
