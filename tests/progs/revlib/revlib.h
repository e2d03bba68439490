/*
 * revlib — a tiny reference-counted object library for the review tests
 * (tests/integration/test_rev_*.sh): like reflib, plus creators and
 * droppers that call back into the program while they run (so a test can
 * raise a signal, longjmp or switch stacks in the middle of a hooked call).
 */
#ifndef REVLIB_H
#define REVLIB_H

struct rv_obj;

struct rv_obj *rv_new(void);
struct rv_obj *rv_ref(struct rv_obj *o);
int rv_unref(struct rv_obj *o);
int rv_count(const struct rv_obj *o);
/* rv_new, calling cb(arg) after the object exists, before it returns. */
struct rv_obj *rv_new_cb(void (*cb)(void *), void *arg);
/* rv_unref, then cb(arg) (which may longjmp: the reference is dropped). */
int rv_unref_cb(struct rv_obj *o, void (*cb)(void *), void *arg);
/* rv_new, and *sum = the longs that follow, up to a 0: a varargs creator
 * that may take many more than 32 words of stack arguments. */
struct rv_obj *rv_new_sum(long *sum, ...);
/* Whether f is rv_ref, compared with the library's own address of it. */
int rv_is_ref(void *f);
/* How many objects this copy of the library created. */
int rv_news(void);

#endif
