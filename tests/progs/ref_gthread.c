/*
 * ref_gthread — GThread references while threads run and after (glib
 * preset; tests/integration/test_ref_gthread.sh).  A GThread starts with two
 * references: the creator's, and the thread's own, dropped when it ends.
 *
 *   worker     runs until told to stop, then joined (g_thread_join drops
 *              the creator's reference)
 *   quick      ends at once and is joined
 *   forgotten  ends at once; forget_a_thread() never joins or unrefs it:
 *              the creator's reference is leaked
 * --churn N, --forever and --detached: see below.
 * Prints "ready PID" once all three exist and quick/forgotten have ended,
 * waits for a line on stdin, stops and joins the worker, exits 0.
 */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static GMutex lock;
static GCond cond;
static gboolean stop;
static int ended;

static gpointer work(gpointer data)
{
	(void)data;
	g_mutex_lock(&lock);
	while (!stop)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	return NULL;
}

static pid_t quick_tid[2];   /* the threads that ran quick(), in order */
static gboolean may_end;     /* g_thread_new has returned to its caller */

static gpointer quick(gpointer data)
{
	(void)data;
	g_mutex_lock(&lock);
	/* Not before g_thread_new returned: the books open a new object when
	 * its creator returns, and a reference dropped before that is one of
	 * an unknown object (README, Limits). */
	while (!may_end)
		g_cond_wait(&cond, &lock);
	if (ended < 2)
		quick_tid[ended] = (pid_t)syscall(SYS_gettid);
	ended++;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
	return NULL;
}

static __attribute__((noinline)) void forget_a_thread(void)
{
	GThread *t = g_thread_new("forgotten", quick, NULL);
	(void)t;   /* BUG on purpose: never joined, never unref'd */
	__asm__ volatile("" ::: "memory");
	g_mutex_lock(&lock);
	may_end = TRUE;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
}

static gpointer nothing(gpointer data)
{
	return data;
}

/* --churn N: N threads that end at once, 16 at a time, each joined: a
 * thread's own reference is often dropped before g_thread_new returns,
 * at an address a joined thread had (README, Limits). */
static int churn(int n)
{
	GThread *batch[16];

	for (int done = 0; done < n;) {
		int k = n - done < 16 ? n - done : 16;
		for (int i = 0; i < k; i++)
			batch[i] = g_thread_new("churn", nothing, NULL);
		for (int i = 0; i < k; i++)
			g_thread_join(batch[i]);
		done += k;
	}
	printf("churned %d\n", n);
	return 0;
}

/* --forever: a thread that runs until the process exits, its GThread
 * never joined nor unreferenced (as GLib's own worker thread): it holds
 * its GThread, no leak. */
static gpointer block(gpointer data)
{
	(void)data;
	for (;;)
		g_usleep(G_USEC_PER_SEC);
	return NULL;
}

static void *drop_in_a_pthread(void *thread)
{
	g_thread_unref(thread);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--churn") == 0)
		return churn(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "--forever") == 0) {
		g_thread_new("forever", block, NULL);
		printf("started\n");
		return 0;
	}
	/* --pthread-detached: the same, the creator's reference dropped by a
	 * plain pthread that then ends (its drop is not a thread's own at its
	 * end: the program's start routine made it). */
	if (argc == 2 && strcmp(argv[1], "--pthread-detached") == 0) {
		pthread_t p;
		GThread *t = g_thread_new("detached", block, NULL);
		if (pthread_create(&p, NULL, drop_in_a_pthread, t) != 0 || pthread_join(p, NULL) != 0)
			return 1;
		printf("started\n");
		return 0;
	}
	/* --detached: the detach idiom, the creator's reference dropped at
	 * once; the thread runs until the process exits and holds its own. */
	if (argc == 2 && strcmp(argv[1], "--detached") == 0) {
		g_thread_unref(g_thread_new("detached", block, NULL));
		printf("started\n");
		return 0;
	}
	char line[16];

	GThread *worker = g_thread_new("worker", work, NULL);
	GThread *q = g_thread_new("quick", quick, NULL);
	g_mutex_lock(&lock);
	may_end = TRUE;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
	g_thread_join(q);
	g_mutex_lock(&lock);
	may_end = FALSE;
	g_mutex_unlock(&lock);
	forget_a_thread();
	g_mutex_lock(&lock);
	while (ended < 2)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	/* The forgotten thread's own reference is dropped as it exits (GLib's
	 * thread cleanup): wait until it is gone, at most 10 s. */
	char task[64];
	snprintf(task, sizeof(task), "/proc/self/task/%d", (int)quick_tid[1]);
	for (int i = 0; i < 10000 && access(task, F_OK) == 0; i++)
		usleep(1000);
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = 0;
	g_mutex_lock(&lock);
	stop = TRUE;
	g_cond_broadcast(&cond);
	g_mutex_unlock(&lock);
	g_thread_join(worker);
	return 0;
}
