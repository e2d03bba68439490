/*
 * gotlib — a tiny reference-counted object library for the GOT and entry
 * hook tests (tests/integration/test_ref_got.sh).  Built twice from
 * gotlib.c (tests/unit/refhooks.mk): libgotlib.so with a read-only (RELRO)
 * GOT bound at load (-z relro -z now), libgotlib_lazy.so with lazy PLT
 * binding; both with -Bsymbolic-functions, so gl_use_own's call of gl_ref
 * is a direct call that no GOT entry leads to.
 */
#ifndef TALLY_TEST_GOTLIB_H
#define TALLY_TEST_GOTLIB_H

/* A new object holding one reference. */
void *gl_new(void);

/* Adds a reference to `o`; returns `o`. */
void *gl_ref(void *o);

/* Drops a reference of `o`; frees it at 0. */
void gl_unref(void *o);

/* Takes a reference to `o` from inside the library. */
void gl_use_own(void *o);

/* The references `o` holds. */
int gl_count(const void *o);

/* Objects not freed yet. */
int gl_live(void);

/* Calls of gl_new, gl_ref, gl_unref so far (also the library's own). */
long gl_calls_new(void);
long gl_calls_ref(void);
long gl_calls_unref(void);

#endif
