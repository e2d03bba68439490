/*
 * rev_stacktop — a hooked reference function called from code running near
 * the top of its stack: a makecontext() coroutine whose stack is followed
 * by an unmapped (PROT_NONE) page, as a coroutine library or a thread with
 * its own stack (pthread_attr_setstack) has it.  The program only touches
 * its own stack; prints "ok count N" and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "revlib/revlib.h"

static ucontext_t main_ctx, co_ctx;
static struct rv_obj *obj;

static void coroutine(void)
{
	/* A direct call at the very top of the coroutine's stack. */
	rv_ref(obj);
}

int main(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 16 * page;
	char *mem = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mprotect(mem + size, page, PROT_NONE) != 0) {
		perror("mmap");
		return 2;
	}
	obj = rv_new();
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = mem;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, coroutine, 0);
	if (swapcontext(&main_ctx, &co_ctx) != 0) {
		perror("swapcontext");
		return 2;
	}
	printf("ok count %d\n", rv_count(obj));
	rv_unref(obj);
	rv_unref(obj);
	return 0;
}
