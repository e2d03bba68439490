/*
 * guard — a SIGSEGV/SIGBUS handler that only the arming thread's faults
 * trip (guard.h).
 */
#include "guard.h"
#include "real.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

sigjmp_buf guard_env;
static volatile pid_t guard_tid;
static volatile int guard_taken;   /* another thread's fault under the
                                    * default disposition disarmed it */
static struct sigaction saved_segv, saved_bus;
static sigset_t saved_mask;   /* the arming thread's, before it unblocked them */

/* Runs the program's own handler for a signal that is not the walk's, as
 * the kernel would have: its mask (and the signal, unless SA_NODEFER)
 * blocked meanwhile.  The guard stays installed: putting the program's
 * handler back instead let a fault of the walk that came next reach the
 * program's handler (a program faulting on purpose in another thread,
 * siglongjmp-ing out, crashed at exit).  Returns 0 when the program's
 * disposition is the default or ignore: then it is put back (the guard
 * is lost) so that a fault happens again under it, as without tally. */
static int chain(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction *prog = sig == SIGSEGV ? &saved_segv : &saved_bus;

	if (!(prog->sa_flags & SA_SIGINFO) &&
	    (prog->sa_handler == SIG_DFL || prog->sa_handler == SIG_IGN)) {
		sigaction(sig, prog, NULL);
		guard_taken = 1;
		return 0;
	}
	sigset_t mask, old;
	mask = prog->sa_mask;
	if (!(prog->sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	void (*action)(int, siginfo_t *, void *) = prog->sa_sigaction;
	void (*handler)(int) = prog->sa_handler;
	int with_info = prog->sa_flags & SA_SIGINFO;
	if (prog->sa_flags & SA_RESETHAND) {
		/* once, as the kernel does: the default is what disarming puts back */
		prog->sa_handler = SIG_DFL;
		prog->sa_flags &= ~(SA_SIGINFO | SA_RESETHAND);
	}
	if (with_info)
		action(sig, si, ctx);
	else
		handler(sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 1;
}

static void guard_handler(int sig, siginfo_t *si, void *ctx)
{
	/* A fault of the arming thread (si_code > 0: the kernel's, not one
	 * sent with kill or raise) is the walk's. */
	if (si->si_code > 0 && guard_tid && (pid_t)syscall(SYS_gettid) == guard_tid)
		real.siglongjmp(guard_env, 1);
	/* Not ours: the program's handler takes it.  With the default or
	 * ignore put back, a fault happens again when the instruction runs
	 * again; a signal someone sent is consumed, so it is sent again. */
	if (!chain(sig, si, ctx) && si->si_code <= 0)
		syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig);
}

int guard_arm(void)
{
	struct sigaction sa;

	if (guard_tid)
		guard_disarm();   /* armed again after it was lost */
	/* A SIGSEGV or SIGBUS the program raised while blocking it stays
	 * pending through its exit without tally: unblocking it would
	 * deliver it.  No guard then (the walk reads the roots only). */
	sigset_t pending;
	if (sigpending(&pending) != 0 || sigismember(&pending, SIGSEGV) ||
	    sigismember(&pending, SIGBUS))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	/* SA_ONSTACK: another thread's stack overflow in this window still
	 * reaches the program's handler on its alternate stack. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	guard_tid = (pid_t)syscall(SYS_gettid);
	guard_taken = 0;
	if (sigaction(SIGSEGV, &sa, &saved_segv) != 0) {
		guard_tid = 0;
		return -1;
	}
	if (sigaction(SIGBUS, &sa, &saved_bus) != 0) {
		sigaction(SIGSEGV, &saved_segv, NULL);
		guard_tid = 0;
		return -1;
	}
	/* A fault while its signal is blocked kills the process whatever the
	 * handler: unblocked for the arming thread while armed. */
	sigset_t faults;
	sigemptyset(&faults);
	sigaddset(&faults, SIGSEGV);
	sigaddset(&faults, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &faults, &saved_mask);
	return 0;
}

void guard_disarm(void)
{
	if (!guard_tid)
		return;   /* not armed: the saved handlers are not the program's */
	/* Both, even after another thread's fault put one of them back. */
	sigaction(SIGSEGV, &saved_segv, NULL);
	sigaction(SIGBUS, &saved_bus, NULL);
	pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
	guard_tid = 0;
}

int guard_lost(void)
{
	return guard_taken;
}
