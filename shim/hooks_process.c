/*
 * hooks_process — fork, the exec family and dlclose: the events that
 * change which log a process writes or which code its stacks point into.
 *
 * fork: the child switches to a log of its own in the pthread_atfork child
 * handler (shim.c); the wrapper only records the event on both sides.
 * exec: the old log is marked EXECED before the call (and unmarked if the
 * call fails); the new image's constructor creates a new log, which never
 * overwrites the old one even with the same pid (O_EXCL + suffix).
 * dlopen is deliberately not wrapped (record.c says why); dlclose is.
 */
#include "hooks.h"
#include "modules.h"
#include "record.h"
#include "unwind.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <unistd.h>

/* vfork: the child borrows this thread's stack and memory until it execs or
 * exits, so a wrapper must not leave a frame behind: it sets vfork_pending
 * (the child's events are then kept out of the parent's log, see
 * rec_vfork_settle) and jumps to libc's vfork, which returns straight to
 * the program, in the child and in the parent.  x86-64 only; elsewhere
 * vfork is not interposed. */
#if defined(__x86_64__)
/* libc's vfork once resolved; fork before (POSIX lets vfork be fork). */
static pid_t vfork_as_fork(void)
{
	return REAL(fork)();
}
__attribute__((used)) void *tally_vfork_target = (void *)vfork_as_fork;

void hooks_vfork_init(void)
{
	if (real.vfork)
		tally_vfork_target = (void *)real.vfork;
}

__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "\t.cfi_startproc\n"
        "\tmovq vfork_pending@gottpoff(%rip), %rax\n"
        "\tmovl $1, %fs:(%rax)\n"
        "\tjmp *tally_vfork_target(%rip)\n"
        "\t.cfi_endproc\n"
        ".size vfork, .-vfork\n");
#else
void hooks_vfork_init(void)
{
}
#endif

EXPORT pid_t fork(void)
{
	pid_t pid = REAL(fork)();
	SAVE_ERRNO;
	struct rec r;

	if (rec_begin(&r, TALLY_EV_FORK, -1, pid, errno)) {
		rec_stack(&r);
		rec_commit(&r);
		rec_end(&r);
	}
	RESTORE_ERRNO;
	return pid;
}

/* A vfork child shares our memory and our log: it must leave both alone.
 * getpid() is a syscall, acceptable on this rare path. */
static int log_is_ours(void)
{
	return g_shim.active && g_shim.log.hdr->pid == getpid();
}

static void before_exec(void)
{
	struct rec r;

	if (!log_is_ours() || !rec_begin(&r, TALLY_EV_EXEC, -1, 0, 0))
		return;
	rec_stack(&r);
	rec_commit(&r);
	rec_end(&r);
	g_shim.log.hdr->exit_mono_ns = rec_now();
	__atomic_store_n(&g_shim.log.hdr->exit_state, TALLY_EXECED, __ATOMIC_RELEASE);
}

/* exec returned: it failed, and this image goes on. */
static void exec_failed(int err)
{
	struct rec r;

	if (!log_is_ours())
		return;
	__atomic_store_n(&g_shim.log.hdr->exit_state, TALLY_RUNNING, __ATOMIC_RELEASE);
	if (rec_begin(&r, TALLY_EV_EXEC, -1, -1, err)) {
		rec_stack(&r);
		rec_commit(&r);
		rec_end(&r);
	}
}

#define EXEC_WRAP(call) \
	do { \
		SAVE_ERRNO; \
		before_exec(); \
		RESTORE_ERRNO; \
		int ret_ = (call); \
		int err_ = errno; \
		exec_failed(err_); \
		errno = err_; \
		return ret_; \
	} while (0)

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	EXEC_WRAP(REAL(execve)(path, argv, envp));
}

EXPORT int execv(const char *path, char *const argv[])
{
	EXEC_WRAP(REAL(execv)(path, argv));
}

EXPORT int execvp(const char *file, char *const argv[])
{
	EXEC_WRAP(REAL(execvp)(file, argv));
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	EXEC_WRAP(REAL(execvpe)(file, argv, envp));
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	EXEC_WRAP(REAL(fexecve)(fd, argv, envp));
}

/* The execl family takes its arguments inline; glibc's own versions call
 * an internal execve we cannot see, so they are rebuilt here on top of the
 * vector forms. */
#define ARGS_MAX 4096

static int collect_args(const char *arg0, va_list ap, char **argv)
{
	int n = 0;

	argv[n++] = (char *)arg0;
	while (argv[n - 1]) {
		if (n == ARGS_MAX) {
			errno = E2BIG;
			return -1;
		}
		argv[n++] = va_arg(ap, char *);
	}
	return n;
}

EXPORT int execl(const char *path, const char *arg, ...)
{
	char *argv[ARGS_MAX];
	va_list ap;

	va_start(ap, arg);
	int n = collect_args(arg, ap, argv);
	va_end(ap);
	if (n < 0)
		return -1;
	return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *argv[ARGS_MAX];
	va_list ap;

	va_start(ap, arg);
	int n = collect_args(arg, ap, argv);
	va_end(ap);
	if (n < 0)
		return -1;
	return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *argv[ARGS_MAX];
	char *const *envp;
	va_list ap;

	va_start(ap, arg);
	int n = collect_args(arg, ap, argv);
	envp = n < 0 ? NULL : va_arg(ap, char *const *);
	va_end(ap);
	if (n < 0)
		return -1;
	return execve(path, argv, envp);
}

EXPORT int dlclose(void *handle)
{
	int ret = REAL(dlclose)(handle);
	SAVE_ERRNO;
	struct rec r;

	if (rec_on() && modules_rescan(&g_shim.log)) {
		unwind_flush();
		if (rec_begin(&r, TALLY_EV_DLOPEN, -1, ret, 0)) {
			r.ev.arg = (int32_t)g_shim.log.hdr->module_generation;
			rec_commit(&r);
			rec_end(&r);
		}
	}
	RESTORE_ERRNO;
	return ret;
}
