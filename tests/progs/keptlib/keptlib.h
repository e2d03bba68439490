/*
 * keptlib — objects for the kept_if test (tests/integration/test_ref_kept.sh,
 * libkeptlib.so): each kt object lives on a page of its own with a flag
 * word first, so the test can free one behind the books' back (unmap it);
 * gt_new books any pointer as a new object, so the test can hand it a real
 * GObject or a fake one whose class pointer leads to garbage.
 */
#ifndef KEPTLIB_H
#define KEPTLIB_H

#include <stdint.h>

struct kt_obj {
	uint32_t flags;      /* offset 0: the word kept_if(0, MASK) reads */
	int refs;
};

/* A new object with one reference and these flags. */
struct kt_obj *kt_new(uint32_t flags);
/* Adds a reference. */
void kt_ref(struct kt_obj *o);
/* Drops a reference; unmaps the object at 0. */
void kt_unref(struct kt_obj *o);
/* Unmaps the object whatever its count, with no call a rule names. */
void kt_vanish(struct kt_obj *o);
/* Returns p: "gt: gt_new = new" books p as a new object. */
void *gt_new(void *p);

#endif
