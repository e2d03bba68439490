/*
 * Unit test of analyzer/owners.c: which references are held by live
 * owners.  Stacks are frames outermost first; a cell's stack is inside an
 * owner's creation when it runs through the owner's whole creation stack
 * and goes deeper.  Known answers: a cell inside the creation matches, one
 * beside it or at the creation call itself does not, an object's own
 * creation is never its owner, the innermost of nested creations wins, and
 * stacks cut at the depth limit match on the frames both still have.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "owners.h"

#define DEPTH 8

/* Frames by number: module 1, offset n. */
static unsigned mk(struct bal_frame *f, const unsigned *offsets, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		f[i].module = 1;
		f[i].offset = offsets[i];
		f[i].addr = 0x400000 + offsets[i];
	}
	return n;
}

#define STACK(name, ...) \
	static const unsigned name##_o[] = { __VA_ARGS__ }; \
	struct bal_frame name[16]; \
	unsigned name##_n = mk(name, name##_o, sizeof(name##_o) / sizeof(name##_o[0]))

static void inside_the_creation_is_owned(void **state)
{
	struct owners *o = owners_new(DEPTH);
	/* main (10) -> init (20) -> calls loop_new at 30 */
	STACK(loop, 10, 20, 30);
	const struct owner_site *site = owners_add(o, 2, 77, loop, loop_n);
	assert_int_equal(owners_add(o, 2, 77, loop, loop_n), site);   /* one site, two alive */
	assert_int_equal(site->alive, 2);
	assert_int_equal(site->type, 2);

	/* the context's reference taken inside loop_new (frame 500) */
	STACK(inside, 10, 20, 30, 500);
	assert_ptr_equal(owners_find(o, inside, inside_n, NULL, 0), site);
	STACK(deeper, 10, 20, 30, 500, 510, 520);
	assert_ptr_equal(owners_find(o, deeper, deeper_n, NULL, 0), site);
	/* the creation call itself, and a call beside it, are not inside */
	STACK(same, 10, 20, 30);
	assert_null(owners_find(o, same, same_n, NULL, 0));
	STACK(beside, 10, 20, 31, 500);
	assert_null(owners_find(o, beside, beside_n, NULL, 0));
	STACK(other_caller, 11, 20, 30, 500);
	assert_null(owners_find(o, other_caller, other_caller_n, NULL, 0));
	owners_free(o);
}

static void an_object_is_not_its_own_owner(void **state)
{
	struct owners *o = owners_new(DEPTH);
	STACK(make, 10, 40);
	owners_add(o, 1, 9, make, make_n);
	/* a reference the constructor takes on the new object itself: the
	 * object's own site, by frames (whatever its stack id) */
	STACK(self, 10, 40, 600);
	assert_null(owners_find(o, self, self_n, make, make_n));
	STACK(other, 10, 41);
	assert_non_null(owners_find(o, self, self_n, other, other_n));
	owners_free(o);
}

static void the_innermost_creation_owns(void **state)
{
	struct owners *o = owners_new(DEPTH);
	STACK(outer, 10, 20);
	STACK(inner, 10, 20, 700, 710);
	const struct owner_site *so = owners_add(o, 1, 1, outer, outer_n);
	const struct owner_site *si = owners_add(o, 2, 2, inner, inner_n);
	STACK(cell, 10, 20, 700, 710, 800);
	assert_ptr_equal(owners_find(o, cell, cell_n, NULL, 0), si);
	STACK(cell2, 10, 20, 700, 720);
	assert_ptr_equal(owners_find(o, cell2, cell2_n, NULL, 0), so);
	owners_free(o);
}

/* Stacks of DEPTH frames may have lost their outermost frames: they match
 * on the frames both have, three at least. */
static void stacks_cut_at_the_depth_match_on_what_is_left(void **state)
{
	struct owners *o = owners_new(DEPTH);
	/* the owner's creation stack is whole: 3 frames */
	STACK(owner, 10, 20, 30);
	const struct owner_site *site = owners_add(o, 1, 1, owner, owner_n);
	/* a cell 9 deep, cut to 8: its outermost frame (10) is lost */
	STACK(cut, 20, 30, 500, 510, 520, 530, 540, 550);
	assert_int_equal(cut_n, DEPTH);
	assert_null(owners_find(o, cut, cut_n, NULL, 0));   /* only 2 frames agree */
	owners_free(o);

	o = owners_new(DEPTH);
	STACK(owner4, 5, 10, 20, 30);
	site = owners_add(o, 1, 1, owner4, owner4_n);
	STACK(cut3, 10, 20, 30, 500, 510, 520, 530, 540);
	assert_ptr_equal(owners_find(o, cut3, cut3_n, NULL, 0), site);   /* 3 agree */
	/* not cut (shorter than the depth): the outermost frames must agree */
	STACK(whole, 10, 20, 30, 500);
	assert_null(owners_find(o, whole, whole_n, NULL, 0));
	owners_free(o);

	/* the owner's stack cut, the cell's whole and longer */
	o = owners_new(DEPTH);
	STACK(ocut, 3, 4, 5, 6, 7, 8, 9, 10);
	site = owners_add(o, 1, 1, ocut, ocut_n);
	STACK(cell, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 500);
	assert_ptr_equal(owners_find(o, cell, cell_n, NULL, 0), site);
	owners_free(o);
}

static void special_frames_own_nothing(void **state)
{
	struct owners *o = owners_new(DEPTH);
	struct bal_frame sp = { .module = BAL_SPECIAL, .offset = 0xfffffffdu };
	owners_add(o, 1, 1, &sp, 1);
	struct bal_frame cell[2] = { sp, { .module = 1, .offset = 5 } };
	assert_null(owners_find(o, cell, 2, NULL, 0));
	assert_null(owners_find(o, cell, 0, NULL, 0));
	owners_free(o);
	owners_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inside_the_creation_is_owned),
		cmocka_unit_test(an_object_is_not_its_own_owner),
		cmocka_unit_test(the_innermost_creation_owns),
		cmocka_unit_test(stacks_cut_at_the_depth_match_on_what_is_left),
		cmocka_unit_test(special_frames_own_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
