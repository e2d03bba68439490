/*
 * hooks — what every wrapper file shares.
 */
#ifndef TALLY_HOOKS_H
#define TALLY_HOOKS_H

#include "real.h"

/* Only the interposed names leave the library. */
#define EXPORT __attribute__((visibility("default")))

/* The real function, resolved on first use when a wrapper runs before the
 * constructor (another preloaded library's constructor, libc start-up). */
#define REAL(fn) (__builtin_expect(!!real.fn, 1) ? real.fn : (real_resolve(), real.fn))

#endif
