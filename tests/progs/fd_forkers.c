/*
 * fd_forkers — THREADS threads fork FORKS times each, at once; every child
 * exits at once.  glibc runs the fork handlers of two threads' forks
 * concurrently: a shim that kept one global "took the lock" flag for its
 * prepare and parent handlers hung here (the second fork never unlocked).
 * Prints "forks N" when every fork came back.
 *
 *   fd_forkers THREADS FORKS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int forks_each;

static void *forker(void *arg)
{
	long *done = arg;

	for (int i = 0; i < forks_each; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0 && waitpid(pid, NULL, 0) == pid)
			(*done)++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 2 ? atoi(argv[1]) : 2;
	forks_each = argc > 2 ? atoi(argv[2]) : 50;
	pthread_t t[64];
	long done[64] = { 0 }, total = 0;

	if (threads < 1 || threads > 64)
		return 2;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, forker, &done[i]) != 0)
			return 1;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += done[i];
	}
	printf("forks %ld\n", total);
	return total == (long)threads * forks_each ? 0 : 1;
}
