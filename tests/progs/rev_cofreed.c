/*
 * rev_cofreed — a hooked call left on a coroutine stack that is then
 * unmapped, and a hooked call from another coroutine whose stack lies just
 * below it.  Coroutine A calls rv_new_cb, whose callback switches back to
 * main for good; A's stack is unmapped; coroutine B, on the stack right
 * below, calls rv_ref.  The shim's stack of calls under way still holds A's
 * call: it must not read anything on A's stack, which is gone (a read
 * killed the program with SIGSEGV).  Prints "ok count 2".
 */
#include <stdio.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "revlib/revlib.h"

#define STACK (64 * 1024)

static ucontext_t main_ctx, a_ctx, b_ctx;
static struct rv_obj *obj;

static void back(void *arg)
{
	(void)arg;
	swapcontext(&a_ctx, &main_ctx);   /* A is never resumed */
}

static void co_a(void)
{
	rv_new_cb(back, NULL);
}

static void co_b(void)
{
	rv_ref(obj);
}

int main(void)
{
	/* One mapping: B's stack below, A's right above it. */
	char *m = mmap(NULL, 2 * STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	char *b_stack = m, *a_stack = m + STACK;
	obj = rv_new();
	getcontext(&a_ctx);
	a_ctx.uc_stack.ss_sp = a_stack;
	a_ctx.uc_stack.ss_size = STACK;
	a_ctx.uc_link = &main_ctx;
	makecontext(&a_ctx, co_a, 0);
	swapcontext(&main_ctx, &a_ctx);
	if (munmap(a_stack, STACK) != 0)   /* A destroyed without being resumed */
		return 1;
	getcontext(&b_ctx);
	b_ctx.uc_stack.ss_sp = b_stack;
	b_ctx.uc_stack.ss_size = STACK;
	b_ctx.uc_link = &main_ctx;
	makecontext(&b_ctx, co_b, 0);
	swapcontext(&main_ctx, &b_ctx);
	printf("ok count %d\n", rv_count(obj));
	return 0;
}
