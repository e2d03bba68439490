/*
 * rev_varargs — a hooked varargs creator called with far more than 32
 * words of stack arguments (as GLib's g_object_new with 18 property pairs):
 * from main's stack, and from a makecontext coroutine whose stack is
 * followed by an unmapped page, so that the arguments reach the stack's
 * end.  Prints each sum, "ok", and exits 0.
 */
#include <stdio.h>

#include "progutil.h"
#include "revlib/revlib.h"

/* 1 + 2 + ... + 100, then 0: 101 words, 96 of them on the stack. */
#define ONE_TO_100                                                                 \
	1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L,   \
	18L, 19L, 20L, 21L, 22L, 23L, 24L, 25L, 26L, 27L, 28L, 29L, 30L, 31L, 32L,     \
	33L, 34L, 35L, 36L, 37L, 38L, 39L, 40L, 41L, 42L, 43L, 44L, 45L, 46L, 47L,     \
	48L, 49L, 50L, 51L, 52L, 53L, 54L, 55L, 56L, 57L, 58L, 59L, 60L, 61L, 62L,     \
	63L, 64L, 65L, 66L, 67L, 68L, 69L, 70L, 71L, 72L, 73L, 74L, 75L, 76L, 77L,     \
	78L, 79L, 80L, 81L, 82L, 83L, 84L, 85L, 86L, 87L, 88L, 89L, 90L, 91L, 92L,     \
	93L, 94L, 95L, 96L, 97L, 98L, 99L, 100L, 0L

static long co_sum;

static void one_call(long *sum)
{
	struct rv_obj *o = rv_new_sum(sum, ONE_TO_100);
	rv_unref(o);
}

static void coroutine(void)
{
	one_call(&co_sum);
}

int main(void)
{
	long sum = 0;

	one_call(&sum);
	printf("main stack: %ld\n", sum);
	if (run_on_guarded_stack(coroutine, 4) != 0)
		return 1;
	printf("coroutine stack: %ld\n", co_sum);
	printf("ok\n");
	return sum == 5050 && co_sum == 5050 ? 0 : 1;
}
