/*
 * ref_many_stacks — one rl object referenced from more call stacks than
 * an object's books have cells (TALLY_OBJ_CELLS, 10), one reference never
 * given back (tests/integration/test_ref_many_stacks.sh).
 *
 * Twelve functions take a reference each and twelve others drop one; the
 * books keep ten stacks and count the rest without their stack.  Then
 * keep_one() takes one more.  The report cannot know where the unstacked
 * references were taken or given back: its verdict must say it is
 * uncertain.  Prints "leaked 0xADDR".
 */
#include <stdio.h>

#include "reflib/reflib.h"

#define NO_TAIL() __asm__ volatile("" ::: "memory")
#define TAKER(n) \
	__attribute__((noinline)) static void take_##n(struct rl_obj *o) { rl_ref(o); NO_TAIL(); }
#define DROPPER(n) \
	__attribute__((noinline)) static void drop_##n(struct rl_obj *o) { rl_unref(o); NO_TAIL(); }
#define BOTH(n) TAKER(n) DROPPER(n)
BOTH(0) BOTH(1) BOTH(2) BOTH(3) BOTH(4) BOTH(5) BOTH(6) BOTH(7) BOTH(8) BOTH(9) BOTH(10) BOTH(11)

__attribute__((noinline)) static void keep_one(struct rl_obj *o)
{
	rl_ref(o);
	NO_TAIL();
}

int main(void)
{
	struct rl_obj *o = rl_new(1);
	void (*take[])(struct rl_obj *) = { take_0, take_1, take_2, take_3, take_4, take_5,
	                                    take_6, take_7, take_8, take_9, take_10, take_11 };
	void (*drop[])(struct rl_obj *) = { drop_0, drop_1, drop_2, drop_3, drop_4, drop_5,
	                                    drop_6, drop_7, drop_8, drop_9, drop_10, drop_11 };

	for (int i = 0; i < 12; i++)
		take[i](o);
	for (int i = 0; i < 12; i++)
		drop[i](o);
	keep_one(o);
	rl_unref(o);   /* the creation reference */
	printf("leaked %p\n", (void *)o);
	return 0;
}
