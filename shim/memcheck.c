/*
 * memcheck — readability checks through rt_sigprocmask.
 *
 * rt_sigprocmask copies the new mask from user memory before it looks at
 * `how`: with an invalid `how` it fails with EFAULT for unreadable memory
 * and EINVAL otherwise, and changes nothing.
 */
#include "memcheck.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE_MASK (~(uintptr_t)4095)
#define GOOD_PAGES 4

/* Pages recently found readable, per thread, valid while good_epoch
 * equals unmap_epoch (bumped when memory is unmapped). */
static __attribute__((tls_model("initial-exec"))) __thread uintptr_t good_pages[GOOD_PAGES];
static __attribute__((tls_model("initial-exec"))) __thread unsigned good_next;
static __attribute__((tls_model("initial-exec"))) __thread unsigned good_epoch;
__attribute__((tls_model("initial-exec"))) __thread uintptr_t memcheck_last_page;
__attribute__((tls_model("initial-exec"))) __thread unsigned memcheck_last_epoch;
unsigned memcheck_unmap_epoch;
#define unmap_epoch memcheck_unmap_epoch

void memcheck_forget(void)
{
	__atomic_add_fetch(&unmap_epoch, 1, __ATOMIC_RELEASE);
}

int memcheck_word(uintptr_t addr)
{
	uintptr_t page = addr & PAGE_MASK, last = (addr + 7) & PAGE_MASK;

	if (page == 0 || addr > UINTPTR_MAX - 8)
		return 0;
	unsigned epoch = __atomic_load_n(&unmap_epoch, __ATOMIC_ACQUIRE);
	if (good_epoch != epoch) {
		for (unsigned i = 0; i < GOOD_PAGES; i++)
			good_pages[i] = 0;
		good_epoch = epoch;
	}
	if (page == last)
		for (unsigned i = 0; i < GOOD_PAGES; i++)
			if (good_pages[i] == page) {
				memcheck_last_page = page;
				memcheck_last_epoch = epoch;
				return 1;
			}
	int saved = errno;
	long r = syscall(SYS_rt_sigprocmask, -1, (void *)addr, NULL, sizeof(uint64_t));
	int ok = r < 0 && errno == EINVAL;
	errno = saved;
	if (ok && page == last) {
		good_pages[good_next++ % GOOD_PAGES] = page;
		memcheck_last_page = page;
		memcheck_last_epoch = epoch;
	}
	return ok;
}

int memcheck_range(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	if (n == 0)
		return 1;
	if (n > 4096 || a > UINTPTR_MAX - n)
		return 0;
	/* Two words cover every page of a range up to a page long. */
	if (n < 8)
		return memcheck_word(a & ~(uintptr_t)7) && memcheck_word((a + n - 1) & ~(uintptr_t)7);
	return memcheck_word(a) && memcheck_word(a + n - 8);
}
