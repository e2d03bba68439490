/*
 * ref_many_stacks — one rl object referenced from more call stacks than
 * an object's books have cells (TALLY_OBJ_CELLS, 10), one reference never
 * given back (tests/integration/test_ref_many_stacks.sh).
 *
 * Twelve functions take a reference and give it back at two stacks of
 * their own, which leaves 24 cells of net +1 or -1 on the object: more
 * than its own ten, the rest spilled (format.h, version 4).  Then
 * keep_one() takes one more, never given back.  The report must name it
 * among the candidates (with make(): the one unmake() gives back could be
 * either), and not call its verdict uncertain.  Prints "leaked 0xADDR".
 */
#include <stdio.h>

#include "reflib/reflib.h"

#define NO_TAIL() __asm__ volatile("" ::: "memory")
/* cycle_N: a reference taken and given back, at two stacks of its own:
 * each leaves two cells, +1 and -1, on the object. */
#define CYCLE(n) \
	__attribute__((noinline, no_icf)) static void take_##n(struct rl_obj *o) { rl_ref(o); NO_TAIL(); } \
	__attribute__((noinline, no_icf)) static void drop_##n(struct rl_obj *o) { rl_unref(o); NO_TAIL(); } \
	__attribute__((noinline, no_icf)) static void cycle_##n(struct rl_obj *o) \
	{ take_##n(o); drop_##n(o); NO_TAIL(); }
CYCLE(0) CYCLE(1) CYCLE(2) CYCLE(3) CYCLE(4) CYCLE(5)
CYCLE(6) CYCLE(7) CYCLE(8) CYCLE(9) CYCLE(10) CYCLE(11)

__attribute__((noinline, no_icf)) static struct rl_obj *make(void)
{
	struct rl_obj *o = rl_new(1);
	NO_TAIL();
	return o;
}

__attribute__((noinline, no_icf)) static void keep_one(struct rl_obj *o)
{
	rl_ref(o);   /* never given back */
	NO_TAIL();
}

__attribute__((noinline, no_icf)) static void unmake(struct rl_obj *o)
{
	rl_unref(o);
	NO_TAIL();
}

int main(void)
{
	void (*cycle[])(struct rl_obj *) = { cycle_0, cycle_1, cycle_2, cycle_3, cycle_4, cycle_5,
	                                     cycle_6, cycle_7, cycle_8, cycle_9, cycle_10, cycle_11 };
	struct rl_obj *o = make();

	for (int i = 0; i < 12; i++)
		cycle[i](o);
	keep_one(o);   /* by now the object's own cells are all taken */
	unmake(o);
	printf("leaked %p\n", (void *)o);
	return 0;
}
