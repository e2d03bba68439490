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

/* The page this thread found readable last, and the unmap epoch then:
 * memcheck_word_fast's answer without a call (a hooked call's stack
 * arguments crossing into the same page of its stack, call after call). */
extern __attribute__((tls_model("initial-exec"))) __thread uintptr_t memcheck_last_page;
extern __attribute__((tls_model("initial-exec"))) __thread unsigned memcheck_last_epoch;
extern unsigned memcheck_unmap_epoch;

static inline int memcheck_word_fast(uintptr_t addr)
{
	uintptr_t page = addr & ~(uintptr_t)4095;

	if (page && page == ((addr + 7) & ~(uintptr_t)4095) && page == memcheck_last_page &&
	    memcheck_last_epoch == __atomic_load_n(&memcheck_unmap_epoch, __ATOMIC_ACQUIRE))
		return 1;
	return memcheck_word(addr);
}

/* Forgets every page found readable, in every thread: memory was unmapped
 * (dlclose). */
void memcheck_forget(void);

/* True when [p, p + n) can be read (n <= 4096). */
int memcheck_range(const void *p, size_t n);

#endif
