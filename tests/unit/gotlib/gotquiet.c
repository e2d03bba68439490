/*
 * gotquiet — a library tests/progs/ref_race loads so that tally does not
 * see the load (a '$' in the name: dlopen is not wrapped), and calls from
 * several threads before tally hooks it at the program's next dlopen.
 * gq_cycle calls gq_ref and gq_unref through the library's own PLT slots
 * (no -Bsymbolic): with TALLY_HOOK=got those slots are what gets
 * redirected, by an atomic store, while the threads run through them.
 *
 * gq_ref and gq_unref are written in assembly so that each starts with one
 * instruction of at least 5 bytes: a thread stopped anywhere in them is
 * never inside the bytes an entry hook overwrites (entryhook.h, "a thread
 * preempted between two of the overwritten instructions"), so with entry
 * hooks too a crash can only come from the hook itself.
 */
#include <stdlib.h>

struct gq_obj {
	int count;
};

void *gq_ref(void *o);
void gq_unref(void *o);
void gq_unref_failed(void);

/* gq_ref: count++ (atomic), returns its argument.  gq_unref: count--
 * (atomic); the program always keeps a reference of its own, so reaching
 * 0 is a bug: abort. */
__asm__(".text\n"
	".globl gq_ref\n"
	".type gq_ref, @function\n"
	".p2align 4\n"
	"gq_ref:\n"
	"	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n" /* nopl 0(%rax,%rax): 5 bytes */
	"	lock addl $1, (%rdi)\n"
	"	movq %rdi, %rax\n"
	"	ret\n"
	".size gq_ref, .-gq_ref\n"
	".globl gq_unref\n"
	".type gq_unref, @function\n"
	".p2align 4\n"
	"gq_unref:\n"
	"	movl $-1, %eax\n"                 /* 5 bytes */
	"	lock xaddl %eax, (%rdi)\n"
	"	cmpl $1, %eax\n"
	"	jle 1f\n"
	"	ret\n"
	"1:	jmp gq_unref_failed@PLT\n"
	".size gq_unref, .-gq_unref\n");

void gq_unref_failed(void)
{
	abort();
}

void *gq_new(void)
{
	struct gq_obj *o = malloc(sizeof(*o));

	if (!o)
		abort();
	o->count = 1;
	return o;
}

int gq_count(void *p)
{
	return __atomic_load_n(&((struct gq_obj *)p)->count, __ATOMIC_RELAXED);
}

/* One reference taken and given back, through the PLT. */
void gq_cycle(void *o)
{
	gq_ref(o);
	gq_unref(o);
	__asm__ volatile("" ::: "memory");
}
