/*
 * reflib — a tiny reference-counted object library for the reference-book
 * tests (libreflib.so): real atomic counts, an object freed when its count
 * reaches 0, three exported functions for TALLY_RULES to name.
 */
#ifndef REFLIB_H
#define REFLIB_H

struct rl_obj;

/* A new object holding one reference. */
struct rl_obj *rl_new(int value);
/* Adds a reference; returns the object. */
struct rl_obj *rl_ref(struct rl_obj *o);
/* Drops a reference; frees the object at 0.  Returns the count left. */
int rl_unref(struct rl_obj *o);
/* The count now (for the program's own checks). */
int rl_count(const struct rl_obj *o);

#endif
