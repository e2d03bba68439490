/*
 * entrylib — the functions test_entryhook hooks at their entry: a ref/unref
 * pair that counts, calls that stress the calling convention (stack
 * arguments, varargs with a vector register, errno), a function that calls
 * el_ref inside the library with no relocation (as libgobject calls its own
 * g_object_ref), and hand-assembled prologues (entrylib_asm.S).
 */
#ifndef TALLY_TEST_ENTRYLIB_H
#define TALLY_TEST_ENTRYLIB_H

/* libentrylib.so, linked by the test */
void *el_ref(void *obj);              /* returns obj; counted in el_refs() */
void el_unref(void *obj);             /* NULL is ignored; counted in el_unrefs() */
long el_refs(void);
long el_unrefs(void);
void *el_use_own(void *obj);          /* el_ref(obj), a direct call in the library */
long el_args8(long a, long b, long c, long d, long e, long f, long g, long h);
/* scale * (sum of the longs the NULL-terminated pointers point to) + the
 * double that follows the NULL */
double el_vsum(double scale, ...);
int el_fail(int err);                 /* errno = err; returns -1 */

/* entrylib_asm.S: prologues written by hand */
long el_asm_riprel(void);             /* lea data(%rip) first: returns 0x5eed */
long el_asm_call(long x);             /* call rel32 first: 2x + 1 */
long el_asm_endbr(long x);            /* endbr64 first: x + 7 */
long el_asm_tiny(long x);             /* jmp rel8 + int3 padding, size 5: x - 1 */
long el_asm_odd(long x);              /* entry at 5 mod 8: x ^ 0x55 */
long el_asm_busy(long x);             /* one 7-byte lea, then ret: x + 0x12345 */
long el_asm_regs(void);               /* al + r10 + r11 */
long el_asm_loop(long n);             /* refused: its loop jumps to +2 */
long el_asm_spin(long n);             /* refused: its loop head is the entry */
long el_asm_jrcxz(long x);            /* refused: jrcxz in the prologue */
void el_asm_ret1(void);               /* refused: a 1-byte ret, size 1 */

/* libentrylib2.so, dlopen'ed by the test */
typedef void *(*el2_ref_fn)(void *obj);

#endif
