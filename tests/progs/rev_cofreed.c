/*
 * rev_cofreed — a hooked call left on a coroutine stack that is then
 * unmapped, and a hooked call from another coroutine whose stack lies just
 * below it.  Coroutine A calls rv_new_cb, whose callback switches back to
 * main for good; A's stack is unmapped; coroutine B, on the stack right
 * below, calls rv_ref.  The shim must not read anything on A's stack, which
 * is gone: not the frame of A's call still in its stack of calls under way
 * (hooks_ref.c), nor, when B's hooked call is near the top of B's stack,
 * the stack words above it that the trampoline copies as arguments
 * (memcheck had A's pages cached as readable: the shim's munmap wrapper
 * now makes it check again).  Either read killed the program with SIGSEGV.
 * Prints "ok count 2".
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

/* Runs fn on `stack` until it switches back to main. */
static void run_on(ucontext_t *ctx, char *stack, void (*fn)(void))
{
	getcontext(ctx);
	ctx->uc_stack.ss_sp = stack;
	ctx->uc_stack.ss_size = STACK;
	ctx->uc_link = &main_ctx;
	makecontext(ctx, fn, 0);
	swapcontext(&main_ctx, ctx);
}

int main(void)
{
	/* One mapping: B's stack below, A's right above it. */
	char *m = mmap(NULL, 2 * STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	char *b_stack = m, *a_stack = m + STACK;
	obj = rv_new();
	run_on(&a_ctx, a_stack, co_a);
	if (munmap(a_stack, STACK) != 0)   /* A destroyed without being resumed */
		return 1;
	run_on(&b_ctx, b_stack, co_b);
	printf("ok count %d\n", rv_count(obj));
	return 0;
}
