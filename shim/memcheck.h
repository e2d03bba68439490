/*
 * memcheck — can this memory be read?  Answered without an fd and without
 * touching the memory, so the shim never faults on a bad pointer the
 * program passed to a call that failed (libc would have returned EFAULT).
 */
#ifndef TALLY_MEMCHECK_H
#define TALLY_MEMCHECK_H

#include <stddef.h>
#include <stdint.h>

/* True when the 8 bytes at addr can be read.  One syscall, unless the page
 * was found readable recently by this thread. */
int memcheck_word(uintptr_t addr);

/* Forgets every page found readable, in every thread: memory was unmapped
 * (dlclose). */
void memcheck_forget(void);

/* True when [p, p + n) can be read (n <= 4096). */
int memcheck_range(const void *p, size_t n);

#endif
