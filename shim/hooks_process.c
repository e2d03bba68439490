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
#include "batch.h"
#include "runs.h"
#include "hooks.h"
#include "logfile.h"
#include "memcheck.h"
#include "modules.h"
#include "record.h"
#include "unwind.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

/* vfork: the child borrows this thread's stack and memory until it execs or
 * exits, so a wrapper must not leave a frame behind: it sets vfork_pending
 * (the child's events are then kept out of the parent's log, see
 * rec_vfork_settle) and jumps to libc's vfork, which returns straight to
 * the program, in the child and in the parent.  x86-64 only; elsewhere
 * vfork is not interposed. */
#if defined(__x86_64__)
/* glibc exports its vfork also as __vfork, which the shim does not
 * interpose: the jump goes there through the PLT, no frame, no resolver. */
__asm__(".pushsection .text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "\t.cfi_startproc\n"
#ifdef __CET__
        "\tendbr64\n"
#endif
        "\tmovq vfork_pending@gottpoff(%rip), %rax\n"
        "\tmovl $1, %fs:(%rax)\n"
        "\tjmp __vfork@PLT\n"
        "\t.cfi_endproc\n"
        ".size vfork, .-vfork\n"
        ".popsection\n");
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
	batch_flush(&g_shim.log);
	runs_end_all();
	g_shim.log.hdr->exit_mono_ns = rec_mono_ns();
	__atomic_store_n(&g_shim.log.hdr->exit_state, TALLY_EXECED, __ATOMIC_RELEASE);
}

/* exec returned: it failed, and this image goes on. */
static void exec_failed(int err)
{
	struct rec r;

	if (!log_is_ours())
		return;
	batch_resume();
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
 * vector forms, as glibc builds them: count with a copy of the va_list,
 * then an array of exactly that many on the stack (no fixed limit, no
 * 32 KiB frame on a small thread stack). */
#define EXECL_BODY(arg, call_with_argv)                                   \
	do {                                                                     \
		va_list ap, count_ap;                                            \
		size_t argc = 1;                                                 \
		va_start(ap, arg);                                               \
		va_copy(count_ap, ap);                                           \
		while (va_arg(count_ap, char *))                                 \
			argc++;                                                  \
		va_end(count_ap);                                                \
		char *argv[argc + 1];                                            \
		argv[0] = (char *)(arg);                                         \
		for (size_t i = 1; i <= argc; i++)                               \
			argv[i] = va_arg(ap, char *);   /* argv[argc] = NULL */  \
		call_with_argv;                                                  \
	} while (0)

EXPORT int execl(const char *path, const char *arg, ...)
{
	EXECL_BODY(arg, { va_end(ap); return execv(path, argv); });
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	EXECL_BODY(arg, { va_end(ap); return execvp(file, argv); });
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	/* The environment follows the NULL that ends the arguments. */
	EXECL_BODY(arg, {
		char *const *envp = va_arg(ap, char *const *);
		va_end(ap);
		return execve(path, argv, envp);
	});
}

void shim_note_exit_status(int status)
{
	struct tally_header *hdr = g_shim.log.hdr;

	if (!rec_on() || hdr->pid != getpid())
		return;
	hdr->exit_status = status;
	__atomic_store_n(&hdr->exit_flags, hdr->exit_flags | TALLY_EXITF_STATUS, __ATOMIC_RELEASE);
}

/* _exit and _Exit skip the destructors that mark a normal exit: without
 * these, a daemon's child leaving with _exit(0) would read as killed. */
static void mark_exit(int status)
{
	struct tally_header *hdr = g_shim.log.hdr;

	if (!rec_on() || hdr->pid != getpid())
		return;
	batch_flush(&g_shim.log);
	runs_end_all();
	hdr->exit_mono_ns = rec_mono_ns();
	shim_note_exit_status(status);
	__atomic_store_n(&hdr->exit_state, TALLY_EXITED, __ATOMIC_RELEASE);
	SAVE_ERRNO;
	log_drop_if_idle_child(&g_shim.log);
	RESTORE_ERRNO;
}

EXPORT void _exit(int status)
{
	mark_exit(status);
	REAL(_exit)(status);
	__builtin_unreachable();
}

EXPORT void _Exit(int status)
{
	mark_exit(status);
	REAL(_exit)(status);
	__builtin_unreachable();
}

/* quick_exit ends in glibc's own _exit, which the wrapper above never
 * sees: its at_quick_exit handlers still run after the mark. */
EXPORT void quick_exit(int status)
{
	mark_exit(status);
	REAL(quick_exit)(status);
	__builtin_unreachable();
}

/* munmap: memory found readable before may be gone now.  memcheck caches
 * pages it found readable (per thread), and the shim reads stack words
 * above a hooked call (the trampoline copies its stack arguments) after
 * such a check: a coroutine stack unmapped since must be checked again.
 * glibc's own munmaps (malloc) do not come through here; a program's, or
 * its coroutine library's, do. */
EXPORT int munmap(void *addr, size_t len)
{
	if (!REAL(munmap)) {
		errno = ENOSYS;
		return -1;
	}
	int ret = real.munmap(addr, len);
	if (ret == 0)
		memcheck_forget();   /* an atomic add: errno kept */
	return ret;
}

EXPORT int dlclose(void *handle)
{
	int ret = REAL(dlclose)(handle);
	SAVE_ERRNO;
	struct rec r;

	if (rec_on() && modules_rescan(&g_shim.log)) {
		unwind_flush();
		memcheck_forget();
		if (rec_begin(&r, TALLY_EV_DLOPEN, -1, ret, 0)) {
			r.ev.arg = (int32_t)g_shim.log.hdr->module_generation;
			rec_commit(&r);
			rec_end(&r);
		}
	}
	RESTORE_ERRNO;
	return ret;
}
