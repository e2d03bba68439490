/*
 * guard — reading the program's memory at exit without dying of it.
 *
 * At exit the shim reads objects the books call alive and memory a global
 * variable points to.  Another thread may unmap that memory meanwhile, or
 * the books may be wrong about an object freed behind their back.  While
 * the guard is armed, a SIGSEGV or SIGBUS of the arming thread jumps back
 * to guard_env; a fault of any other thread (or a SIGSEGV sent with kill)
 * goes to the program's own handler, called from the guard's as the
 * kernel would have, the guard staying installed; when the program's
 * disposition is the default, it is put back so that the fault happens
 * again as it would have without tally (and guard_lost() says the guard
 * must be armed again).
 *
 * Used only in the shim's destructor, never on the recording path.
 */
#ifndef TALLY_GUARD_H
#define TALLY_GUARD_H

#include <setjmp.h>

/* Where a fault of the arming thread lands: set it with sigsetjmp(guard_env,
 * 0) before a read that may fault (the handler runs with SA_NODEFER, so no
 * signal mask needs restoring).  A nested user saves and restores it. */
extern sigjmp_buf guard_env;

/* Arms the guard for this thread (and unblocks SIGSEGV and SIGBUS in its
 * mask until disarmed: a fault with its signal blocked kills whatever the
 * handler); 0, or -1 when the handlers could not be set or one of those
 * signals is pending (the program raised it while blocking it: unblocking
 * would deliver it) — then nothing is armed and nothing may be read
 * unchecked.  Only faults (si_code > 0) land at guard_env; a SIGSEGV sent
 * with kill or raise goes to the program's handler, sent again. */
int guard_arm(void);

/* Puts the program's handlers and the thread's mask back. */
void guard_disarm(void);

/* True when another thread's fault disarmed the guard since it was armed. */
int guard_lost(void);

#endif
