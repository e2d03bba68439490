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
 * Prints "ready PID" once all three exist and quick/forgotten have ended,
 * waits for a line on stdin, stops and joins the worker, exits 0.
 */
#include <glib.h>
#include <stdio.h>
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

static gpointer quick(gpointer data)
{
	(void)data;
	g_mutex_lock(&lock);
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
}

int main(void)
{
	char line[16];

	GThread *worker = g_thread_new("worker", work, NULL);
	g_thread_join(g_thread_new("quick", quick, NULL));
	forget_a_thread();
	g_mutex_lock(&lock);
	while (ended < 2)
		g_cond_wait(&cond, &lock);
	g_mutex_unlock(&lock);
	usleep(100000);   /* the forgotten thread's own reference is dropped as it exits */
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
