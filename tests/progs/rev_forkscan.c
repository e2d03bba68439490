/*
 * rev_forkscan — fork while another thread is in dlopen (after the loading
 * itself is done), then dlopen in the child.
 *
 * A loader thread dlopens librevlib.so (by path); the main thread forks at
 * a moment when the loader holds no lock of glibc's: the program defines
 * dl_iterate_phdr (exported: -rdynamic is not needed, the symbol is in the
 * program's dynamic table because libc exports it), and the first call of
 * it the loader's dlopen makes after glibc's loading (a preloaded library
 * scanning the new modules does that) is where the loader waits for the
 * fork; without such a call the loader waits once its dlopen has returned.
 * Each child dlopens the library once and exits 0; a child not done within
 * 5 seconds is killed by its alarm (SIGALRM): then "hung children N" and
 * exit 1.  Prints "ok forks N".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3

static const char *path;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready, forked;            /* rounds the loader offered / main forked */
static __thread int in_round;        /* this thread owes a wait in this round */

/* The loader waits here until the main thread has forked. */
static void offer_fork(void)
{
	if (!in_round)
		return;
	in_round = 0;
	pthread_mutex_lock(&mu);
	int round = ++ready;
	pthread_cond_broadcast(&cv);
	/* At most 300 ms: a shim that holds fork back until its scan is over
	 * (the right thing) would otherwise wait for this wait. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 300 * 1000000L;
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	while (forked < round && pthread_cond_timedwait(&cv, &mu, &until) == 0)
		;
	pthread_mutex_unlock(&mu);
}

int dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *data)
{
	static int (*real)(int (*)(struct dl_phdr_info *, size_t, void *), void *);
	if (!real)
		real = (__typeof__(real))dlsym(RTLD_NEXT, "dl_iterate_phdr");
	int rc = real(cb, data);
	offer_fork();
	return rc;
}

/* The loader waits here, outside of any dlopen, until main forked round
 * `round`: a fork while this thread is inside glibc's dlopen or dlclose
 * leaves the child an inconsistent dynamic linker (glibc's own hazard,
 * which a shim that makes fork wait for its scan would only move there). */
static void wait_forked(int round)
{
	pthread_mutex_lock(&mu);
	while (forked < round)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void *loader(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		in_round = 1;
		void *h = dlopen(path, RTLD_NOW);
		offer_fork();
		wait_forked(i + 1);
		if (h)
			dlclose(h);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: rev_forkscan LIBRARY\n");
		return 2;
	}
	path = argv[1];
	pthread_t t;
	pthread_create(&t, NULL, loader, NULL);
	int hung = 0, other = 0;
	for (int i = 1; i <= ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		while (ready < i)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		pid_t pid = fork();
		if (pid == 0) {
			alarm(5);
			void *h = dlopen(path, RTLD_NOW);
			_exit(h ? 0 : 3);
		}
		pthread_mutex_lock(&mu);
		forked = i;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
		int st;
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			hung++;
		else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			other++;
	}
	pthread_join(t, NULL);
	if (hung || other) {
		printf("hung children %d, failed %d\n", hung, other);
		return 1;
	}
	printf("ok forks %d\n", ROUNDS);
	return 0;
}
