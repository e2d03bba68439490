/*
 * shim — start-up and shut-down of libtally.so: read the settings, create
 * the log, scan the modules, warm the unwinder, and switch recording on;
 * hand a forked child a log of its own; mark a normal exit.
 */
#include "batch.h"
#include "runs.h"
#include "books.h"
#include "inherit.h"
#include "refhooks.h"
#include "logfile.h"
#include "modules.h"
#include "real.h"
#include "forkwalk.h"
#include "lifetime.h"
#include "reach.h"
#include "record.h"
#include "unwind.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *env_get(const char *name)
{
	return getenv(name);
}

static void warn_line(const char *line)
{
	/* One line, one write: stdio is not ours to use in someone's program. */
	char buf[600];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n > 0 && write(2, buf, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

/* Whether atfork_prepare took the rescan lock: not when this thread holds
 * it already (a fork from a signal handler that interrupted its rescan
 * would wait for ever); the child resets the lock anyway.  Per thread:
 * glibc runs the prepare handlers of forks from two threads at once (each
 * waits for the lock in turn), and one global flag let the first fork's
 * parent handler clear the second's, which then never unlocked: the next
 * fork hung.  A bit per nested fork (one from a handler on this thread
 * between prepare and parent), innermost at fork_depth - 1. */
static TLS unsigned fork_locked, fork_depth;

static void atfork_prepare(void)
{
	unsigned depth = fork_depth++;   /* first: a nested fork takes the next bit */
	unsigned took = modules_lock_unless_held() ? 1u : 0u;   /* no fork mid-rescan */
	if (depth < 32)
		fork_locked |= took << depth;
	forkwalk_prepare();   /* last: no thread inside a walk */
}

/* The parent's or the child's side: whether this fork's prepare took the
 * lock (forgotten here). */
static int fork_took_lock(void)
{
	if (fork_depth == 0)
		return 0;
	fork_depth--;
	unsigned bit = fork_depth < 32 ? 1u << fork_depth : 0;
	int took = (fork_locked & bit) != 0;
	fork_locked &= ~bit;
	return took;
}

static void atfork_parent(void)
{
	forkwalk_parent();
	if (fork_took_lock())
		modules_unlock();
}

/* Runs inside fork() in the child: the child must see fork's errno. */
static void atfork_child(void)
{
	int saved = errno;

	int took = fork_took_lock();
	forkwalk_child();
	modules_reset_lock_in_child(took);
	books_fork_child();
	batch_forget();
	runs_forget();
	refhooks_dlopen_fork_child();
	rec_tid = 0;
	g_shim.forked = 1;
	if (g_shim.active) {
		g_shim.active = 0;
		/* On failure the child runs unobserved, silently: its fd 2 may
		 * be a socket of the program's by now (a daemon), where a
		 * warning line would be data.  The parent's log has the fork. */
		/* A signal handler's fork in the middle of the shim's work on
		 * this thread: that work goes on in the child (logfile.h). */
		int interrupted = rec_depth > 0 || ref_hook_busy > 0;
		if (log_fork_child(&g_shim.log, &g_shim.settings, interrupted) == 0)
			g_shim.active = 1;
	}
	errno = saved;
}

/* Settings, log, module table, unwinder; then recording is switched on. */
static void start_recording(void)
{
	char line[512];
	int err;

	real_resolve();
	if (__atomic_exchange_n(&g_shim.started, 1, __ATOMIC_ACQ_REL))
		return;   /* already done, or being done by another thread */
	settings_read(&g_shim.settings, env_get, warn_line);
	if (g_shim.settings.disabled)
		return;
	err = log_create(&g_shim.log, &g_shim.settings, g_shim.settings.log_pattern);
	if (err) {
		snprintf(line, sizeof(line), "tally: cannot create log %s: %s; not recording",
		         g_shim.settings.log_pattern, strerror(-err));
		warn_line(line);
		return;
	}
	/* Before the first walks: each thread's are counted on their own. */
	if (forkwalk_init() != 0)
		warn_line("tally: no thread-exit hook; walks are counted in one shared count");
	modules_rescan(&g_shim.log);
	rec_depth++;          /* the warm-up capture must record nothing */
	if (unwind_init() != 0)
		warn_line("tally: libunwind.so.8 not usable; recording without stacks");
	rec_depth--;
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	if (batch_init() != 0)
		warn_line("tally: no thread-exit hook; a full log's call counts may miss a few");
	__atomic_store_n(&g_shim.active, 1, __ATOMIC_RELEASE);
}

int shim_start_early(void)
{
	int saved = errno;

	start_recording();
	errno = saved;
	return __atomic_load_n(&g_shim.active, __ATOMIC_ACQUIRE);
}

/* exit's status (also main's return), for the log: registered before
 * main, so it runs after the destructors, tally_stop's included. */
static void note_exit_status(int status, void *arg)
{
	(void)arg;
	shim_note_exit_status(status);
}

/* Runs before the program's own constructors (priority 101) so their
 * sockets are seen too; leaves errno as it found it. */
__attribute__((constructor(101))) static void tally_start(void)
{
	int saved = errno;

	start_recording();
	if (rec_on())
		(void)on_exit(note_exit_status, NULL);   /* a failure leaves the status unknown */
	/* Here, not in start_recording: started early from an intercepted
	 * call, the scan would find that call's own new socket. */
	if (rec_on()) {
		inherit_scan();
		/* Rules last: the recording path they lead to is ready. */
		if (refhooks_load_rules(&g_shim.log)) {
			refhooks_scan(&g_shim.log);
			(void)dlerror();   /* the scan's failed lookups are not the program's */
			refhooks_warn_missing(&g_shim.log);
		}
	}
	errno = saved;
}

/* Runs after the program's destructors.  The log stays mapped: closes done
 * by later destructors and by exit itself are still recorded. */
__attribute__((destructor(101))) static void tally_stop(void)
{
	struct tally_header *hdr = g_shim.log.hdr;

	if (!g_shim.active || hdr->pid != getpid())
		return;
	batch_flush(&g_shim.log);
	runs_end_all();
	/* In a fork child, GLib and dlsym may wait for ever on a lock one of
	 * the parent's threads held at the fork: not asked there. */
	lifetime_mark_kept(&g_shim.log, !g_shim.forked);
	(void)reach_mark_global(&g_shim.log, (uint64_t)g_shim.settings.reach_max_mb << 20,
	                        !g_shim.forked);
	hdr->exit_mono_ns = rec_mono_ns();
	__atomic_store_n(&hdr->exit_state, TALLY_EXITED, __ATOMIC_RELEASE);
	int saved = errno;
	log_drop_if_idle_child(&g_shim.log);
	errno = saved;
}

